"""Who may expose a product as an API, and who sees a publication: the expose page, the API page and the
back office agree with the policy."""

from tests.authz_matrix import admin_door, assert_doors_agree, page_door


def test_exposing_is_for_the_products_editors_only(exposed, signed_in, orders_product, platform_owner, steward,
                                                   domain_owner, consumer, other_tenant_user, other_platform_owner):
    expected = {platform_owner: True, steward: True, domain_owner: True, consumer: False, other_tenant_user: False,
                other_platform_owner: False}
    assert_doors_agree(signed_in, orders_product, "marketplace.change_dataproduct", expected,
                       {"expose page": page_door(lambda p: f"/developers/products/{p.slug}/expose/")})


def test_a_published_api_is_seen_by_every_member_of_the_tenant_and_nobody_else(
    exposed, signed_in, platform_owner, steward, consumer, other_tenant_user, other_platform_owner
):
    expected = {platform_owner: True, steward: True, consumer: True, other_tenant_user: False,
                other_platform_owner: False}
    assert_doors_agree(signed_in, exposed, "marketplace.view_apipublication", expected,
                       {"api page": page_door(lambda p: f"/developers/apis/{p.product.slug}/")})
    assert_doors_agree(signed_in, exposed, "marketplace.view_apipublication",
                       {platform_owner: True, other_platform_owner: False},
                       {"admin": admin_door(lambda p: f"/admin/marketplace/apipublication/{p.pk}/change/")})
