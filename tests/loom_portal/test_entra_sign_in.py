"""Microsoft Entra ID sign-in, end to end.

Each test runs the real OpenID Connect authorization-code round trip: the portal
(Django test client) redirects to a loopback OpenID provider (oidc-provider-mock),
the person picks an identity on its authorize form (requests), and the portal's
callback exchanges the code for a signed ID token, verifies it against the
provider's JWKS and signs the person in. Entra's own claims (tid, oid, roles,
groups, iss per tenant) are set on the provider's user through ``PUT /users/{sub}``.
"""

import socket
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection, transaction
from oidc_provider_mock import run_server_in_thread

from loom_portal import authz, identity, services
from loom_portal.models import AuditEvent, Tenant, User
from tests import factories

CLIENT_ID = "0b7a4d1e-portal-client"
CLIENT_SECRET = "portal-client-secret"


@pytest.fixture(scope="module")
def provider():
    """The identity provider the portal trusts."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def impostor():
    """A second provider with its own signing keys, which the portal does not trust."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


class Entra:
    """Drives sign-in through the provider the portal is configured for."""

    def __init__(self, provider: str, settings):
        self.provider = provider
        self.settings = settings
        self.tid = str(uuid.uuid4())  # an allow-listed Entra tenant
        settings.OIDC_ENABLED = True
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_VERIFY_KID = False
        settings.OIDC_OP_ISSUER = f"{provider}/{{tid}}/v2.0"  # Entra's multi-tenant issuer shape
        settings.ENTRA_ALLOWED_TENANT_IDS = [self.tid]
        self.use(authorize_and_token=provider, jwks=provider)

    def use(self, *, authorize_and_token: str, jwks: str) -> None:
        self.settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{authorize_and_token}/oauth2/authorize"
        self.settings.OIDC_OP_TOKEN_ENDPOINT = f"{authorize_and_token}/oauth2/token"
        self.settings.OIDC_OP_JWKS_ENDPOINT = f"{jwks}/jwks"

    def issuer(self, tid: str) -> str:
        return f"{self.provider}/{tid}/v2.0"

    def person(
        self, *, at: str | None = None, tid: str | None = None, oid: str | None = None, **claims
    ) -> dict:
        """Register a person at the provider ``at`` (default: the trusted one); returns their claims with ``sub``."""
        tid = tid or self.tid
        values = {
            "tid": tid,
            "oid": oid or str(uuid.uuid4()),
            "iss": self.issuer(tid),
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@contoso.example",
            "roles": [],
            "groups": [],
            **claims,
        }
        return self.change({"sub": f"sub-{uuid.uuid4()}"}, at=at, **values)

    def change(self, person: dict, *, at: str | None = None, **changes) -> dict:
        """Set the person's claims at the provider (a claim set to None is removed); returns them with ``sub``."""
        claims = {k: v for k, v in {**person, **changes}.items() if v is not None and k != "sub"}
        response = requests.put(f"{at or self.provider}/users/{person['sub']}", json=claims, timeout=10)
        assert response.status_code == 204, response.text
        return {**claims, "sub": person["sub"]}

    def start(self, client):
        """GET /oidc/authenticate/: the portal sends the browser to the provider's authorize URL."""
        response = client.get("/oidc/authenticate/")
        assert response.status_code == 302
        assert response["Location"].startswith(self.settings.OIDC_OP_AUTHORIZATION_ENDPOINT + "?")
        return response["Location"]

    def authorize(self, authorize_url: str, person: dict) -> str:
        """The person signs in on the provider's form; returns the portal callback path with code and state."""
        response = requests.post(
            authorize_url, data={"sub": person["sub"]}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.text
        callback = urlsplit(response.headers["Location"])
        assert callback.path == "/oidc/callback/"
        assert {"code", "state"} <= set(parse_qs(callback.query))
        return f"{callback.path}?{callback.query}"

    def sign_in(self, client, person: dict):
        """The whole round trip; returns the portal's response to the callback."""
        return client.get(self.authorize(self.start(client), person))

    def sign_in_from(self, client, start, person: dict):
        """The round trip after the portal's response ``start`` to GET /oidc/authenticate/?..."""
        assert start.status_code == 302
        return client.get(self.authorize(start["Location"], person))


@pytest.fixture
def entra(settings, provider, db):
    return Entra(provider, settings)


def refusals(code: str):
    return AuditEvent.objects.filter(action="user.sign_in_refused", data__code=code)


def assert_refused(response, client, message: str):
    assert response.status_code == 403
    body = response.content.decode()
    assert "Sign-in refused" in body
    assert message in body
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_a_round_trip_signs_a_new_user_in_with_roles_from_app_roles(client, entra):
    person = entra.person(
        given_name="Grace", family_name="Hopper", email="grace@contoso.example", roles=["Loom.Finance"]
    )

    response = entra.sign_in(client, person)

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(entra_object_id=person["oid"])
    assert str(user.tenant.entra_tenant_id) == entra.tid
    assert (user.email, user.first_name, user.last_name) == ("grace@contoso.example", "Grace", "Hopper")
    assert user.is_finance and not user.is_platform_owner and not user.is_staff
    assert not user.has_usable_password()
    home = client.get("/")
    assert home.status_code == 200 and home.wsgi_request.user == user
    assert "Welcome, Grace" in home.content.decode()
    assert AuditEvent.objects.filter(action="user.created_from_entra", target_id=str(user.pk)).count() == 1
    assert AuditEvent.objects.filter(action="user.signed_in", actor=user, data__method="entra").count() == 1


def test_a_second_sign_in_reuses_the_user_and_refreshes_roles(client, entra):
    person = entra.person(roles=["Loom.Finance", "Loom.PlatformOwner"])
    entra.sign_in(client, person)
    user = User.objects.get(entra_object_id=person["oid"])
    assert user.is_finance and user.is_platform_owner and user.is_staff

    # The Finance app role is removed in Entra and the display name changes.
    entra.change(person, roles=["Loom.PlatformOwner"], given_name="Augusta")
    client.logout()
    response = entra.sign_in(client, person)

    assert response.status_code == 302
    assert User.objects.filter(entra_object_id=person["oid"]).count() == 1
    user.refresh_from_db()
    assert not user.is_finance
    assert user.is_platform_owner and user.is_staff
    assert user.first_name == "Augusta"
    assert client.get("/").wsgi_request.user == user
    changed = (
        AuditEvent.objects.filter(action="user.roles_changed", target_id=str(user.pk)).order_by("pk").last()
    )
    assert changed.data == {"source": "entra", "is_finance": False}


def test_users_are_matched_on_object_and_tenant_ids_never_on_email(client, entra):
    # A local user with the same email address exists in another tenant.
    other = factories.make_tenant("Fabrikam")
    local = factories.make_user(other, "ada@contoso.example", is_platform_owner=True)
    person = entra.person(email="ada@contoso.example")

    entra.sign_in(client, person)

    signed_in = client.get("/").wsgi_request.user
    assert signed_in.pk != local.pk
    assert signed_in.entra_object_id == uuid.UUID(person["oid"])
    assert str(signed_in.tenant.entra_tenant_id) == entra.tid
    assert not signed_in.is_platform_owner
    local.refresh_from_db()
    assert local.entra_object_id is None and local.tenant == other


def test_a_local_account_with_the_same_email_in_the_same_tenant_is_not_taken_over(client, entra):
    tenant = factories.make_tenant("Contoso", entra_tenant_id=uuid.UUID(entra.tid))
    local = factories.make_user(tenant, "ada@contoso.example", is_finance=True)

    entra.sign_in(client, entra.person(email="ada@contoso.example"))

    signed_in = client.get("/").wsgi_request.user
    assert signed_in.pk != local.pk and not signed_in.is_finance
    local.refresh_from_db()
    assert local.entra_object_id is None and local.is_finance


def test_the_domain_owner_app_role_maps_and_unknown_roles_are_ignored(client, entra):
    entra.sign_in(client, entra.person(roles=["Loom.DomainOwner", "Other.App.Admin"]))

    user = client.get("/").wsgi_request.user
    assert user.is_domain_owner
    assert not (user.is_finance or user.is_platform_owner or user.is_staff or user.is_superuser)


def test_the_same_object_id_in_another_tenant_is_another_user(client, entra, settings):
    second_tid = str(uuid.uuid4())
    settings.ENTRA_ALLOWED_TENANT_IDS = [entra.tid, second_tid]
    oid = str(uuid.uuid4())
    entra.sign_in(client, entra.person(oid=oid))
    client.logout()
    entra.sign_in(client, entra.person(oid=oid, tid=second_tid))

    users = User.objects.filter(entra_object_id=oid)
    assert sorted(str(u.tenant.entra_tenant_id) for u in users) == sorted([entra.tid, second_tid])


def test_a_tenant_not_on_the_allow_list_is_refused_and_nothing_is_created(client, entra):
    stranger_tid = str(uuid.uuid4())
    tenants_before, users_before = Tenant.objects.count(), User.objects.count()

    response = entra.sign_in(client, entra.person(tid=stranger_tid))

    assert_refused(response, client, "Your organisation is not registered with this portal")
    assert (Tenant.objects.count(), User.objects.count()) == (tenants_before, users_before)
    assert not Tenant.objects.filter(entra_tenant_id=stranger_tid).exists()
    refusal = refusals("unknown_tenant").get()
    assert refusal.data["detail"] == stranger_tid and refusal.tenant is None


def test_a_registered_tenant_signs_in_without_being_on_the_allow_list(client, entra, settings):
    registered = factories.make_tenant("Contoso", entra_tenant_id=uuid.uuid4())
    settings.ENTRA_ALLOWED_TENANT_IDS = []

    response = entra.sign_in(client, entra.person(tid=str(registered.entra_tenant_id)))

    assert response.status_code == 302
    assert client.get("/").wsgi_request.user.tenant == registered


def test_an_allow_listed_tenant_is_created_on_first_sign_in(client, entra):
    assert not Tenant.objects.filter(entra_tenant_id=entra.tid).exists()

    entra.sign_in(client, entra.person())
    client.logout()
    entra.sign_in(client, entra.person())

    tenant = Tenant.objects.get(entra_tenant_id=entra.tid)
    assert tenant.is_active
    assert tenant.users.count() == 2
    assert AuditEvent.objects.filter(action="tenant.created", target_id=str(tenant.pk)).count() == 1


def test_a_token_for_another_application_is_refused(client, entra):
    response = entra.sign_in(client, entra.person(aud="11111111-another-application"))

    assert_refused(response, client, "Your sign-in token was issued for another application.")
    assert not User.objects.exists()
    assert refusals("wrong_audience").count() == 1


def test_a_token_whose_issuer_is_not_its_tenant_is_refused(client, entra):
    # The token claims the allow-listed tenant but was issued by another tenant's issuer.
    person = entra.person(iss=entra.issuer(str(uuid.uuid4())))

    response = entra.sign_in(client, person)

    assert_refused(response, client, "Your sign-in token comes from an unexpected issuer.")
    assert not User.objects.exists()
    assert refusals("wrong_issuer").count() == 1


def test_a_token_from_an_untrusted_issuer_is_refused(client, entra, settings):
    settings.OIDC_OP_ISSUER = "https://login.microsoftonline.com/{tid}/v2.0"

    response = entra.sign_in(client, entra.person())

    assert_refused(response, client, "Your sign-in token comes from an unexpected issuer.")
    assert not User.objects.exists()


def test_a_token_signed_with_keys_the_portal_does_not_trust_is_refused(client, entra, impostor):
    # The impostor issues a token with the trusted issuer, tenant and audience, signed with its own key;
    # the portal verifies signatures against the trusted provider's JWKS.
    entra.use(authorize_and_token=impostor, jwks=entra.provider)
    person = entra.person(at=impostor, roles=["Loom.PlatformOwner"])

    response = entra.sign_in(client, person)

    assert_refused(response, client, "Your sign-in token could not be verified.")
    assert not User.objects.exists() and not Tenant.objects.exists()
    assert refusals("token_invalid").count() == 1


def test_an_expired_token_is_refused(client, entra):
    response = entra.sign_in(client, entra.person(exp=1_000_000_000))

    assert_refused(response, client, "Your sign-in token has expired.")
    assert not User.objects.exists()


def test_a_disabled_user_is_refused_with_a_clear_message(client, entra):
    person = entra.person()
    entra.sign_in(client, person)
    user = User.objects.get(entra_object_id=person["oid"])
    admin = factories.make_user(user.tenant, "admin@contoso.example", is_platform_owner=True)
    services.user_update(
        actor=admin,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        is_active=False,
        is_finance=False,
        is_domain_owner=False,
        is_platform_owner=False,
    )
    client.logout()

    response = entra.sign_in(client, person)

    assert_refused(response, client, "Your account is disabled. Contact your platform owner.")
    assert refusals("user_disabled").get().tenant == user.tenant


def test_a_disabled_tenant_is_refused(client, entra):
    tenant = factories.make_tenant("Suspended", entra_tenant_id=uuid.UUID(entra.tid))
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)

    response = entra.sign_in(client, entra.person())

    assert_refused(response, client, "Your organisation&#x27;s access to this portal is suspended.")
    assert not User.objects.filter(tenant=tenant).exists()
    assert refusals("tenant_disabled").get().tenant == tenant


