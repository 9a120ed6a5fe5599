"""The "my access" screen and the steward queue, built from GraphQL alone: a consumer asks, a steward
approves, the consumer sees the grant on the product and creates an API key."""

import hashlib

import pytest

from marketplace import selectors
from marketplace.models import ApiKey
from marketplace.services import access, grants
from tests.graphql.conftest import ask, make_product

REQUEST_ACCESS = """
mutation($slug: String!, $purpose: String!, $scope: [ScopeInput!], $days: Int!) {
  requestAccess(slug: $slug, purpose: $purpose, scope: $scope, durationDays: $days) {
    accessRequest { id status product { slug } scope { column values } durationDays }
    errors { field code message }
  }
}
"""
ACCESS_REQUESTS = """
query($role: AccessRequestRole, $status: AccessRequestStatus, $first: Int, $after: String) {
  accessRequests(role: $role, status: $status, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id status purpose scopeSummary nextStep grantId
      product { slug name } requester { email }
      approvals { step approver { email } }
    } }
  }
}
"""
APPROVE = """
mutation($id: ID!) {
  approveAccessRequest(id: $id, note: "Fine for the quarter close") {
    accessRequest { id status grantId decidedBy { email } } errors { field code message }
  }
}
"""
GRANTS = """
query($role: GrantRole, $status: GrantStatus) {
  grants(role: $role, status: $status) {
    totalCount
    edges { node { id status scope { column values } expiresAt requestId product { slug } grantee { email }
                   apiKeys { name prefix active } } }
  }
}
"""
VIEWER_ACCESS = """
query($slug: String!) {
  product(slug: $slug) {
    viewerAccess { state canRequest scope { column values } expiresAt openRequest { id } grant { id status } }
  }
}
"""
CREATE_KEY = """
mutation($grantId: ID!) {
  createApiKey(grantId: $grantId, name: "Notebook") {
    key apiKey { id name prefix active } errors { field code message }
  }
}
"""


def nodes(connection):
    return [edge["node"] for edge in connection["edges"]]


@pytest.mark.django_db
def test_a_consumer_requests_access_and_sees_it_under_mine(gql, product, consumer, steward):
    payload = gql(consumer, REQUEST_ACCESS, slug=product.slug, purpose="Quarter-end revenue review",
                  scope=[{"column": "region", "values": ["EMEA", "APAC"]}], days=30)["data"]["requestAccess"]
    assert payload["errors"] == []
    assert payload["accessRequest"]["status"] == "REQUESTED"
    assert payload["accessRequest"]["scope"] == [{"column": "region", "values": ["APAC", "EMEA"]}]

    mine = gql(consumer, ACCESS_REQUESTS, role="MINE")["data"]["accessRequests"]
    assert mine["totalCount"] == 1
    [request] = nodes(mine)
    assert request["id"] == payload["accessRequest"]["id"]
    assert (request["product"]["slug"], request["requester"]["email"]) == (product.slug, consumer.email)
    assert (request["scopeSummary"], request["nextStep"], request["grantId"]) == ("region in APAC, EMEA", "STEWARD",
                                                                                   None)
    # The steward asked for nothing themselves.
    assert gql(steward, ACCESS_REQUESTS, role="MINE")["data"]["accessRequests"]["edges"] == []


@pytest.mark.django_db
def test_a_steward_sees_the_request_to_review_and_approves_it(gql, open_request, consumer, steward):
    queue = gql(steward, ACCESS_REQUESTS, role="TO_REVIEW", status="REQUESTED")["data"]["accessRequests"]
    assert [r["id"] for r in nodes(queue)] == [str(open_request.pk)]
    # Nobody reviews their own request: the consumer's queue is empty.
    assert gql(consumer, ACCESS_REQUESTS, role="TO_REVIEW")["data"]["accessRequests"]["totalCount"] == 0

    payload = gql(steward, APPROVE, id=open_request.pk)["data"]["approveAccessRequest"]
    assert payload["errors"] == []
    assert payload["accessRequest"]["status"] == "APPROVED"
    assert payload["accessRequest"]["decidedBy"] == {"email": steward.email}
    assert payload["accessRequest"]["grantId"] == str(open_request.grant.pk)
    approved = nodes(gql(consumer, ACCESS_REQUESTS, role="MINE", status="APPROVED")["data"]["accessRequests"])
    assert approved[0]["approvals"] == [{"step": "STEWARD", "approver": {"email": steward.email}}]
    assert gql(steward, ACCESS_REQUESTS, role="TO_REVIEW", status="REQUESTED")["data"]["accessRequests"]["edges"] == []


@pytest.mark.django_db
def test_viewer_access_follows_the_consumer_from_nothing_to_an_active_grant(gql, product, consumer, steward):
    def viewer_access():
        return gql(consumer, VIEWER_ACCESS, slug=product.slug)["data"]["product"]["viewerAccess"]

    assert viewer_access() == {"state": "NONE", "canRequest": True, "scope": None, "expiresAt": None,
                               "openRequest": None, "grant": None}
    request = ask(consumer, product)
    assert viewer_access()["state"] == "REQUESTED"
    assert viewer_access()["openRequest"] == {"id": str(request.pk)}
    assert viewer_access()["scope"] == [{"column": "region", "values": ["EMEA"]}]
    grant = access.access_request_approve(actor=steward, request=request).grant
    assert viewer_access()["state"] == "PENDING"  # approved; the engine (or a DBA) has not applied it yet
    grants.grant_confirm_applied(actor=steward, grant=grant)
    seen = viewer_access()
    assert (seen["state"], seen["openRequest"], seen["grant"]) == ("ACTIVE", None, {"id": str(grant.pk), "status": "ACTIVE"})
    assert seen["expiresAt"].startswith(f"{grant.expires_at:%Y-%m-%d}")
    # The steward's own view of the same product: they hold no grant.
    assert gql(steward, VIEWER_ACCESS, slug=product.slug)["data"]["product"]["viewerAccess"]["state"] == "NONE"


