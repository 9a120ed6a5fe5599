"""products and product(slug): the catalog through GraphQL, with the same rules as REST and the pages."""

from datetime import timedelta

import pytest
from django.utils import timezone
from graphql_relay import offset_to_cursor

from marketplace import services
from marketplace.choices import ProductRole
from tests.conftest import requires_postgres
from tests.factories import make_domain, make_user
from tests.graphql.conftest import make_product

PAGE = """
query($first: Int, $after: String, $search: String, $domain: String, $kind: ProductKind, $sensitivity: Sensitivity,
      $tag: String, $freshness: Freshness, $sort: ProductSort) {
  products(first: $first, after: $after, search: $search, domain: $domain, kind: $kind, sensitivity: $sensitivity,
           tag: $tag, freshness: $freshness, sort: $sort) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { slug name kind sensitivity freshness domain { slug } tags columnCount detailsRestricted } }
  }
}
"""

FACETS = """
query($domain: String, $kind: ProductKind) {
  products(domain: $domain, kind: $kind) {
    facets {
      domain { value label count selected }
      kind { value count selected }
      sensitivity { value count }
      freshness { value count }
      tag { value count }
      owner { value label count }
    }
  }
}
"""

PRODUCT = """
query($slug: String!) {
  product(slug: $slug) {
    slug name status kind sensitivity discoverability description detailsRestricted location
    domain { slug name } workspace { workspaceId }
    tags glossaryTerms freshness freshnessSlaHours
    columns { position name dataType classification isNullable isScopable }
    columnCount
    upstream { product { slug name } externalSource }
    downstream { product { slug name } externalSource }
    owners { email name } stewards { email }
  }
}
"""


@pytest.fixture
def shelf(platform_owner, domain, tenant):
    """Five published products over two domains, and a draft (as in the REST search tests)."""
    ops = make_domain(platform_owner, "Mission Ops", slug="mission-ops")
    ana = make_user(tenant, "ana@contoso.example")
    products = {
        "ledger": make_product(platform_owner, domain, "General ledger entries", sensitivity="confidential",
                               tags=["ledger", "accounting"], description="Posted journal lines.",
                               freshness_sla_hours=24, columns=[{"name": "entry_id", "data_type": "bigint"}]),
        "payments": make_product(platform_owner, domain, "Vendor payments", sensitivity="confidential",
                                 tags=["payments"], kind="view"),
        "budget": make_product(platform_owner, domain, "Budget model", sensitivity="general", tags=["budget", "ledger"],
                               kind="semantic_model"),
        "telemetry": make_product(platform_owner, ops, "Flight telemetry", sensitivity="general", tags=["telemetry"],
                                  kind="kql_function", columns=[{"name": "tail_number", "data_type": "string"}]),
        "weather": make_product(platform_owner, ops, "Weather observations", sensitivity="public", tags=["weather"],
                                kind="api", description="Hourly observations from ledger stations."),
        "draft": make_product(platform_owner, ops, "Mission plans", publish=False, tags=["planning"]),
    }
    services.product_record_refresh(actor=platform_owner, product=products["ledger"],
                                    refreshed_at=timezone.now() - timedelta(hours=2))
    services.product_assign_role(actor=platform_owner, product=products["telemetry"], user=ana, role=ProductRole.OWNER)
    return products


def slugs(body):
    return [edge["node"]["slug"] for edge in body["data"]["products"]["edges"]]


@pytest.mark.django_db
def test_products_lists_what_the_viewer_may_see_newest_first(gql, shelf, consumer, platform_owner):
    body = gql(consumer, PAGE)
    assert "errors" not in body, body
    assert slugs(body) == ["weather-observations", "flight-telemetry", "budget-model", "vendor-payments",
                           "general-ledger-entries"]
    assert body["data"]["products"]["totalCount"] == 5
    first = body["data"]["products"]["edges"][-1]["node"]
    assert first == {"slug": "general-ledger-entries", "name": "General ledger entries", "kind": "TABLE",
                     "sensitivity": "CONFIDENTIAL", "freshness": "FRESH", "domain": {"slug": "finance"},
                     "tags": ["accounting", "ledger"], "columnCount": 1, "detailsRestricted": False}
    assert "mission-plans" in slugs(gql(platform_owner, PAGE))  # editors also see drafts


