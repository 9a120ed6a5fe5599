"""The access pages: ask on the product page, decide in the queue, keys in My access, act on a grant."""

import re

from marketplace.choices import AccessRequestStatus, GrantStatus
from marketplace.models import AccessRequest, ApiKey, Grant
from marketplace.services import access
from tests import factories


def ask_form(client, product, **changes):
    data = {"purpose": "EMEA revenue review for Q3", "duration_days": "30", "scope_region": "EMEA",
            "scope_country": "", **changes}
    return client.post(f"/access/request/{product.slug}/", data)


def test_the_product_page_offers_request_access(signed_in, consumer, orders_product):
    page = signed_in(consumer).get(f"/catalog/{orders_product.slug}/").content.decode()
    assert f'href="/access/request/{orders_product.slug}/"' in page
    assert 'data-testid="usage-chart"' in page


def test_a_consumer_asks_with_the_form(signed_in, consumer, orders_product):
    client = signed_in(consumer)
    form = client.get(f"/access/request/{orders_product.slug}/").content.decode()
    assert 'name="scope_region"' in form and 'name="scope_country"' in form
    response = ask_form(client, orders_product)
    assert response.status_code == 302 and response["Location"] == "/access/"
    request = AccessRequest.objects.get()
    assert (request.scope, request.duration_days) == ({"region": ["EMEA"]}, 30)
    page = client.get("/access/").content.decode()
    assert "region in EMEA" in page and "Requested" in page


def test_the_form_shows_what_is_wrong_and_saves_nothing(signed_in, consumer, orders_product):
    client = signed_in(consumer)
    for changes, message in [({"purpose": "x"}, "at least 10 characters"), ({"duration_days": "999"}, "less than or equal to 365"),
                             ({"scope_region": "", "all_rows": ""}, "at least one column"),
                             ({"all_rows": "on"}, "either all rows or values")]:
        response = ask_form(client, orders_product, **changes)
        assert response.status_code == 400, changes
        assert message in response.content.decode(), (changes, message)
    assert not AccessRequest.objects.exists()


def test_a_steward_bulk_approves_from_the_queue(signed_in, tenant, steward, orders_product,
                                                django_capture_on_commit_callbacks):
    askers = [factories.make_user(tenant, f"analyst{i}@contoso.example") for i in range(2)]
    requests = [access.access_request_create(actor=a, product=orders_product, purpose="EMEA revenue review",
                                             scope={"region": ["EMEA"]}, duration_days=10) for a in askers]
    client = signed_in(steward)
    queue = client.get("/access/queue/").content.decode()
    assert all(f'data-request="{r.pk}"' in queue for r in requests)
    assert "analyst0@contoso.example" in queue and "EMEA revenue review" in queue
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/access/requests/0/approve/", {"ids": [r.pk for r in requests]})
    assert response.status_code == 302
    assert set(AccessRequest.objects.values_list("status", flat=True)) == {AccessRequestStatus.APPROVED}
    assert set(Grant.objects.values_list("status", flat=True)) == {GrantStatus.ACTIVE}
    assert 'data-testid="queue-empty"' in client.get("/access/queue/").content.decode()


def test_bulk_deny_needs_a_reason(signed_in, consumer, steward, orders_product):
    request = access.access_request_create(actor=consumer, product=orders_product, purpose="EMEA revenue review",
                                           scope={"region": ["EMEA"]}, duration_days=10)
    client = signed_in(steward)
    response = client.post("/access/requests/0/deny/", {"ids": [request.pk], "reason": ""}, follow=True)
    assert "Say why the request is denied" in response.content.decode()
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.REQUESTED


def test_a_consumer_creates_a_key_that_is_shown_once(signed_in, consumer, steward, orders_product,
                                                      django_capture_on_commit_callbacks):
    request = access.access_request_create(actor=consumer, product=orders_product, purpose="EMEA revenue review",
                                           scope={"region": ["EMEA"]}, duration_days=10)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=steward, request=request)
    client = signed_in(consumer)
    page = client.post(f"/access/grants/{request.grant.pk}/create-key/", {"name": "notebook"}, follow=True)
    shown = re.search(r'data-testid="api-key-plaintext">(loom_key_[^<]+)<', page.content.decode()).group(1)
    assert ApiKey.objects.get().name == "notebook"
    assert shown not in client.get("/access/").content.decode()  # shown once
    rows = client.get(f"/data/v1/products/{orders_product.slug}/rows", HTTP_X_API_KEY=shown).json()["rows"]
    assert {r["region"] for r in rows} == {"EMEA"}


def test_a_steward_revokes_on_the_grant_page(signed_in, consumer, steward, orders_product,
                                             django_capture_on_commit_callbacks):
    request = access.access_request_create(actor=consumer, product=orders_product, purpose="EMEA revenue review",
                                           scope={"region": ["EMEA"]}, duration_days=10)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=steward, request=request)
    client = signed_in(steward)
    page = client.get(f"/access/grants/{request.grant.pk}/").content.decode()
    assert "No queries in 60 days" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/access/grants/{request.grant.pk}/revoke/", {"reason": "Left the project"})
    assert Grant.objects.get().status == GrantStatus.REVOKED


def test_the_queue_link_shows_for_reviewers_only(signed_in, consumer, steward, orders_product):
    assert 'data-nav="access-queue"' in signed_in(steward).get("/access/").content.decode()
    assert 'data-nav="access-queue"' not in signed_in(consumer).get("/access/").content.decode()
