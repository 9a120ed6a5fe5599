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


@pytest.fixture
def consumption_api(settings):
    """The Consumption (budgets) double; every management client the portal builds talks to it."""
    from tests.doubles.consumption import ConsumptionDouble

    with ConsumptionDouble() as double:
        settings.AZURE_MANAGEMENT_URL = double.url
        settings.AZURE_STATIC_TOKEN = "static-test-token"
        settings.AZURE_RETRY_BACKOFF_FACTOR = 0
        settings.AZURE_RETRY_MAX_WAIT = 5
        yield double


def budget_values(cost_scope, **overrides) -> dict:
    """Valid budget_create arguments for the Finance domain's 1,000 USD monthly budget."""
    values = {
        "name": "finance-monthly",
        "cost_scope": cost_scope,
        "amount": "1000",
        "currency": "USD",
        "start_date": dt.date(2026, 10, 1),
        "thresholds": [{"type": "Actual", "percent": 80}, {"type": "Forecasted", "percent": 100}],
        "contact_emails": ["finance@contoso.example"],
    }
    values.update(overrides)
    return values
