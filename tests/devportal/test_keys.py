"""A consumer with a grant on a published API reads and regenerates their subscription key on their page."""

from loom_portal.models import AuditEvent
from marketplace.services import grants as grant_services


def test_the_consumer_sees_the_key_only_when_asking_and_it_is_the_one_in_apim(
    exposed, apim, consumer, orders_product, grant_for, signed_in
):
    grant = grant_for(consumer, orders_product)
    client = signed_in(consumer)
    sid = grant.api_subscription.apim_subscription_id
    secret = apim.subscriptions[sid].secrets["primaryKey"]

    listing = client.get("/developers/keys/").content.decode()
    assert sid in listing
    page = client.get(f"/developers/keys/{grant.pk}/").content.decode()
    assert secret not in page and 'data-testid="show-keys"' in page

    response = client.post(f"/developers/keys/{grant.pk}/")
    assert response.status_code == 200
    assert f'data-testid="primary-key">{secret}<' in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="apim.subscription_keys_viewed", actor=consumer).count() == 1


def test_the_consumer_regenerates_a_key(exposed, apim, consumer, orders_product, grant_for, signed_in):
    grant = grant_for(consumer, orders_product)
    sid = grant.api_subscription.apim_subscription_id
    before = apim.subscriptions[sid].secrets["primaryKey"]

    response = signed_in(consumer).post(f"/developers/keys/{grant.pk}/regenerate/", {"which": "primary"})

    assert response.status_code == 302
    assert apim.subscriptions[sid].secrets["primaryKey"] != before
    bad = signed_in(consumer).post(f"/developers/keys/{grant.pk}/regenerate/", {"which": "both"})
    assert bad.status_code == 400


def test_nobody_else_reaches_the_key_page(exposed, apim, consumer, orders_product, grant_for, signed_in,
                                          platform_owner, steward, other_tenant_user):
    grant = grant_for(consumer, orders_product)
    apim.requests.clear()
    for user in (platform_owner, steward, other_tenant_user):
        client = signed_in(user)
        assert client.get(f"/developers/keys/{grant.pk}/").status_code == 404
        assert client.post(f"/developers/keys/{grant.pk}/").status_code == 404
        assert client.post(f"/developers/keys/{grant.pk}/regenerate/", {"which": "primary"}).status_code == 404
    assert not [r for r in apim.requests if "listSecrets" in r.path or "regenerate" in r.path]


def test_after_revoke_the_page_shows_the_subscription_suspended_and_no_key(
    exposed, apim, consumer, steward, orders_product, grant_for, signed_in, django_capture_on_commit_callbacks
):
    grant = grant_for(consumer, orders_product)
    with django_capture_on_commit_callbacks(execute=True):
        grant_services.grant_revoke(actor=steward, grant=grant, reason="Project ended")
    client = signed_in(consumer)

    page = client.get(f"/developers/keys/{grant.pk}/").content.decode()
    assert 'data-testid="subscription-state">Suspended<' in page and 'data-testid="show-keys"' not in page
    assert client.post(f"/developers/keys/{grant.pk}/").status_code == 400


def test_the_key_page_explains_when_apim_is_busy(exposed, apim, consumer, orders_product, grant_for, signed_in,
                                                settings):
    grant = grant_for(consumer, orders_product)
    settings.AZURE_RETRY_TOTAL = 0
    apim.throttle_next(retry_after=0, path_contains="listSecrets")

    response = signed_in(consumer).post(f"/developers/keys/{grant.pk}/")

    assert response.status_code == 503
    assert "busy or unavailable" in response.content.decode()
