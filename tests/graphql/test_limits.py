"""Limits: depth, page size and list-nesting cost, each refused with a clear error before any SQL runs;
introspection for signed-in users and token holders only."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql import get_introspection_query

from loom_portal import tokens
from loom_portal.graphql.limits import MAX_COST, MAX_DEPTH, MAX_PAGE_SIZE

INTROSPECTION = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                        schema_description=True, input_value_deprecation=True)


@pytest.mark.django_db
def test_a_query_deeper_than_the_limit_is_refused_before_it_runs(gql, consumer, product):
    deepest_today = "{ products { edges { node { ... on Product { domain { workspaces { name } } } } } } }"
    assert "errors" not in gql(consumer, deepest_today)  # 6 fields deep
    # Nothing in today's schema nests deeper than 6; the limit guards what comes next (grants of products
    # of grants...). GraphQL's own rules also refuse these fields; the depth error is reported with them.
    over = "{ products { edges { node { upstream { product { " + "more { " * 6 + "slug" + " }" * 6 + " } } } } } }"
    with CaptureQueriesContext(connection) as queries:
        body = gql(consumer, over, status_=400)
    messages = [e["message"] for e in body["errors"]]
    assert f"The query is 12 fields deep; the limit is {MAX_DEPTH}. Ask for fewer nested fields." in messages
    named = "query Catalog " + over
    assert any("Catalog is 12 fields deep" in e["message"] for e in gql(consumer, named, status_=400)["errors"])
    assert not [q for q in queries.captured_queries if "marketplace_" in q["sql"]]


@pytest.mark.django_db
def test_a_page_larger_than_the_limit_is_a_clear_error(gql, consumer, product):
    body = gql(consumer, "query($n: Int) { products(first: $n) { totalCount } }", n=MAX_PAGE_SIZE + 1)
    assert body["data"]["products"] is None
    error = body["errors"][0]
    assert error["message"] == (f"first must be between 1 and {MAX_PAGE_SIZE} (got {MAX_PAGE_SIZE + 1}); "
                                "page through larger results with after.")
    assert error["extensions"] == {"code": "PAGE_SIZE_EXCEEDED", "field": "first", "max": MAX_PAGE_SIZE}
    assert gql(consumer, "{ products(first: 0) { totalCount } }")["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED"
    assert gql(consumer, "{ products(first: 100) { totalCount } }") == {"data": {"products": {"totalCount": 1}}}


@pytest.mark.django_db
def test_a_full_page_fits_the_cost_limit_but_many_aliased_pages_do_not(gql, consumer, product):
    page = """products(first: 100) { totalCount edges { node {
        slug domain { slug workspaces { name } } owners { email } stewards { email } tags
        columns { name } upstream { product { slug } } downstream { externalSource } } }
        facets { domain { value count } tag { value count } } }"""
    assert "errors" not in gql(consumer, "{ " + page + " }")
    aliased = "{ " + " ".join(f"p{n}: {page}" for n in range(4)) + " }"
    with CaptureQueriesContext(connection) as queries:
        body = gql(consumer, aliased, status_=400)
    message = body["errors"][0]["message"]
    assert message.startswith("The query could return about ") and f"the limit is {MAX_COST:,}" in message
    assert body["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert body["errors"][0]["extensions"]["cost"] > MAX_COST
    assert not [q for q in queries.captured_queries if "marketplace_" in q["sql"]]


@pytest.mark.django_db
def test_a_page_size_variable_counts_as_the_largest_page(gql, consumer):
    page = "products(first: $n) { edges { node { columns { name } owners { email } stewards { email } } } }"
    query = "query($n: Int) { " + " ".join(f"p{i}: {page}" for i in range(4)) + " }"
    body = gql(consumer, query, n=5, status_=400)
    assert body["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"


@pytest.mark.django_db
def test_fragment_cycles_and_unknown_fragments_are_graphql_errors_not_crashes(gql, consumer):
    cyclic = "{ products { ...A } } fragment A on ProductConnection { totalCount ...A }"
    body = gql(consumer, cyclic, status_=400)
    assert any("Cannot spread fragment 'A' within itself." in e["message"] for e in body["errors"])
    unknown = "{ products { ...Missing } }"
    assert "Unknown fragment 'Missing'." in gql(consumer, unknown, status_=400)["errors"][0]["message"]


@pytest.mark.django_db
def test_signed_in_users_and_token_holders_may_introspect(gql, consumer):
    body = gql(consumer, INTROSPECTION)  # the query GraphiQL sends
    assert "errors" not in body
    assert "Product" in {t["name"] for t in body["data"]["__schema"]["types"]}
    issued = tokens.api_token_create(actor=consumer, name="console")
    response = Client().post("/graphql/", {"query": "{ __schema { queryType { name } } }"},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.django_db
def test_anonymous_callers_get_an_error_instead_of_the_schema(client):
    response = client.post("/graphql/", {"query": INTROSPECTION}, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Sign in or send a personal API token to use the GraphQL API."}]}
    response = client.get("/graphql/", {"query": "{ __schema { queryType { name } } }"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 401 and "__schema" not in response.content.decode()


@pytest.mark.django_db
def test_introspection_has_a_depth_limit_of_its_own(gql, consumer):
    deep = "{ __type(name: \"Product\") { " + "fields { type { " * 10 + "name" + " } }" * 10 + " } }"
    body = gql(consumer, deep, status_=400)
    assert body["errors"][0]["extensions"]["code"] == "DEPTH_LIMIT_EXCEEDED"
    assert "introspects" in body["errors"][0]["message"]
