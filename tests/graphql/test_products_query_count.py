"""No N+1: a page of products with its nested fields costs the same SQL queries for 1 item as for 50."""

import json

import pytest

from marketplace import services
from marketplace.choices import ProductRole
from marketplace.models import DataProduct, Grant
from marketplace.services import grants
from tests.factories import make_user
from tests.graphql.conftest import ask, grant_for, make_product

CATALOG_PAGE = """
query($first: Int!) {
  products(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      slug name kind status sensitivity freshness
      domain { slug name }
      owners { email name }
      stewards { email name }
      tags
      columnCount
    } }
  }
}
"""
# Per request: the session and its user (2); the page with its domains (1); the total (1); then one
# query per batched part: tags, owners and stewards, columns (3); and which products' details the
# viewer may see (1).
QUERIES = 8


def seed(platform_owner, domain, tenant, count):
    owner = make_user(tenant)
    steward = make_user(tenant)
    for n in range(count):
        product = make_product(platform_owner, domain, f"Product {n:03}", tags=["ledger", f"tag{n % 7}"],
                               columns=[{"name": "id", "data_type": "bigint"}, {"name": "region", "data_type": "text"}],
                               sensitivity="highly_confidential" if n % 10 == 9 else "general")
        services.product_assign_role(actor=platform_owner, product=product, user=owner, role=ProductRole.OWNER)
        services.product_assign_role(actor=platform_owner, product=product, user=steward, role=ProductRole.STEWARD)


def post(client, count):
    response = client.post("/graphql/", json.dumps({"query": CATALOG_PAGE, "variables": {"first": count}}),
                           content_type="application/json")
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["products"]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_a_page_of_products_with_nested_fields_runs_a_fixed_number_of_queries(
    rows, platform_owner, domain, tenant, consumer, signed_in, django_assert_num_queries
):
    seed(platform_owner, domain, tenant, rows)
    client = signed_in(consumer)
    with django_assert_num_queries(QUERIES):
        page = post(client, rows)
    assert len(page["edges"]) == rows == page["totalCount"]
    node = page["edges"][-1]["node"]
    assert len(node["owners"]) == 2 and len(node["stewards"]) == 1 and node["domain"]["slug"] == "finance"
    counts = {edge["node"]["name"]: edge["node"]["columnCount"] for edge in page["edges"]}
    assert counts["Product 000"] == 2
    # Every tenth product is Highly Confidential: a consumer is not shown its schema.
    assert [name for name, count in counts.items() if count is None] == [f"Product {n:03}" for n in (49, 39, 29, 19, 9)
                                                                         if n < rows]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_a_product_page_for_an_editor_costs_the_same(rows, platform_owner, domain, tenant, steward, signed_in,
                                                      django_assert_num_queries):
    seed(platform_owner, domain, tenant, rows)
    client = signed_in(steward)
    with django_assert_num_queries(QUERIES):
        page = post(client, rows)
    assert all(edge["node"]["columnCount"] == 2 for edge in page["edges"])


EVERY_LIST = """
query($first: Int!) {
  products(first: $first) {
    edges { node {
      slug description detailsRestricted
      domain { slug workspaces { name } }
      owners { email } stewards { email } tags
      columns { name } columnCount
      upstream { product { slug } externalSource }
      downstream { product { slug } }
    } }
  }
}
"""
# Session and user (2), the page (1), tags, people, columns, upstream, downstream, domain workspaces (6),
# details (1). No total: it is only counted when asked for.
EVERY_LIST_QUERIES = 10


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_every_nested_list_of_a_product_is_batched(rows, platform_owner, domain, tenant, workspace, consumer,
                                                   signed_in, django_assert_num_queries):
    seed(platform_owner, domain, tenant, rows)
    source = make_product(platform_owner, domain, "Source system")
    for product in DataProduct.objects.exclude(pk=source.pk):
        services.product_add_lineage(actor=platform_owner, product=product, upstream=source)
    client = signed_in(consumer)
    with django_assert_num_queries(EVERY_LIST_QUERIES):
        response = client.post("/graphql/", json.dumps({"query": EVERY_LIST, "variables": {"first": rows + 1}}),
                               content_type="application/json")
    body = response.json()
    assert "errors" not in body, body
    nodes = {edge["node"]["slug"]: edge["node"] for edge in body["data"]["products"]["edges"]}
    assert len(nodes[source.slug]["downstream"]) == rows  # every seeded product is fed by the source
    assert nodes["product-000"]["upstream"] == [{"product": {"slug": source.slug}, "externalSource": None}]
    assert nodes["product-000"]["domain"]["workspaces"] == [{"name": "Ledger analytics"}]