@pytest.mark.parametrize(
    ("claims", "code", "message"),
    [
        ({"oid": None}, "missing_claims", "Your sign-in token has no &#x27;oid&#x27; claim"),
        ({"tid": None}, "missing_claims", "Your sign-in token has no &#x27;tid&#x27; claim"),
        (
            {"oid": "not-a-guid"},
            "malformed_claims",
            "Your sign-in token&#x27;s &#x27;oid&#x27; claim is not a valid identifier.",
        ),
    ],
    ids=["no-oid", "no-tid", "malformed-oid"],
)
def test_a_token_without_a_usable_identity_is_refused(client, entra, claims, code, message):
    person = entra.change(entra.person(), **claims)

    response = entra.sign_in(client, person)

    assert_refused(response, client, message)
    assert not User.objects.exists() and not Tenant.objects.exists()
    assert refusals(code).count() == 1


def test_a_callback_with_an_unknown_state_shows_the_took_too_long_page(client, entra):
    callback = entra.authorize(entra.start(client), entra.person())
    entra.start(client)  # a second sign-in started in another window
    forged = callback.replace("state=", "state=x", 1)

    response = client.get(forged)

    assert_refused(response, client, "Your sign-in took too long")
    assert not User.objects.exists()
    assert refusals("expired_state").count() == 1


