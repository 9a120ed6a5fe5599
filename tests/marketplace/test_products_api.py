"""REST: /api/v1/products/ filters by the facets and ?search=, bad filters are 400 naming the field."""

import pytest

from marketplace import services
from tests.conftest import requires_postgres
from tests.marketplace.conftest import make_product


@pytest.mark.django_db
def test_products_are_listed_with_their_catalog_fields(signed_in, product, consumer):
    body = signed_in(consumer).get("/api/v1/products/").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert {k: item[k] for k in ("slug", "name", "kind", "status", "domain", "sensitivity", "tags", "freshness")} == {
        "slug": "general-ledger-entries", "name": "General ledger entries", "kind": "table", "status": "published",
        "domain": "finance", "sensitivity": "general", "tags": ["accounting", "ledger"], "freshness": "unknown",
    }


@pytest.mark.django_db
def test_the_facets_filter_the_list(signed_in, product, platform_owner, domain, consumer):
    make_product(platform_owner, domain, "Vendor payments", sensitivity="confidential", kind="view", tags=["payments"])
    client = signed_in(consumer)

    def listed(query):
        return [p["slug"] for p in client.get(f"/api/v1/products/?{query}").json()["results"]]

    assert listed("kind=view") == ["vendor-payments"]
    assert listed("sensitivity=general") == ["general-ledger-entries"]
    assert listed("tag=payments") == ["vendor-payments"]
    assert listed("domain=finance&sort=name") == ["general-ledger-entries", "vendor-payments"]
    assert listed("domain=hr") == []
    assert listed(f"owner={platform_owner.pk}&sort=name") == ["general-ledger-entries", "vendor-payments"]
    assert listed("search=vendor") == ["vendor-payments"]


@requires_postgres
@pytest.mark.django_db
def test_search_tolerates_typos(signed_in, product, consumer):
    assert [p["slug"] for p in signed_in(consumer).get("/api/v1/products/?search=ledgre").json()["results"]] == [
        "general-ledger-entries"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=spreadsheet", "kind"), ("sensitivity=secret", "sensitivity"), ("freshness=old", "freshness"),
     ("owner=abc", "owner"), ("sort=popular", "sort"), ("domain=not%20a%20slug", "domain"), ("search=" + "x" * 201, "search")],
)
def test_an_invalid_filter_is_a_400_naming_the_field(signed_in, product, consumer, query, field):
    response = signed_in(consumer).get(f"/api/v1/products/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_a_product_has_its_schema_lineage_and_people(signed_in, product, platform_owner, product_steward, consumer):
    services.product_add_lineage(actor=platform_owner, product=product, external_source="SAP S/4HANA")
    body = signed_in(consumer).get(f"/api/v1/products/{product.slug}/").json()
    assert body["columns"][1] == {"position": 2, "name": "region", "data_type": "text", "description": "",
                                  "classification": "", "is_nullable": True, "is_scopable": True}
    assert body["upstream"] == [{"product": None, "external_source": "SAP S/4HANA"}]
    assert (body["owners"], body["stewards"]) == ([platform_owner.email], [product_steward.email])
    assert body["description"] == "Every **posted** journal line."


@pytest.mark.django_db
def test_another_tenants_product_is_not_found(signed_in, product, other_tenant_user):
    assert signed_in(other_tenant_user).get(f"/api/v1/products/{product.slug}/").status_code == 404


def _seed(platform_owner, domain, count):
    for n in range(count):
        make_product(platform_owner, domain, f"Product {n:02d}", tags=["shared", f"t{n}"])


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 25])
def test_the_list_costs_the_same_queries_whatever_the_page_size(signed_in, platform_owner, domain, consumer, rows,
                                                               django_assert_num_queries):
    _seed(platform_owner, domain, rows)
    client = signed_in(consumer)
    # session, user, count, page, tags of the page
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/products/?limit=25").json()["results"]) == rows
