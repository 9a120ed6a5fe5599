"""Who sees which domain, through every door: pages, REST, GraphQL and admin agree with authz."""

import pytest

from tests.authz_matrix import admin_door, assert_doors_agree, graphql_door, page_door, rest_door

DOMAIN_QUERY = "query($slug: String!) { domain(slug: $slug) { slug name } }"

DOORS = {
    "page": page_door(lambda d: f"/domains/{d.slug}/"),
    "rest": rest_door(lambda d: f"/api/v1/domains/{d.slug}/"),
    "graphql": graphql_door(DOMAIN_QUERY, lambda d: {"slug": d.slug}, "domain"),
}


@pytest.mark.django_db
def test_every_member_of_the_tenant_sees_its_domains_and_no_one_else_does(
    signed_in, domain, consumer, steward, domain_owner, finance, platform_owner, other_tenant_user, other_platform_owner
):
    expected = {
        consumer: True,
        steward: True,
        domain_owner: True,
        finance: True,
        platform_owner: True,
        other_tenant_user: False,
        other_platform_owner: False,
    }
    assert_doors_agree(signed_in, domain, "domains.view_domain", expected, DOORS)


@pytest.mark.django_db
def test_the_back_office_opens_a_domain_only_to_its_tenants_platform_owner(
    signed_in, domain, consumer, steward, domain_owner, platform_owner, other_platform_owner
):
    expected = {platform_owner: True, other_platform_owner: False, consumer: False, steward: False, domain_owner: False}
    door = {"admin": admin_door(lambda d: f"/admin/domains/domain/{d.pk}/change/")}
    for actor, allowed in expected.items():
        client = signed_in(actor)
        assert door["admin"](client, domain) is allowed, actor
        client.logout()


@pytest.mark.django_db
def test_domain_lists_never_show_another_tenants_domains(signed_in, domain, other_domain, consumer, other_tenant_user):
    client = signed_in(consumer)
    rest = client.get("/api/v1/domains/").json()
    assert [d["name"] for d in rest["results"]] == ["Finance"]
    assert rest["results"][0]["description"] == "Ledgers and payments"
    gql = client.post("/graphql/", {"query": "{ domains { slug description } }"}, content_type="application/json").json()
    assert gql["data"]["domains"] == [{"slug": "finance", "description": "Ledgers and payments"}]
    page = client.get("/domains/").content.decode()
    assert "Ledgers and payments" in page and "Fabrikam" not in page


@pytest.mark.django_db
def test_admin_domain_list_shows_only_the_platform_owners_tenant(signed_in, domain, other_domain, platform_owner):
    response = signed_in(platform_owner).get("/admin/domains/domain/")
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [domain]


@pytest.mark.django_db
def test_anonymous_callers_get_nothing_from_any_door(client, domain):
    assert client.get(f"/domains/{domain.slug}/").status_code == 302
    assert client.get(f"/api/v1/domains/{domain.slug}/").status_code == 401
    assert client.post("/graphql/", {"query": "{ domains { slug } }"}, content_type="application/json").status_code == 401
    assert client.get(f"/admin/domains/domain/{domain.pk}/change/").status_code == 302