def test_a_callback_after_the_session_expired_shows_the_took_too_long_page(client, entra):
    callback = entra.authorize(entra.start(client), entra.person())
    client.cookies.clear()  # the session is gone

    response = client.get(callback)

    assert_refused(response, client, "Your sign-in took too long")
    assert not User.objects.exists()


def test_a_sign_in_the_person_declines_at_the_provider_is_refused(client, entra):
    authorize_url = entra.start(client)
    response = requests.post(authorize_url, data={"action": "deny"}, allow_redirects=False, timeout=10)
    callback = urlsplit(response.headers["Location"])

    response = client.get(f"{callback.path}?{callback.query}")

    assert_refused(response, client, "The identity provider refused the sign-in")
    assert refusals("provider_error").count() == 1


def test_group_claims_make_the_user_steward_of_the_matching_domains(client, entra):
    tenant = factories.make_tenant("Contoso", entra_tenant_id=uuid.UUID(entra.tid))
    admin = factories.make_user(tenant, "admin@contoso.example", is_platform_owner=True)
    group = uuid.uuid4()
    ledgers = factories.make_domain(admin, "Ledgers", entra_group_id=group)
    payroll = factories.make_domain(admin, "Payroll", entra_group_id=uuid.uuid4())

    entra.sign_in(client, entra.person(groups=[str(group), str(uuid.uuid4())]))

    user = client.get("/").wsgi_request.user
    assert authz.can(user, "domains.steward_domain", ledgers)
    assert not authz.can(user, "domains.steward_domain", payroll)
    assert not authz.can(user, "domains.manage_stewards", ledgers)  # a steward, not an owner


