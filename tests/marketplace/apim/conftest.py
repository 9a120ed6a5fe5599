"""APIM fixtures: the API Management double wired into settings, a tier, and real grants.

Grants are made through the real access services against the live PostgreSQL serving database
(the fixtures of tests/marketplace/access), so a grant is active because the engine enforced it.
"""

import pytest

from marketplace.apim import services as apim_services
from marketplace.services import access
from tests.doubles import apim as apim_double
from tests.marketplace.access.conftest import orders_product, serving, serving_database  # noqa: F401 - fixtures

PORTAL = "https://portal.contoso.example"


@pytest.fixture
def apim(settings):
    """The APIM double; every client the portal builds talks to it with a static token."""
    with apim_double.ApimDouble(page_size=2) as double:
        settings.AZURE_MANAGEMENT_URL = double.url
        settings.AZURE_STATIC_TOKEN = "static-test-token"
        settings.AZURE_RETRY_BACKOFF_FACTOR = 0
        settings.AZURE_RETRY_MAX_WAIT = 5
        settings.AZURE_RETRY_TOTAL = 3
        settings.APIM_SUBSCRIPTION_ID = apim_double.SUBSCRIPTION_ID
        settings.APIM_RESOURCE_GROUP = apim_double.RESOURCE_GROUP
        settings.APIM_SERVICE_NAME = apim_double.SERVICE_NAME
        settings.APIM_POLLING_INTERVAL = 0
        settings.APIM_GATEWAY_URL = "https://loom-apim.azure-api.net"
        settings.PORTAL_BASE_URL = PORTAL
        yield double


@pytest.fixture
def bronze(platform_owner):
    return apim_services.api_tier_create(actor=platform_owner, name="Bronze", rate_limit_calls=100,
                                         rate_limit_period_seconds=60, quota_calls=10000, quota_period_seconds=86400)


@pytest.fixture
def gold(platform_owner):
    return apim_services.api_tier_create(actor=platform_owner, name="Gold", rate_limit_calls=1000,
                                         rate_limit_period_seconds=60, quota_calls=1000000, quota_period_seconds=86400)


@pytest.fixture
def expose(django_capture_on_commit_callbacks):
    """``expose(actor, product, tier)``: the editor's action, with the sync task run as on commit."""

    def run(actor, product, tier):
        with django_capture_on_commit_callbacks(execute=True):
            publication = apim_services.apim_publish(actor=actor, product=product, tier=tier)
        publication.refresh_from_db()
        return publication

    return run


@pytest.fixture
def exposed(apim, platform_owner, orders_product, bronze, expose):  # noqa: F811 - the imported fixture
    """The orders product, exposed as an API on the Bronze tier."""
    return expose(platform_owner, orders_product, bronze)


@pytest.fixture
def grant_for(steward, django_capture_on_commit_callbacks):
    """``grant_for(consumer, product, scope)``: request + steward approval, applied by the live engine."""

    def make(consumer, product, scope=None):
        request = access.access_request_create(actor=consumer, product=product, purpose="Quarterly revenue review",
                                               scope=scope if scope is not None else {"region": ["EMEA"]},
                                               duration_days=30)
        with django_capture_on_commit_callbacks(execute=True):
            access.access_request_approve(actor=steward, request=request)
        return request.grant

    return make
