"""REST for access requests and grants: the same services as the pages, errors name the field, denials change nothing."""

import pytest

from loom_portal.models import AuditEvent
from marketplace.choices import AccessRequestStatus, GrantStatus
from marketplace.models import AccessRequest, Grant
from tests import factories

REQUESTS = "/api/v1/access-requests/"
GRANTS = "/api/v1/grants/"


def ask(client, for_product, **changes):
    body = {"product": for_product.slug, "purpose": "EMEA revenue review", "scope": {"region": ["EMEA"]},
            "duration_days": 30, **changes}
    return client.post(REQUESTS, body, content_type="application/json")


def test_a_consumer_asks_and_a_steward_approves_then_revokes(signed_in, consumer, steward, orders_product,
                                                              django_capture_on_commit_callbacks):
    created = ask(signed_in(consumer), orders_product)
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    assert created.json()["status"] == "requested"

    steward_client = signed_in(steward)
    queue = steward_client.get(REQUESTS, {"role": "to_review"}).json()["results"]
    assert [item["id"] for item in queue] == [request_id]
    with django_capture_on_commit_callbacks(execute=True):
        approved = steward_client.post(f"{REQUESTS}{request_id}/approve/", {}, content_type="application/json")
    assert approved.status_code == 200
    grant_id = approved.json()["grant_id"]
    assert Grant.objects.get(pk=grant_id).status == GrantStatus.ACTIVE

    no_reason = steward_client.post(f"{GRANTS}{grant_id}/revoke/", {}, content_type="application/json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    revoked = steward_client.post(f"{GRANTS}{grant_id}/revoke/", {"reason": "Project over"},
                                  content_type="application/json")
    assert revoked.json()["status"] == "revoked"


def test_bad_input_is_400_naming_the_field_and_saves_nothing(signed_in, consumer, orders_product):
    client = signed_in(consumer)
    for changes, field in [({"purpose": ""}, "purpose"), ({"scope": {"amount": ["1"]}}, "scope"),
                           ({"duration_days": 0}, "duration_days"), ({"duration_days": "x"}, "duration_days"),
                           ({"scope": "EMEA"}, "scope"), ({"product": "no-such-product"}, None)]:
        response = ask(client, orders_product, **changes)
        if field is None:
            assert response.status_code == 404
        else:
            assert response.status_code == 400, (changes, response.content)
            assert field in response.json(), response.json()
    assert not AccessRequest.objects.exists()
    assert client.get(REQUESTS, {"status": "maybe"}).json() == {"status": ["Choose one of: requested, approved, denied, withdrawn."]}


def test_a_consumer_cannot_approve_and_nothing_changes(signed_in, consumer, tenant, orders_product):
    asker = factories.make_user(tenant, "asker@contoso.example")
    request_id = ask(signed_in(asker), orders_product).json()["id"]
    response = signed_in(consumer).post(f"{REQUESTS}{request_id}/approve/", {}, content_type="application/json")
    assert response.status_code == 404
    assert AccessRequest.objects.get(pk=request_id).status == AccessRequestStatus.REQUESTED
    assert not AuditEvent.objects.filter(action__startswith="access_request.approv").exists()


def test_the_requester_cannot_approve_their_own_request(signed_in, steward, orders_product):
    client = signed_in(steward)
    request_id = ask(client, orders_product).json()["id"]
    response = client.post(f"{REQUESTS}{request_id}/approve/", {}, content_type="application/json")
    assert response.status_code == 403
    assert not Grant.objects.exists()


def test_deny_needs_a_reason_and_withdraw_is_the_requesters(signed_in, consumer, steward, orders_product):
    request_id = ask(signed_in(consumer), orders_product).json()["id"]
    steward_client = signed_in(steward)
    assert steward_client.post(f"{REQUESTS}{request_id}/withdraw/").status_code == 403
    missing = steward_client.post(f"{REQUESTS}{request_id}/deny/", {}, content_type="application/json")
    assert missing.status_code == 400 and "reason" in missing.json()
    denied = steward_client.post(f"{REQUESTS}{request_id}/deny/", {"reason": "Use the summary"},
                                 content_type="application/json")
    assert denied.json()["status"] == "denied"


def test_renew_and_keys_through_rest(signed_in, consumer, steward, orders_product, django_capture_on_commit_callbacks):
    request_id = ask(signed_in(consumer), orders_product).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        grant_id = signed_in(steward).post(f"{REQUESTS}{request_id}/approve/").json()["grant_id"]
    steward_client = signed_in(steward)
    too_long = steward_client.post(f"{GRANTS}{grant_id}/renew/", {"days": 400}, content_type="application/json")
    assert too_long.status_code == 400 and "days" in too_long.json()
    assert steward_client.post(f"{GRANTS}{grant_id}/renew/", {"days": 30}, content_type="application/json").status_code == 200
    assert steward_client.post(f"{GRANTS}{grant_id}/keys/", {}, content_type="application/json").status_code == 403

    consumer_client = signed_in(consumer)
    issued = consumer_client.post(f"{GRANTS}{grant_id}/keys/", {"name": "etl"}, content_type="application/json")
    assert issued.status_code == 201
    key = issued.json()["key"]
    rows = consumer_client.get(f"/data/v1/products/{orders_product.slug}/rows", HTTP_X_API_KEY=key)
    assert {r["region"] for r in rows.json()["rows"]} == {"EMEA"}
    mine = consumer_client.get(GRANTS, {"role": "mine"}).json()["results"]
    assert [g["id"] for g in mine] == [grant_id]


@pytest.mark.parametrize("url", [REQUESTS, GRANTS])
def test_another_tenant_sees_none_of_it(signed_in, consumer, orders_product, other_tenant_user, url):
    ask(signed_in(consumer), orders_product)
    assert signed_in(other_tenant_user).get(url).json()["results"] == []
