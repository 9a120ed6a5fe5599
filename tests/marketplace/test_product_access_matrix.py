"""Who sees which product, through every door: the product page, REST and the back office agree with authz."""

import pytest

from marketplace import services
from tests.authz_matrix import admin_door, assert_doors_agree, page_door, rest_door
from tests.factories import make_domain
from tests.marketplace.conftest import make_product

DOORS = {
    "page": page_door(lambda p: f"/catalog/{p.slug}/"),
    "rest": rest_door(lambda p: f"/api/v1/products/{p.slug}/"),
}
ADMIN = admin_door(lambda p: f"/admin/marketplace/dataproduct/{p.pk}/change/")


@pytest.fixture
def everyone(consumer, steward, domain_owner, finance, platform_owner, product_owner, product_steward,
             other_tenant_user, other_platform_owner):
    return {
        "consumer": consumer, "domain_steward": steward, "domain_owner": domain_owner, "finance": finance,
        "platform_owner": platform_owner, "product_owner": product_owner, "product_steward": product_steward,
        "other_tenant_user": other_tenant_user, "other_platform_owner": other_platform_owner,
    }


EDITORS = {"domain_steward", "domain_owner", "platform_owner", "product_owner", "product_steward"}
MEMBERS = EDITORS | {"consumer", "finance"}


def expect(everyone, allowed: set[str]) -> dict:
    return {user: role in allowed for role, user in everyone.items()}


@pytest.mark.django_db
def test_a_published_product_is_seen_by_every_member_of_its_tenant_only(signed_in, product, everyone):
    assert_doors_agree(signed_in, product, "marketplace.view_dataproduct", expect(everyone, MEMBERS), DOORS)


@pytest.mark.django_db
def test_a_draft_is_seen_by_its_editors_only(signed_in, product, everyone, platform_owner):
    draft = services.product_retire(actor=platform_owner, product=product)  # retired: like a draft, editors only
    assert_doors_agree(signed_in, draft, "marketplace.view_dataproduct", expect(everyone, EDITORS), DOORS)


@pytest.mark.django_db
def test_a_hidden_highly_confidential_product_is_seen_by_its_editors_only(signed_in, product, everyone, platform_owner):
    hidden = services.product_update(actor=platform_owner, product=product, sensitivity="highly_confidential",
                                     discoverability="hidden")
    assert_doors_agree(signed_in, hidden, "marketplace.view_dataproduct", expect(everyone, EDITORS), DOORS)


@pytest.mark.django_db
def test_a_discoverable_highly_confidential_product_is_listed_but_its_details_are_on_request(
    signed_in, product, everyone, platform_owner, consumer, product_steward
):
    listed = services.product_update(actor=platform_owner, product=product, sensitivity="highly_confidential",
                                     discoverability="discoverable")
    assert_doors_agree(signed_in, listed, "marketplace.view_dataproduct", expect(everyone, MEMBERS), DOORS)
    body = signed_in(consumer).get(f"/api/v1/products/{listed.slug}/").json()
    assert (body["details_restricted"], body["columns"], body["description"]) == (True, [], "")
    page = signed_in(consumer).get(f"/catalog/{listed.slug}/").content.decode()
    assert "shown on request" in page and "entry_id" not in page
    body = signed_in(product_steward).get(f"/api/v1/products/{listed.slug}/").json()
    assert body["details_restricted"] is False and [c["name"] for c in body["columns"]] == ["entry_id", "region", "amount"]


@pytest.mark.django_db
def test_the_back_office_opens_a_product_only_to_its_tenants_platform_owner(signed_in, product, everyone):
    for role, user in everyone.items():
        client = signed_in(user)
        assert ADMIN(client, product) is (role == "platform_owner"), role
        client.logout()


@pytest.mark.django_db
def test_lists_show_the_same_products_as_the_policy(signed_in, product, platform_owner, consumer, other_tenant_user):
    ops = make_domain(platform_owner, "Mission Ops")
    make_product(platform_owner, ops, "Mission plans", publish=False)
    hidden = make_product(platform_owner, ops, "Crew rosters", sensitivity="highly_confidential", discoverability="hidden")
    for user, expected in ((consumer, ["General ledger entries"]),
                           (platform_owner, ["Crew rosters", "General ledger entries", "Mission plans"]),
                           (other_tenant_user, [])):
        client = signed_in(user)
        rest = [p["name"] for p in client.get("/api/v1/products/?sort=name").json()["results"]]
        page = client.get("/catalog/?sort=name")
        assert rest == expected, user
        assert [p.name for p in page.context["result"].page] == expected, user
        client.logout()
    assert hidden.name not in signed_in(consumer).get(f"/domains/{ops.slug}/").content.decode()


@pytest.mark.django_db
def test_anonymous_callers_get_nothing_from_any_door(client, product):
    assert client.get(f"/catalog/{product.slug}/").status_code == 302
    assert client.get("/catalog/").status_code == 302
    assert client.get(f"/api/v1/products/{product.slug}/").status_code == 401
    assert client.get("/api/v1/products/").status_code == 401
    assert client.get(f"/admin/marketplace/dataproduct/{product.pk}/change/").status_code == 302
