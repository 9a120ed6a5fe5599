"""Local accounts (django-allauth): email sign-in for demos and break-glass, TOTP available, no self sign-up."""

import pytest

from loom_portal import services
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_a_local_user_signs_in_with_email_and_password(client, consumer):
    response = client.post("/accounts/login/", {"login": "CONSUMER@contoso.example", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and home.context["user"] == consumer


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(client, consumer):
    response = client.post("/accounts/login/", {"login": consumer.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_a_deactivated_user_cannot_sign_in(client, platform_owner, consumer):
    services.user_update(
        actor=platform_owner, user=consumer, first_name="", last_name="", is_active=False,
        is_finance=False, is_domain_owner=False, is_platform_owner=False,
    )
    response = client.post("/accounts/login/", {"login": consumer.email, "password": PASSWORD}, follow=True)
    assert "inactive" in response.content.decode().lower()
    assert not response.context["user"].is_authenticated


@pytest.mark.django_db
def test_there_is_no_self_sign_up(client):
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode() or response.status_code == 404


@pytest.mark.django_db
def test_two_factor_authentication_can_be_set_up_after_signing_in(client, consumer):
    client.post("/accounts/login/", {"login": consumer.email, "password": PASSWORD})
    # Activating an authenticator asks for the password again first.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    client.post(response["Location"], {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    assert len(response.context["form"].secret) >= 16  # the TOTP secret shown as a QR code and text
