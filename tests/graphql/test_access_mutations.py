"""Every access mutation: what it does, and each way it is refused — another tenant's object is NOT_FOUND,
a visible object the caller may not act on is PERMISSION_DENIED, bad input is INVALID naming the argument —
with nothing changed by a refusal."""

from datetime import timedelta

import pytest

from loom_portal.models import AuditEvent, Notification
from marketplace.models import AccessRequest, ApiKey, Grant
from tests.factories import make_user
from tests.graphql.conftest import ask, grant_for, make_product

REQUEST_ACCESS = """
mutation($slug: String!, $purpose: String!, $scope: [ScopeInput!], $days: Int!) {
  requestAccess(slug: $slug, purpose: $purpose, scope: $scope, durationDays: $days) {
    accessRequest { id status } errors { field code message }
  }
}
"""
APPROVE = """
mutation($id: ID!) { approveAccessRequest(id: $id) { accessRequest { id status } errors { field code message } } }
"""
DENY = """
mutation($id: ID!, $reason: String!) {
  denyAccessRequest(id: $id, reason: $reason) { accessRequest { id status decisionReason } errors { field code message } }
}
"""
WITHDRAW = """
mutation($id: ID!) { withdrawAccessRequest(id: $id) { accessRequest { id status } errors { field code message } } }
"""
REVOKE = """
mutation($id: ID!, $reason: String) {
  revokeGrant(id: $id, reason: $reason) { grant { id status statusReason endedAt } errors { field code message } }
}
"""
RENEW = """
mutation($id: ID!, $days: Int!) { renewGrant(id: $id, days: $days) { grant { id expiresAt } errors { field code message } } }
"""
CREATE_KEY = """
mutation($grantId: ID!) { createApiKey(grantId: $grantId) { key apiKey { id } errors { field code message } } }
"""
SCOPE = [{"column": "region", "values": ["EMEA"]}]


def state():
    """Everything an access mutation writes: requests, grants, keys, the audit log and notifications."""
    return (
        list(AccessRequest.objects.order_by("pk").values_list("pk", "status", "decided_by", "decision_reason")),
        list(Grant.objects.order_by("pk").values_list("pk", "status", "expires_at", "ended_at")),
        ApiKey.objects.count(), AuditEvent.objects.count(), Notification.objects.count(),
    )


def refused(body, name, *, entity):
    payload = body["data"][name]
    assert payload[entity] is None, payload
    [error] = payload["errors"]
    return error["code"], error["field"]


# --- What each mutation does ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_consumer_withdraws_their_open_request(gql, open_request, consumer):
    payload = gql(consumer, WITHDRAW, id=open_request.pk)["data"]["withdrawAccessRequest"]
    assert payload == {"accessRequest": {"id": str(open_request.pk), "status": "WITHDRAWN"}, "errors": []}
    assert AuditEvent.objects.filter(action="access_request.withdrawn", actor=consumer).count() == 1


@pytest.mark.django_db
def test_a_steward_denies_with_a_reason_the_consumer_sees(gql, open_request, steward, consumer):
    payload = gql(steward, DENY, id=open_request.pk, reason="Use the aggregated view")["data"]["denyAccessRequest"]
    assert payload["errors"] == []
    assert payload["accessRequest"]["status"] == "DENIED"
    assert payload["accessRequest"]["decisionReason"] == "Use the aggregated view"
    assert Notification.objects.filter(recipient=consumer, title__contains="denied").exists()


@pytest.mark.django_db
def test_a_steward_revokes_a_grant_with_a_reason(gql, active_grant, steward):
    payload = gql(steward, REVOKE, id=active_grant.pk, reason="Project closed")["data"]["revokeGrant"]
    assert payload["errors"] == []
    assert payload["grant"]["status"] == "REVOKED" and payload["grant"]["endedAt"] is not None


