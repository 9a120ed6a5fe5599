"""Shared fixtures: a tenant with one user per role, and a second tenant to prove isolation."""

import os

import pytest

from tests import factories


@pytest.fixture
def tenant(db):
    return factories.make_tenant("Contoso Federal", slug="contoso")


@pytest.fixture
def other_tenant(db):
    return factories.make_tenant("Fabrikam Defense", slug="fabrikam")


@pytest.fixture
def platform_owner(tenant):
    return factories.make_user(tenant, "admin@contoso.example", is_platform_owner=True)


@pytest.fixture
def consumer(tenant):
    return factories.make_user(tenant, "consumer@contoso.example")


@pytest.fixture
def finance(tenant):
    return factories.make_user(tenant, "finance@contoso.example", is_finance=True)


@pytest.fixture
def domain(platform_owner):
    return factories.make_domain(platform_owner, "Finance", slug="finance", description="Ledgers and payments")


@pytest.fixture
def workspace(platform_owner, domain):
    return factories.make_workspace(platform_owner, domain, "contoso-fin-ledger", name="Ledger analytics")


@pytest.fixture
def steward(tenant, platform_owner, domain):
    return factories.make_steward(platform_owner, domain, factories.make_user(tenant, "steward@contoso.example"))


@pytest.fixture
def domain_owner(tenant, platform_owner, domain):
    user = factories.make_user(tenant, "owner@contoso.example", is_domain_owner=True)
    return factories.make_owner(platform_owner, domain, user)


@pytest.fixture
def other_platform_owner(other_tenant):
    return factories.make_user(other_tenant, "admin@fabrikam.example", is_platform_owner=True)


@pytest.fixture
def other_tenant_user(other_tenant):
    return factories.make_user(other_tenant, "consumer@fabrikam.example")


@pytest.fixture
def other_domain(other_platform_owner):
    return factories.make_domain(other_platform_owner, "Finance", slug="finance", description="Fabrikam's ledgers")


@pytest.fixture
def signed_in(client):
    """``signed_in(user)`` returns the test client signed in as ``user``."""

    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


def on_postgres():
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


requires_postgres = pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL (make test)")


@pytest.fixture
def published_product(platform_owner, domain):
    """A published data product of the Finance domain, with a scopable column (built through the services)."""
    from marketplace import services as product_services

    product = product_services.product_create(
        actor=platform_owner, domain=domain, name="General ledger entries", tags=["ledger"],
        columns=[{"name": "entry_id", "data_type": "bigint"}, {"name": "region", "data_type": "text", "is_scopable": True}],
    )
    return product_services.product_publish(actor=platform_owner, product=product)
