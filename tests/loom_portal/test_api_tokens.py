"""Personal API tokens: shown once, stored hashed, revocable, and they act as their owner through REST."""

import pytest
from django.core.exceptions import ValidationError

from loom_portal import services, tokens
from loom_portal.models import ApiToken


@pytest.mark.django_db
def test_a_user_creates_a_token_on_the_page_and_sees_it_once(signed_in, consumer):
    client = signed_in(consumer)
    response = client.post("/account/tokens/", {"name": "nightly export", "lifetime_days": "30"})
    plaintext = response.context["issued"].plaintext
    assert plaintext.startswith("loom_pat_")
    stored = ApiToken.objects.get(user=consumer)
    assert plaintext.split("_")[-1] not in stored.secret_hash  # only a hash is kept
    assert plaintext not in client.get("/account/tokens/").content.decode()


@pytest.mark.django_db
def test_a_token_calls_the_rest_api_as_its_owner(client, consumer, domain, other_domain):
    issued = tokens.api_token_create(actor=consumer, name="script")
    response = client.get("/api/v1/domains/", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.status_code == 200
    assert [d["slug"] for d in response.json()["results"]] == ["finance"]
    assert len(response.json()["results"]) == 1  # never the other tenant's Finance domain
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


@pytest.mark.django_db
def test_a_wrong_revoked_or_deactivated_owners_token_is_refused(client, consumer, platform_owner):
    issued = tokens.api_token_create(actor=consumer, name="script")
    wrong = issued.plaintext[:-3] + "xyz"
    assert client.get("/api/v1/domains/", HTTP_AUTHORIZATION=f"Bearer {wrong}").status_code == 401
    tokens.api_token_revoke(actor=consumer, token=issued.token)
    response = client.get("/api/v1/domains/", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    second = tokens.api_token_create(actor=consumer, name="again")
    services.user_update(
        actor=platform_owner, user=consumer, first_name="", last_name="", is_active=False,
        is_finance=False, is_domain_owner=False, is_platform_owner=False,
    )
    assert client.get("/api/v1/domains/", HTTP_AUTHORIZATION=f"Bearer {second.plaintext}").status_code == 401


@pytest.mark.django_db
def test_nobody_else_can_revoke_my_token(signed_in, consumer, platform_owner):
    issued = tokens.api_token_create(actor=consumer, name="script")
    response = signed_in(platform_owner).post(f"/account/tokens/{issued.token.pk}/revoke/")
    assert response.status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


@pytest.mark.django_db
def test_a_token_needs_a_name_and_a_bounded_lifetime(consumer):
    with pytest.raises(ValidationError) as err:
        tokens.api_token_create(actor=consumer, name="  ")
    assert "name" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        tokens.api_token_create(actor=consumer, name="forever", lifetime_days=5000)
    assert "lifetime_days" in err.value.message_dict
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_graphql_accepts_a_token_and_keeps_csrf_for_sessions(consumer, domain):
    from django.test import Client

    issued = tokens.api_token_create(actor=consumer, name="portal")
    strict = Client(enforce_csrf_checks=True)
    query = {"query": "{ viewer { email tenant { slug } } }"}
    response = strict.post("/graphql/", query, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.json()["data"]["viewer"] == {"email": consumer.email, "tenant": {"slug": "contoso"}}
    strict.force_login(consumer, backend="django.contrib.auth.backends.ModelBackend")
    assert strict.post("/graphql/", query, content_type="application/json").status_code == 403  # no CSRF token
    bad = Client().post("/graphql/", query, content_type="application/json", HTTP_AUTHORIZATION="Bearer loom_pat_nope_nope")
    assert bad.status_code == 401


@pytest.mark.django_db
def test_graphiql_is_served_from_the_portal_to_signed_in_browsers(client, signed_in, consumer):
    anonymous = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    page = signed_in(consumer).get("/graphql/", HTTP_ACCEPT="text/html").content.decode()
    assert "/static/vendor/graphiql-3.8.3/graphiql.min.js" in page
    assert "http://" not in page and "https://" not in page