@pytest.mark.django_db
def test_the_consumer_gives_up_their_own_grant(gql, active_grant, consumer):
    payload = gql(consumer, REVOKE, id=active_grant.pk)["data"]["revokeGrant"]
    assert payload["errors"] == [] and payload["grant"]["status"] == "REVOKED"


@pytest.mark.django_db
def test_a_steward_renews_a_grant_from_its_expiry(gql, active_grant, steward):
    payload = gql(steward, RENEW, id=active_grant.pk, days=20)["data"]["renewGrant"]
    assert payload["errors"] == []
    assert Grant.objects.get(pk=active_grant.pk).expires_at == active_grant.expires_at + timedelta(days=20)


# --- Another tenant: NOT_FOUND, nothing changes --------------------------------------------------------------


@pytest.mark.django_db
def test_another_tenants_members_find_no_request_grant_or_product(gql, open_request, product, platform_owner,
                                                                  other_tenant_user, other_platform_owner):
    active = grant_for(platform_owner, make_user(open_request.tenant), product)
    before = state()
    for user in (other_tenant_user, other_platform_owner):
        calls = [
            (REQUEST_ACCESS, "requestAccess", "accessRequest", "slug",
             {"slug": product.slug, "purpose": "Quarter-end revenue review", "scope": SCOPE, "days": 30}),
            (APPROVE, "approveAccessRequest", "accessRequest", "id", {"id": open_request.pk}),
            (DENY, "denyAccessRequest", "accessRequest", "id", {"id": open_request.pk, "reason": "No"}),
            (WITHDRAW, "withdrawAccessRequest", "accessRequest", "id", {"id": open_request.pk}),
            (REVOKE, "revokeGrant", "grant", "id", {"id": active.pk, "reason": "No"}),
            (RENEW, "renewGrant", "grant", "id", {"id": active.pk, "days": 10}),
            (CREATE_KEY, "createApiKey", "apiKey", "grantId", {"grantId": active.pk}),
        ]
        for query, name, entity, field, variables in calls:
            assert refused(gql(user, query, **variables), name, entity=entity) == ("NOT_FOUND", field), (user, name)
    assert state() == before


@pytest.mark.django_db
def test_an_id_that_names_nothing_is_not_found(gql, open_request, steward):
    before = state()
    for bad in ("abc", "-1", "999999999", "1" * 40):
        body = gql(steward, APPROVE, id=bad)
        assert refused(body, "approveAccessRequest", entity="accessRequest") == ("NOT_FOUND", "id")
    assert body["data"]["approveAccessRequest"]["errors"][0]["message"] == f"No access request {'1' * 40!r} is visible to you."
    assert state() == before


# --- Visible but not theirs: PERMISSION_DENIED, nothing changes ------------------------------------------------


@pytest.mark.django_db
def test_a_consumer_cannot_decide_their_own_request(gql, open_request, consumer):
    before = state()
    for query, name, variables in ((APPROVE, "approveAccessRequest", {}), (DENY, "denyAccessRequest", {"reason": "x"})):
        body = gql(consumer, query, id=open_request.pk, **variables)
        assert refused(body, name, entity="accessRequest") == ("PERMISSION_DENIED", None)
    assert state() == before


@pytest.mark.django_db
def test_a_steward_cannot_withdraw_the_consumers_request(gql, open_request, steward):
    before = state()
    body = gql(steward, WITHDRAW, id=open_request.pk)
    assert refused(body, "withdrawAccessRequest", entity="accessRequest") == ("PERMISSION_DENIED", None)
    assert state() == before


@pytest.mark.django_db
def test_a_consumer_cannot_renew_their_grant_nor_a_steward_create_their_key(gql, active_grant, consumer, steward):
    before = state()
    assert refused(gql(consumer, RENEW, id=active_grant.pk, days=30), "renewGrant",
                   entity="grant") == ("PERMISSION_DENIED", None)
    body = gql(steward, CREATE_KEY, grantId=active_grant.pk)
    assert refused(body, "createApiKey", entity="apiKey") == ("PERMISSION_DENIED", None)
    assert body["data"]["createApiKey"]["key"] is None
    assert body["data"]["createApiKey"]["errors"][0]["message"] == "Only the consumer the grant belongs to creates its keys."
    assert state() == before