WITH_FRAGMENTS = """
query($first: Int!) { products(first: $first) { ...Page } }
fragment Page on ProductConnection { e: edges { n: node { ...Card ... on Product { upstream { externalSource } } } } }
fragment Card on Product { slug t: tags owners { email } domain { slug } columnCount }
"""


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_fragments_and_aliases_are_batched_too(rows, platform_owner, domain, tenant, consumer, signed_in,
                                              django_assert_num_queries):
    seed(platform_owner, domain, tenant, rows)
    client = signed_in(consumer)
    # Session and user (2), the page (1), tags, people, lineage up and down (4), details (1), column counts (1).
    with django_assert_num_queries(9):
        response = client.post("/graphql/", json.dumps({"query": WITH_FRAGMENTS, "variables": {"first": rows}}),
                               content_type="application/json")
    body = response.json()
    assert "errors" not in body, body
    nodes = [edge["n"] for edge in body["data"]["products"]["e"]]
    assert len(nodes) == rows and all(len(node["owners"]) == 2 and node["t"] for node in nodes)
    assert nodes[-1]["upstream"] == [] and nodes[-1]["columnCount"] == 2


VIEWER_ACCESS_PAGE = """
query($first: Int!) {
  products(first: $first) {
    edges { node {
      slug
      viewerAccess {
        state canRequest expiresAt scope { column values }
        openRequest { id status scopeSummary nextStep grantId product { slug } requester { email }
                      approvals { step approver { email } } }
        grant { id status expiresAt requestId product { slug } grantee { email } apiKeys { prefix } }
      }
      usage { subscribers openRequests calls30d daily { day calls } }
    } }
  }
}
"""
# Session and user (2), the page with whether the viewer may ask for each product (1); the viewer's open
# requests (1) with their approvals (1); the viewer's live grants (1) with their keys (1); usage: calls per
# day, subscribers, open requests (3). Django skips a nested prefetch when no parent row was found (no
# approvals query without open requests), so the seed gives the first product of every page a grant and a request.
VIEWER_ACCESS_QUERIES = 10


def seed_access(platform_owner, domain, tenant, consumer, count):
    """``count`` products. The consumer holds an active grant, a key and some usage on every third (and asks
    for more rows of it), has asked for the next, and has nothing on the third (nor on Highly Confidential
    ones, which need a second approval)."""
    seed(platform_owner, domain, tenant, count)
    for n, product in enumerate(DataProduct.objects.order_by("-name")):
        if product.is_highly_confidential or n % 3 == 2:
            continue
        if n % 3 == 0:
            grant = grant_for(platform_owner, consumer, product, scope={})
            grants.api_key_create(actor=consumer, grant=grant, name="Notebook")
            grants.usage_record(grant=grant, rows=5)
        ask(consumer, product, scope={}, purpose="More rows for the quarter close")


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_the_viewers_access_and_usage_on_a_page_are_batched(rows, platform_owner, domain, tenant, consumer, signed_in,
                                                           django_assert_num_queries):
    seed_access(platform_owner, domain, tenant, consumer, rows)
    client = signed_in(consumer)
    with django_assert_num_queries(VIEWER_ACCESS_QUERIES):
        response = client.post("/graphql/", json.dumps({"query": VIEWER_ACCESS_PAGE, "variables": {"first": rows}}),
                               content_type="application/json")
    body = response.json()
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["products"]["edges"]]
    assert len(nodes) == rows
    held = [node for node in nodes if node["viewerAccess"]["state"] == "ACTIVE"]
    assert len(held) == Grant.objects.filter(grantee=consumer, status="active").count() > 0
    for node in held:  # a grant with its key and usage, and a request for more rows
        assert (node["viewerAccess"]["canRequest"], len(node["viewerAccess"]["grant"]["apiKeys"])) == (True, 1)
        assert node["viewerAccess"]["openRequest"]["requester"] == {"email": consumer.email}
        assert (node["usage"]["calls30d"], node["usage"]["subscribers"], node["usage"]["openRequests"]) == (1, 1, 1)
    if rows == 50:
        assert {node["viewerAccess"]["state"] for node in nodes} == {"ACTIVE", "REQUESTED", "NONE"}


ALL_FACETS = """
{ products(first: 5) { facets {
  domain { value count } kind { value count } sensitivity { value count }
  tag { value count } freshness { value count } owner { value count }
} } }
"""


# Committed data (transaction=True): the facet index is kept between requests only outside a transaction.
@pytest.mark.django_db(transaction=True)
def test_every_facet_together_costs_the_same_few_queries(platform_owner, domain, tenant, consumer, signed_in,
                                                        django_assert_num_queries):
    seed(platform_owner, domain, tenant, 3)
    client = signed_in(consumer)
    client.post("/graphql/", json.dumps({"query": ALL_FACETS}), content_type="application/json")  # reads the index
    # Session and user (2), the page (1); for all six facets: whether the catalog changed since the facet index
    # was read, the owners' names (2).
    with django_assert_num_queries(5):
        response = client.post("/graphql/", json.dumps({"query": ALL_FACETS}), content_type="application/json")
    facets = response.json()["data"]["products"]["facets"]
    assert facets["domain"] == [{"value": domain.slug, "count": 3}]
    assert sum(v["count"] for v in facets["kind"]) == 3 and facets["owner"]
