"""GraphQL agrees with REST and the pages on who sees which product, its details, and which products a list shows.

Every actor fixture, including another tenant's user and platform owner: a foreign product is never
visible through any door.
"""

import json

import pytest

from marketplace import services
from tests.authz_matrix import assert_doors_agree, graphql_door, page_door, rest_door
from tests.factories import make_domain
from tests.graphql.conftest import make_product

PRODUCT = "query($slug: String!) { product(slug: $slug) { slug detailsRestricted } }"
DOORS = {
    "page": page_door(lambda p: f"/catalog/{p.slug}/"),
    "rest": rest_door(lambda p: f"/api/v1/products/{p.slug}/"),
    "graphql": graphql_door(PRODUCT, lambda p: {"slug": p.slug}, "product"),
}


def _rest_details(client, product):
    response = client.get(f"/api/v1/products/{product.slug}/")
    return response.status_code == 200 and response.json()["details_restricted"] is False


def _page_details(client, product):
    response = client.get(f"/catalog/{product.slug}/")
    return response.status_code == 200 and response.context["details"] is True


def _graphql_details(client, product):
    body = client.post("/graphql/", json.dumps({"query": PRODUCT, "variables": {"slug": product.slug}}),
                       content_type="application/json").json()
    assert "errors" not in body, body
    return body["data"]["product"] is not None and body["data"]["product"]["detailsRestricted"] is False


DETAIL_DOORS = {"rest": _rest_details, "page": _page_details, "graphql": _graphql_details}


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
    assert_doors_agree(signed_in, product, "marketplace.view_dataproduct_details", expect(everyone, MEMBERS),
                       DETAIL_DOORS)


@pytest.mark.django_db
def test_a_retired_product_is_seen_by_its_editors_only(signed_in, product, everyone, platform_owner):
    retired = services.product_retire(actor=platform_owner, product=product)
    assert_doors_agree(signed_in, retired, "marketplace.view_dataproduct", expect(everyone, EDITORS), DOORS)


@pytest.mark.django_db
def test_a_hidden_highly_confidential_product_is_seen_by_its_editors_only(signed_in, product, everyone, platform_owner):
    hidden = services.product_update(actor=platform_owner, product=product, sensitivity="highly_confidential",
                                     discoverability="hidden")
    assert_doors_agree(signed_in, hidden, "marketplace.view_dataproduct", expect(everyone, EDITORS), DOORS)
    assert_doors_agree(signed_in, hidden, "marketplace.view_dataproduct_details", expect(everyone, EDITORS),
                       DETAIL_DOORS)


@pytest.mark.django_db
def test_a_discoverable_highly_confidential_product_is_listed_with_details_for_editors_only(
    signed_in, product, everyone, platform_owner
):
    listed = services.product_update(actor=platform_owner, product=product, sensitivity="highly_confidential",
                                     discoverability="discoverable")
    assert_doors_agree(signed_in, listed, "marketplace.view_dataproduct", expect(everyone, MEMBERS), DOORS)
    assert_doors_agree(signed_in, listed, "marketplace.view_dataproduct_details", expect(everyone, EDITORS),
                       DETAIL_DOORS)


def _graphql_list(client, search=""):
    query = "query($search: String) { products(first: 100, sort: NAME, search: $search) { edges { node { name } } } }"
    body = client.post("/graphql/", json.dumps({"query": query, "variables": {"search": search}}),
                       content_type="application/json").json()
    assert "errors" not in body, body
    return [edge["node"]["name"] for edge in body["data"]["products"]["edges"]]


@pytest.mark.django_db
def test_lists_show_the_same_products_through_every_door(signed_in, product, everyone, platform_owner,
                                                         other_platform_owner, other_domain):
    ops = make_domain(platform_owner, "Mission Ops")
    make_product(platform_owner, ops, "Mission plans", publish=False)
    make_product(platform_owner, ops, "Crew rosters", sensitivity="highly_confidential", discoverability="hidden")
    make_product(platform_owner, ops, "Launch windows", sensitivity="highly_confidential")
    make_product(other_platform_owner, other_domain, "Fabrikam ledger")
    everything = ["Crew rosters", "General ledger entries", "Launch windows", "Mission plans"]
    expected = {
        "consumer": ["General ledger entries", "Launch windows"],
        "finance": ["General ledger entries", "Launch windows"],
        "platform_owner": everything,
        # Stewards and owners of Finance edit its products only; the Mission Ops ones they see as members do.
        "domain_steward": ["General ledger entries", "Launch windows"],
        "domain_owner": ["General ledger entries", "Launch windows"],
        "product_owner": ["General ledger entries", "Launch windows"],
        "product_steward": ["General ledger entries", "Launch windows"],
        "other_tenant_user": ["Fabrikam ledger"],
        "other_platform_owner": ["Fabrikam ledger"],
    }
    for role, user in everyone.items():
        client = signed_in(user)
        graphql = _graphql_list(client)
        rest = [p["name"] for p in client.get("/api/v1/products/?sort=name").json()["results"]]
        page = [p.name for p in client.get("/catalog/?sort=name").context["result"].page]
        assert graphql == rest == page == expected[role], role
        for search in ("ledger", "Fabrikam", "Crew"):
            rest = [p["name"] for p in client.get(f"/api/v1/products/?sort=name&search={search}").json()["results"]]
            assert _graphql_list(client, search) == rest, (role, search)
        client.logout()