@pytest.mark.django_db
def test_pages_follow_the_cursor_until_the_last(gql, shelf, consumer):
    seen, after = [], None
    for _ in range(3):
        page = gql(consumer, PAGE, first=2, after=after)["data"]["products"]
        seen += [edge["node"]["slug"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen == slugs(gql(consumer, PAGE))
    assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "endCursor": after}


@pytest.mark.django_db
def test_filters_narrow_the_list_like_the_rest_api(gql, shelf, consumer, signed_in):
    cases = [
        ({"domain": "mission-ops"}, "domain=mission-ops"),
        ({"kind": "SEMANTIC_MODEL"}, "kind=semantic_model"),
        ({"sensitivity": "CONFIDENTIAL"}, "sensitivity=confidential"),
        ({"tag": "Ledger"}, "tag=Ledger"),
        ({"freshness": "FRESH"}, "freshness=fresh"),
        ({"freshness": "UNKNOWN", "sort": "NAME"}, "freshness=unknown&sort=name"),
    ]
    for variables, query_string in cases:
        rest = signed_in(consumer).get(f"/api/v1/products/?{query_string}").json()
        assert slugs(gql(consumer, PAGE, **variables)) == [p["slug"] for p in rest["results"]], variables
    assert slugs(gql(consumer, PAGE, tag="ledger", sort="NAME")) == ["budget-model", "general-ledger-entries"]


@requires_postgres
@pytest.mark.django_db
def test_search_ranks_and_tolerates_typos(gql, shelf, consumer):
    assert slugs(gql(consumer, PAGE, search="telemtry")) == ["flight-telemetry"]
    assert slugs(gql(consumer, PAGE, search="ledger"))[:2] == ["general-ledger-entries", "budget-model"]


@pytest.mark.django_db
def test_facets_count_what_each_choice_would_give(gql, shelf, consumer):
    facets = gql(consumer, FACETS, domain="finance")["data"]["products"]["facets"]
    assert facets["domain"] == [
        {"value": "finance", "label": "Finance", "count": 3, "selected": True},
        {"value": "mission-ops", "label": "Mission Ops", "count": 2, "selected": False},
    ]
    assert {v["value"]: v["count"] for v in facets["kind"]} == {"TABLE": 1, "VIEW": 1, "SEMANTIC_MODEL": 1}
    assert {v["value"]: v["count"] for v in facets["sensitivity"]} == {"CONFIDENTIAL": 2, "GENERAL": 1}
    assert {v["value"]: v["count"] for v in facets["freshness"]} == {"FRESH": 1, "UNKNOWN": 2}
    assert {v["value"]: v["count"] for v in facets["tag"]} == {"ledger": 2, "accounting": 1, "budget": 1, "payments": 1}
    # A facet value is what the filter of the same name takes.
    kind = gql(consumer, FACETS, domain="finance", kind="VIEW")["data"]["products"]["facets"]["kind"]
    assert [v["value"] for v in kind if v["selected"]] == ["VIEW"]


@pytest.mark.django_db
def test_bad_filters_are_errors_naming_the_argument(gql, shelf, consumer):
    body = gql(consumer, PAGE, domain="not a slug!")
    assert body["data"]["products"] is None
    assert body["errors"][0]["message"].startswith("domain: ")
    assert body["errors"][0]["extensions"]["field"] == "domain"
    body = gql(consumer, PAGE, search="x" * 201)
    assert body["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "field": "search"}
    body = gql(consumer, PAGE, after="not-a-cursor")
    assert "after is not a cursor" in body["errors"][0]["message"]
    body = gql(consumer, PAGE, after=offset_to_cursor(10**30))
    assert body["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "field": "after"}
    body = gql(consumer, PAGE, kind="TABEL", status_=400)
    assert "ProductKind" in body["errors"][0]["message"] and body.get("data") is None


@pytest.mark.django_db
def test_another_tenants_products_never_appear(gql, shelf, consumer, other_tenant_user, other_platform_owner,
                                               other_domain):
    make_product(other_platform_owner, other_domain, "Fabrikam ledger", tags=["ledger"])
    assert slugs(gql(other_tenant_user, PAGE)) == ["fabrikam-ledger"]
    facets = gql(other_tenant_user, FACETS)["data"]["products"]["facets"]
    assert facets["tag"] == [{"value": "ledger", "count": 1}]
    assert "fabrikam-ledger" not in slugs(gql(consumer, PAGE, search="Fabrikam"))
    assert gql(other_tenant_user, PRODUCT, slug="general-ledger-entries")["data"]["product"] is None


@pytest.mark.django_db
def test_a_product_has_its_schema_lineage_freshness_and_people(gql, product, product_owner, product_steward,
                                                                platform_owner, consumer, domain):
    upstream = make_product(platform_owner, domain, "Journal staging")
    hidden = make_product(platform_owner, domain, "Payroll", sensitivity="highly_confidential",
                          discoverability="hidden")
    services.product_add_lineage(actor=platform_owner, product=product, upstream=upstream)
    services.product_add_lineage(actor=platform_owner, product=product, upstream=hidden)
    services.product_add_lineage(actor=platform_owner, product=product, external_source="SAP S/4HANA GL")
    services.product_update(actor=platform_owner, product=product, glossary_terms=["General ledger"],
                            freshness_sla_hours=24, source_engine="postgres", source_database="fin",
                            source_schema="gl", source_table="entries")
    body = gql(consumer, PRODUCT, slug=product.slug)
    assert "errors" not in body, body
    got = body["data"]["product"]
    assert got["columns"] == [
        {"position": 1, "name": "entry_id", "dataType": "bigint", "classification": None, "isNullable": True,
         "isScopable": False},
        {"position": 2, "name": "region", "dataType": "text", "classification": None, "isNullable": True,
         "isScopable": True},
        {"position": 3, "name": "amount", "dataType": "numeric(18,2)", "classification": "FINANCIAL",
         "isNullable": True, "isScopable": False},
    ]
    assert got["upstream"] == [  # the hidden upstream product is left out for a consumer
        {"product": {"slug": "journal-staging", "name": "Journal staging"}, "externalSource": None},
        {"product": None, "externalSource": "SAP S/4HANA GL"},
    ]
    assert got["downstream"] == []
    assert (got["status"], got["location"], got["freshness"], got["freshnessSlaHours"]) == (
        "PUBLISHED", "fin.gl.entries", "UNKNOWN", 24)
    assert got["glossaryTerms"] == ["General ledger"] and got["description"] == "Every **posted** journal line."
    assert [p["email"] for p in got["owners"]] == ["admin@contoso.example", "product.owner@contoso.example"]
    assert got["stewards"] == [{"email": "product.steward@contoso.example"}]
    upstream_of_hidden = gql(platform_owner, PRODUCT, slug=product.slug)["data"]["product"]["upstream"]
    assert {"product": {"slug": "payroll", "name": "Payroll"}, "externalSource": None} in upstream_of_hidden
    downstream = gql(consumer, PRODUCT, slug="journal-staging")["data"]["product"]["downstream"]
    assert downstream == [{"product": {"slug": product.slug, "name": product.name}, "externalSource": None}]


@pytest.mark.django_db
def test_lineage_in_a_list_also_leaves_hidden_products_out(gql, product, platform_owner, consumer, domain):
    hidden = make_product(platform_owner, domain, "Payroll", sensitivity="highly_confidential",
                          discoverability="hidden")
    services.product_add_lineage(actor=platform_owner, product=product, upstream=hidden)
    query = "{ products(sort: NAME) { edges { node { slug upstream { product { slug } } } } } }"
    nodes = [e["node"] for e in gql(consumer, query)["data"]["products"]["edges"]]
    assert nodes == [{"slug": product.slug, "upstream": []}]
    nodes = [e["node"] for e in gql(platform_owner, query)["data"]["products"]["edges"]]
    assert {"slug": product.slug, "upstream": [{"product": {"slug": "payroll"}}]} in nodes


@pytest.mark.django_db
def test_a_discoverable_highly_confidential_product_shows_no_details_to_consumers(
    gql, product, platform_owner, consumer, product_steward
):
    services.product_update(actor=platform_owner, product=product, sensitivity="highly_confidential",
                            discoverability="discoverable")
    got = gql(consumer, PRODUCT, slug=product.slug)["data"]["product"]
    assert got["detailsRestricted"] is True
    assert (got["description"], got["columns"], got["columnCount"], got["upstream"]) == (None, None, None, None)
    assert got["name"] == product.name and got["tags"] == ["accounting", "ledger"]
    listed = gql(consumer, PAGE)["data"]["products"]["edges"][0]["node"]
    assert (listed["detailsRestricted"], listed["columnCount"]) == (True, None)
    steward_view = gql(product_steward, PRODUCT, slug=product.slug)["data"]["product"]
    assert steward_view["detailsRestricted"] is False and steward_view["columnCount"] == 3


@pytest.mark.django_db
def test_a_missing_or_hidden_product_is_null(gql, product, consumer, platform_owner, domain):
    draft = make_product(platform_owner, domain, "Mission plans", publish=False)
    assert gql(consumer, PRODUCT, slug="no-such-product") == {"data": {"product": None}}
    assert gql(consumer, PRODUCT, slug=draft.slug) == {"data": {"product": None}}
    assert gql(platform_owner, PRODUCT, slug=draft.slug)["data"]["product"]["status"] == "DRAFT"
