"""Chargeback fixtures: a running Cost Management double and a cost scope pointed at it."""

import datetime as dt

import pytest

from chargeback import services
from tests.doubles.cost_management import CostManagementDouble

SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000001"


@pytest.fixture
def cost_api(settings):
    """The Cost Management double; every client the portal builds talks to it with a static token."""
    with CostManagementDouble(page_size=1000) as double:
        settings.AZURE_MANAGEMENT_URL = double.url
        settings.AZURE_STATIC_TOKEN = "static-test-token"
        settings.AZURE_RETRY_BACKOFF_FACTOR = 0
        settings.AZURE_RETRY_MAX_WAIT = 5
        yield double


@pytest.fixture
def cost_scope(platform_owner):
    return services.cost_scope_create(
        actor=platform_owner, name="Contoso production", scope=SUBSCRIPTION, history_start=dt.date(2026, 10, 1)
    )


def day(n: int, month: int = 10) -> dt.date:
    return dt.date(2026, month, n)
