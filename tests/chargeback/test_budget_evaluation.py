"""After each ingest the portal evaluates budgets itself: actual and month-end forecast, one alert per threshold per month."""

import datetime as dt
from decimal import Decimal

import pytest

from chargeback import selectors, services
from chargeback.models import BudgetAlert
from loom_portal.models import Notification
from tests import factories
from tests.chargeback.conftest import SUBSCRIPTION, budget_values, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget(finance, cost_scope, domain):
    return services.budget_create(
        actor=finance, domain=domain,
        **budget_values(cost_scope, amount="1000", thresholds=[
            {"type": "Actual", "percent": 50}, {"type": "Actual", "percent": 100}, {"type": "Forecasted", "percent": 100},
        ]),
    )


def spend(cost_api, per_day: float, days: range, month: int = 10, **tags):
    for n in days:
        cost_api.add_cost(SUBSCRIPTION, day(n, month), per_day, **tags)


def test_the_forecast_is_the_run_rate_to_month_end():
    assert services.budgets.month_end_forecast(Decimal("100"), dt.date(2026, 10, 1), dt.date(2026, 10, 10)) == Decimal("310.00")
    assert services.budgets.month_end_forecast(Decimal("0"), dt.date(2026, 11, 1), dt.date(2026, 11, 1)) == Decimal("0.00")


def test_crossing_thresholds_notifies_finance_and_the_domains_owners_once(
    cost_api, cost_scope, budget, workspace, finance, domain_owner, consumer
):
    # 10 days × 60 = 600 of 1000 actual (above 50%), forecast 600/10×31 = 1860 (above 100%).
    spend(cost_api, 60, range(1, 11), loomWorkspaceId="contoso-fin-ledger")

    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(10))

    alerts = {(a.threshold_type, a.percent, a.spend) for a in BudgetAlert.objects.all()}
    assert alerts == {("Actual", 50, Decimal("600.00")), ("Forecasted", 100, Decimal("1860.00"))}
    notified = sorted(Notification.objects.values_list("recipient__email", flat=True))
    assert notified == sorted(["finance@contoso.example", "owner@contoso.example"] * 2)
    note = Notification.objects.filter(recipient=finance, title__contains="forecast").get()
    assert "1,860.00 USD" in note.body and note.url == f"/chargeback/budgets/{budget.pk}/"
    assert not Notification.objects.filter(recipient=consumer).exists()


def test_a_second_ingest_of_the_same_month_notifies_nobody_again(cost_api, cost_scope, budget, workspace, finance):
    spend(cost_api, 60, range(1, 11), loomWorkspaceId="contoso-fin-ledger")
    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(10))
    before = Notification.objects.count()

    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(10))

    assert Notification.objects.count() == before
    assert BudgetAlert.objects.count() == 2


def test_a_higher_threshold_crossed_later_in_the_month_notifies_once_more(cost_api, cost_scope, budget, workspace):
    spend(cost_api, 60, range(1, 11), loomWorkspaceId="contoso-fin-ledger")
    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(10))
    spend(cost_api, 60, range(11, 21), loomWorkspaceId="contoso-fin-ledger")

    services.costs_ingest(scope=cost_scope, date_from=day(11), date_to=day(20))

    assert sorted(BudgetAlert.objects.values_list("threshold_type", "percent")) == [
        ("Actual", 50), ("Actual", 100), ("Forecasted", 100)
    ]


def test_each_month_is_a_new_period(cost_api, cost_scope, budget, workspace):
    spend(cost_api, 60, range(1, 11), loomWorkspaceId="contoso-fin-ledger")
    spend(cost_api, 60, range(1, 11), month=11, loomWorkspaceId="contoso-fin-ledger")
    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(10))

    services.costs_ingest(scope=cost_scope, date_from=day(1, 11), date_to=day(10, 11))

    assert set(BudgetAlert.objects.values_list("period", flat=True)) == {day(1), day(1, 11)}


def test_cost_of_other_domains_and_currencies_does_not_count(cost_api, cost_scope, budget, platform_owner):
    factories.make_domain(platform_owner, "Human Resources", slug="hr")
    spend(cost_api, 500, range(1, 3), loomDomain="hr")
    spend(cost_api, 500, range(1, 3), loomDomain="finance", currency="EUR")

    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(31))

    assert BudgetAlert.objects.count() == 0
    [status] = selectors.budget_statuses(actor=budget.created_by, as_of=day(31))
    assert status.actual == Decimal("0.00")


def test_a_workspace_budget_counts_only_its_workspace(cost_api, cost_scope, finance, domain, workspace, platform_owner):
    factories.make_workspace(platform_owner, domain, "contoso-fin-other", name="Other")
    ws_budget = services.budget_create(
        actor=finance, workspace=workspace, **budget_values(cost_scope, name="ledger", amount="100",
                                                            thresholds=[{"type": "Actual", "percent": 75}]),
    )
    spend(cost_api, 40, range(1, 3), loomWorkspaceId="contoso-fin-ledger")
    spend(cost_api, 400, range(1, 3), loomWorkspaceId="contoso-fin-other")

    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(2))

    assert [(a.budget, a.spend) for a in BudgetAlert.objects.all()] == [(ws_budget, Decimal("80.00"))]
    [status] = selectors.budget_statuses(actor=finance, as_of=day(2), budgets=[ws_budget])
    assert status.actual == Decimal("80.00")


def test_a_budget_outside_its_period_is_not_evaluated(cost_api, cost_scope, finance, domain):
    services.budget_create(
        actor=finance, domain=domain, **budget_values(cost_scope, name="from-december", start_date=dt.date(2026, 12, 1),
                                                      thresholds=[{"type": "Actual", "percent": 1}]),
    )
    spend(cost_api, 100, range(1, 3), loomDomain="finance")

    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(2))

    assert BudgetAlert.objects.count() == 0