@pytest.mark.django_db
def test_another_consumer_of_the_tenant_finds_neither_the_request_nor_the_grant(gql, product, consumer, steward,
                                                                               other_consumer):
    request = ask(consumer, make_product(steward, product.domain, "Payments", columns=[]), scope={})
    grant = grant_for(steward, consumer, product)
    before = state()
    assert refused(gql(other_consumer, WITHDRAW, id=request.pk), "withdrawAccessRequest",
                   entity="accessRequest") == ("NOT_FOUND", "id")
    assert refused(gql(other_consumer, REVOKE, id=grant.pk), "revokeGrant", entity="grant") == ("NOT_FOUND", "id")
    assert refused(gql(other_consumer, CREATE_KEY, grantId=grant.pk), "createApiKey",
                   entity="apiKey") == ("NOT_FOUND", "grantId")
    assert state() == before


# --- Bad input: INVALID naming the argument, nothing changes --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), [
    ({"purpose": "   "}, "purpose"),
    ({"days": 0}, "durationDays"),
    ({"days": 366}, "durationDays"),
    ({"scope": [{"column": "amount", "values": ["1"]}]}, "scope"),
    ({"scope": [{"column": "region", "values": []}]}, "scope"),
    ({"scope": [{"column": "region", "values": ["EMEA"]}, {"column": "region", "values": ["APAC"]}]}, "scope"),
])
def test_a_request_with_bad_input_is_invalid_and_changes_nothing(gql, product, consumer, changes, field):
    before = state()
    variables = {"slug": product.slug, "purpose": "Quarter-end revenue review", "scope": SCOPE, "days": 30, **changes}
    body = gql(consumer, REQUEST_ACCESS, **variables)
    assert refused(body, "requestAccess", entity="accessRequest") == ("INVALID", field)
    assert state() == before


@pytest.mark.django_db
def test_a_second_open_request_for_the_same_product_is_invalid(gql, open_request, product, consumer):
    before = state()
    body = gql(consumer, REQUEST_ACCESS, slug=product.slug, purpose="Another quarter-end review", scope=SCOPE, days=30)
    assert refused(body, "requestAccess", entity="accessRequest") == ("INVALID", "product")
    assert state() == before


@pytest.mark.django_db
def test_a_deny_without_a_reason_and_a_decided_request_are_invalid(gql, open_request, steward):
    before = state()
    assert refused(gql(steward, DENY, id=open_request.pk, reason="  "), "denyAccessRequest",
                   entity="accessRequest") == ("INVALID", "reason")
    assert state() == before
    gql(steward, APPROVE, id=open_request.pk)
    decided = state()
    assert refused(gql(steward, APPROVE, id=open_request.pk), "approveAccessRequest",
                   entity="accessRequest") == ("INVALID", "status")
    assert state() == decided


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, -5, 366, 10_000])
def test_a_renewal_out_of_range_is_invalid(gql, active_grant, steward, days):
    before = state()
    body = gql(steward, RENEW, id=active_grant.pk, days=days)
    assert refused(body, "renewGrant", entity="grant") == ("INVALID", "days")
    assert state() == before


@pytest.mark.django_db
def test_a_steward_revoking_without_a_reason_and_a_key_for_an_ended_grant_are_invalid(gql, active_grant, steward,
                                                                                     consumer):
    before = state()
    assert refused(gql(steward, REVOKE, id=active_grant.pk), "revokeGrant", entity="grant") == ("INVALID", "reason")
    assert state() == before
    gql(consumer, REVOKE, id=active_grant.pk)
    ended = state()
    assert refused(gql(consumer, CREATE_KEY, grantId=active_grant.pk), "createApiKey",
                   entity="apiKey") == ("INVALID", "grant")
    assert state() == ended