@pytest.mark.django_db
def test_the_consumer_sees_the_grant_under_mine_and_the_steward_sees_it_too(gql, active_grant, consumer, steward,
                                                                              product):
    [grant] = nodes(gql(consumer, GRANTS, role="MINE")["data"]["grants"])
    assert (grant["id"], grant["status"], grant["product"]["slug"]) == (str(active_grant.pk), "ACTIVE", product.slug)
    assert (grant["requestId"], grant["grantee"]["email"]) == (str(active_grant.request_id), consumer.email)
    assert grant["scope"] == [{"column": "region", "values": ["EMEA"]}]
    steward_view = gql(steward, GRANTS, status="ACTIVE")["data"]["grants"]
    assert [g["id"] for g in nodes(steward_view)] == [str(active_grant.pk)]
    assert gql(steward, GRANTS, role="MINE")["data"]["grants"]["totalCount"] == 0
    assert gql(consumer, GRANTS, status="REVOKED")["data"]["grants"]["totalCount"] == 0


@pytest.mark.django_db
def test_an_api_key_is_shown_once_and_only_its_hash_is_kept(gql, active_grant, consumer):
    payload = gql(consumer, CREATE_KEY, grantId=active_grant.pk)["data"]["createApiKey"]
    assert payload["errors"] == []
    plaintext = payload["key"]
    stored = ApiKey.objects.get(pk=payload["apiKey"]["id"])
    assert plaintext.startswith(f"loom_key_{stored.prefix}_")
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert grants.api_key_authenticate(plaintext) == stored  # the key works on the data API
    # Listed afterwards by name and prefix only; the schema has no field for the key or its hash.
    [grant] = nodes(gql(consumer, GRANTS, role="MINE")["data"]["grants"])
    assert grant["apiKeys"] == [{"name": "Notebook", "prefix": stored.prefix, "active": True}]
    schema = gql(consumer, "{ __type(name: \"ApiKey\") { fields { name } } }")["data"]["__type"]["fields"]
    assert {f["name"] for f in schema} == {"id", "name", "prefix", "createdAt", "lastUsedAt", "revokedAt", "active"}


@pytest.mark.django_db
def test_usage_is_what_the_product_page_shows_to_the_same_viewer(gql, signed_in, active_grant, consumer, product,
                                                                  other_consumer):
    grants.usage_record(grant=active_grant, rows=12)
    grants.usage_record(grant=active_grant, rows=3)
    ask(other_consumer, product)
    query = "query($slug: String!) { product(slug: $slug) { usage { subscribers openRequests calls30d daily { day calls } } } }"
    usage = gql(other_consumer, query, slug=product.slug)["data"]["product"]["usage"]
    page = signed_in(other_consumer).get(f"/catalog/{product.slug}/").context
    assert {"subscribers": usage["subscribers"], "open_requests": usage["openRequests"],
            "calls_30d": usage["calls30d"]} == page["usage_summary"] == {"subscribers": 1, "open_requests": 1,
                                                                       "calls_30d": 2}
    assert usage["daily"] == [{"day": point["day"].isoformat(), "calls": point["calls"]}
                              for point in selectors.product_usage(product=product)]
    assert len(usage["daily"]) == 30 and usage["daily"][-1]["calls"] == 2


@pytest.mark.django_db
def test_requests_are_paged_with_cursors(gql, platform_owner, domain, consumer, steward):
    for name in ("Orders", "Invoices", "Payments"):
        ask(consumer, make_product(platform_owner, domain, name), scope={})
    first = gql(steward, ACCESS_REQUESTS, role="TO_REVIEW", first=2)["data"]["accessRequests"]
    assert [r["product"]["name"] for r in nodes(first)] == ["Orders", "Invoices"]  # oldest first, like the queue
    assert first["pageInfo"]["hasNextPage"] is True and first["totalCount"] == 3
    rest = gql(steward, ACCESS_REQUESTS, role="TO_REVIEW", first=2, after=first["pageInfo"]["endCursor"])
    assert [r["product"]["name"] for r in nodes(rest["data"]["accessRequests"])] == ["Payments"]
    assert [r["product"]["name"] for r in nodes(gql(consumer, ACCESS_REQUESTS, role="MINE")["data"]["accessRequests"])
            ] == ["Payments", "Invoices", "Orders"]  # newest first


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "variables", "message"), [
    (ACCESS_REQUESTS, {"status": "PENDING_FOREVER"}, "Value 'PENDING_FOREVER' does not exist in 'AccessRequestStatus' enum"),
    (ACCESS_REQUESTS, {"role": "EVERYONE"}, "Value 'EVERYONE' does not exist in 'AccessRequestRole' enum"),
    (GRANTS, {"status": "REQUESTED"}, "Value 'REQUESTED' does not exist in 'GrantStatus' enum"),
])
def test_an_unknown_status_or_role_is_a_clear_error(gql, consumer, query, variables, message):
    body = gql(consumer, query, status_=400, **variables)
    assert body.get("data") is None
    assert any(message in error["message"] for error in body["errors"]), body


@pytest.mark.django_db
def test_a_page_over_the_limit_or_a_foreign_cursor_is_a_clear_error(gql, consumer):
    body = gql(consumer, ACCESS_REQUESTS, first=500)
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED"
    body = gql(consumer, ACCESS_REQUESTS, after="not-a-cursor")
    assert body["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "field": "after"}