def test_a_domain_owner_in_a_domains_group_owns_that_domain(client, entra):
    tenant = factories.make_tenant("Contoso", entra_tenant_id=uuid.UUID(entra.tid))
    admin = factories.make_user(tenant, "admin@contoso.example", is_platform_owner=True)
    group = uuid.uuid4()
    ledgers = factories.make_domain(admin, "Ledgers", entra_group_id=group)

    entra.sign_in(client, entra.person(roles=["Loom.DomainOwner"], groups=[str(group)]))

    user = client.get("/").wsgi_request.user
    assert authz.can(user, "domains.steward_domain", ledgers)
    assert authz.can(user, "domains.manage_stewards", ledgers)


def test_a_user_disabled_while_signed_in_is_signed_out(client, entra):
    person = entra.person()
    entra.sign_in(client, person)
    user = User.objects.get(entra_object_id=person["oid"])
    admin = factories.make_user(user.tenant, "admin@contoso.example", is_platform_owner=True)
    services.user_update(
        actor=admin,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        is_active=False,
        is_finance=False,
        is_domain_owner=False,
        is_platform_owner=False,
    )

    response = client.get("/")

    assert not response.wsgi_request.user.is_authenticated
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_code_the_provider_does_not_accept_is_refused(client, entra, impostor):
    # The code comes from another provider, so the trusted token endpoint answers invalid_grant.
    entra.settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{impostor}/oauth2/authorize"

    response = entra.sign_in(client, entra.person(at=impostor))

    assert_refused(response, client, "The identity provider did not accept this sign-in. Start again.")
    assert "invalid_grant" in refusals("code_rejected").get().data["detail"]
    assert not User.objects.exists()


