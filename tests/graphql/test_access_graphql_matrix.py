"""GraphQL, REST and the pages agree with the policy on who sees and who acts on an access request and a grant.

For each role — the consumer who asked, the domain's steward and owner, the product's owner, the tenant's
platform owner and finance, and members of another tenant — every door is asked the same question with a
real request: may this user see the object (its page, its REST resource, the GraphQL list), is it in their
review queue, and does approving the request / renewing the grant go through? A refusal leaves nothing
changed, whichever door refused it.
"""

import json

import pytest

from loom_portal import authz
from marketplace.models import AccessRequest, Grant
from tests.authz_matrix import assert_doors_agree, page_door, rest_door
from tests.graphql.conftest import ask
from tests.graphql.test_access_mutations import state

SEE = {"consumer", "domain_steward", "domain_owner", "product_owner", "platform_owner"}
ACT = SEE - {"consumer"}


@pytest.fixture
def everyone(consumer, steward, domain_owner, finance, platform_owner, product_owner, other_tenant_user,
             other_platform_owner):
    return {"consumer": consumer, "domain_steward": steward, "domain_owner": domain_owner, "finance": finance,
            "platform_owner": platform_owner, "product_owner": product_owner,
            "other_tenant_user": other_tenant_user, "other_platform_owner": other_platform_owner}


def expect(everyone, allowed):
    return {user: role in allowed for role, user in everyone.items()}


def post_graphql(client, query, **variables):
    response = client.post("/graphql/", json.dumps({"query": query, "variables": variables}),
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def graphql_list_door(field: str, arguments: str = "") -> callable:
    query = f"{{ {field}(first: 100{arguments}) {{ edges {{ node {{ id }} }} }} }}"

    def door(client, obj):
        return str(obj.pk) in {edge["node"]["id"] for edge in post_graphql(client, query)[field]["edges"]}

    door.__name__ = "graphql"
    return door


def rest_list_door(url: str) -> callable:
    def door(client, obj):
        body = client.get(url, HTTP_ACCEPT="application/json").json()
        return obj.pk in {item["id"] for item in body.get("results", body)}

    door.__name__ = "rest list"
    return door


def queue_page_door(client, request):
    return request.pk in {row["request"].pk for row in client.get("/access/queue/").context["rows"]}


@pytest.mark.django_db
def test_a_request_is_seen_by_its_requester_and_the_products_reviewers_through_every_door(
    signed_in, everyone, open_request
):
    doors = {
        "page": page_door(lambda r: f"/access/requests/{r.pk}/"),
        "rest": rest_door(lambda r: f"/api/v1/access-requests/{r.pk}/"),
        "rest list": rest_list_door("/api/v1/access-requests/"),
        "graphql": graphql_list_door("accessRequests"),
    }
    assert_doors_agree(signed_in, open_request, "marketplace.view_accessrequest", expect(everyone, SEE), doors)


@pytest.mark.django_db
def test_a_request_is_in_the_review_queue_of_those_who_may_decide_it(signed_in, everyone, open_request):
    doors = {
        "page": queue_page_door,
        "rest": rest_list_door("/api/v1/access-requests/?role=to_review"),
        "graphql": graphql_list_door("accessRequests", ", role: TO_REVIEW"),
    }
    assert_doors_agree(signed_in, open_request, "marketplace.review_accessrequest", expect(everyone, ACT), doors)


@pytest.mark.django_db
def test_a_grant_is_seen_by_its_consumer_and_the_products_reviewers_through_every_door(
    signed_in, everyone, active_grant
):
    doors = {
        "page": page_door(lambda g: f"/access/grants/{g.pk}/"),
        "rest": rest_door(lambda g: f"/api/v1/grants/{g.pk}/"),
        "rest list": rest_list_door("/api/v1/grants/"),
        "graphql": graphql_list_door("grants"),
    }
    assert_doors_agree(signed_in, active_grant, "marketplace.view_grant", expect(everyone, SEE), doors)


APPROVE = "mutation($id: ID!) { approveAccessRequest(id: $id) { errors { code } } }"
RENEW = "mutation($id: ID!) { renewGrant(id: $id, days: 10) { errors { code } } }"
APPROVE_DOORS = {
    "page": lambda client, r: client.post(f"/access/requests/{r.pk}/approve/"),
    "rest": lambda client, r: client.post(f"/api/v1/access-requests/{r.pk}/approve/", {},
                                          content_type="application/json"),
    "graphql": lambda client, r: post_graphql(client, APPROVE, id=r.pk),
}
RENEW_DOORS = {
    "page": lambda client, g: client.post(f"/access/grants/{g.pk}/renew/", {"days": 10}),
    "rest": lambda client, g: client.post(f"/api/v1/grants/{g.pk}/renew/", {"days": 10},
                                          content_type="application/json"),
    "graphql": lambda client, g: post_graphql(client, RENEW, id=g.pk),
}


@pytest.mark.django_db
def test_only_the_products_reviewers_approve_a_request_through_any_door(signed_in, everyone, consumer, product):
    request = ask(consumer, product)
    for role, user in everyone.items():
        assert authz.can(user, "marketplace.review_accessrequest", request) is (role in ACT), role
        for door, act in APPROVE_DOORS.items():
            before = state()
            act(signed_in(user), request)
            approved = AccessRequest.objects.get(pk=request.pk).status == "approved"
            assert approved is (role in ACT), (role, door)
            if approved:
                request = ask(consumer, product)  # the next door decides a fresh request
            else:
                assert state() == before, (role, door)


@pytest.mark.django_db
def test_only_the_products_reviewers_renew_a_grant_through_any_door(signed_in, everyone, active_grant):
    for role, user in everyone.items():
        assert authz.can(user, "marketplace.manage_grant", active_grant) is (role in ACT), role
        for door, act in RENEW_DOORS.items():
            before = state()
            act(signed_in(user), active_grant)
            renewed = Grant.objects.get(pk=active_grant.pk).expires_at != before[1][0][2]
            assert renewed is (role in ACT), (role, door)
            if not renewed:
                assert state() == before, (role, door)