def test_an_unreachable_provider_is_refused_with_a_clear_message(client, entra):
    callback = entra.authorize(entra.start(client), entra.person())
    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    entra.settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{port}/oauth2/token"

    response = client.get(callback)

    assert_refused(response, client, "The identity provider could not be reached. Try again.")
    assert refusals("provider_unreachable").count() == 1


def test_sign_in_returns_to_the_page_asked_for_on_this_site_only(client, entra):
    person = entra.person()
    start = client.get("/oidc/authenticate/?next=/domains/")
    assert entra.sign_in_from(client, start, person)["Location"] == "/domains/"
    client.logout()
    start = client.get("/oidc/authenticate/?next=https://evil.example/")
    assert entra.sign_in_from(client, start, person)["Location"] == "/"


def test_the_login_page_offers_entra_sign_in_when_enabled(client, entra, settings):
    assert 'data-testid="entra-sign-in"' in client.get("/accounts/login/").content.decode()
    settings.OIDC_ENABLED = False
    assert 'data-testid="entra-sign-in"' not in client.get("/accounts/login/").content.decode()


def test_entra_sign_in_pages_do_not_exist_when_disabled(client, entra, settings):
    callback = entra.authorize(entra.start(client), entra.person())
    settings.OIDC_ENABLED = False

    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get(callback).status_code == 404
    assert not User.objects.exists()


def _run_two_sign_ins_that_overlap(first_claims: dict, second_claims: dict):
    """The first sign-in writes but has not committed when the second one starts; the second one
    blocks on the database until the first commits. Returns both users (or the exceptions raised)."""
    results, first_done, may_commit = {}, threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                results["first"] = identity.entra_sign_in(claims=first_claims)
                first_done.set()
                may_commit.wait()
        except Exception as exc:  # reported by the assertions below
            results["first"] = exc
        finally:
            first_done.set()
            connection.close()

    def second():
        try:
            results["second"] = identity.entra_sign_in(claims=second_claims)
        except Exception as exc:
            results["second"] = exc
        finally:
            connection.close()

    def second_is_waiting_for_a_lock() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] > 0

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    first_done.wait()
    threads[1].start()
    for _ in range(3000):  # until the second sign-in is blocked by the first one's rows
        if second_is_waiting_for_a_lock() or not threads[1].is_alive():
            break
        threads[1].join(0.01)
    may_commit.set()
    for thread in threads:
        thread.join()
    return results["first"], results["second"]


def _claims(tid: str, oid: str) -> dict:
    return {
        "tid": tid,
        "oid": oid,
        "given_name": "Ada",
        "email": "ada@contoso.example",
        "roles": ["Loom.Finance"],
    }


@pytest.mark.django_db(transaction=True)
def test_two_people_of_a_new_tenant_signing_in_at_the_same_moment_share_one_tenant(settings):
    tid = str(uuid.uuid4())
    settings.ENTRA_ALLOWED_TENANT_IDS = [tid]

    first, second = _run_two_sign_ins_that_overlap(
        _claims(tid, str(uuid.uuid4())), _claims(tid, str(uuid.uuid4()))
    )

    assert isinstance(first, User) and isinstance(second, User), (first, second)
    assert first.pk != second.pk and first.tenant_id == second.tenant_id
    assert Tenant.objects.filter(entra_tenant_id=tid).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_person_signing_in_twice_at_the_same_moment_is_one_user(settings):
    tenant = factories.make_tenant("Contoso", entra_tenant_id=uuid.uuid4())
    claims = _claims(str(tenant.entra_tenant_id), str(uuid.uuid4()))

    first, second = _run_two_sign_ins_that_overlap(claims, claims)

    assert isinstance(first, User) and isinstance(second, User), (first, second)
    assert first.pk == second.pk
    assert User.objects.filter(entra_object_id=claims["oid"]).count() == 1
    assert AuditEvent.objects.filter(action="user.created_from_entra", target_id=str(first.pk)).count() == 1
