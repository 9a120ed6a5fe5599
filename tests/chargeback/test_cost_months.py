"""Monthly totals (CostMonth) are rewritten with the daily rows, so month reports read them and always agree."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from chargeback import selectors, services
from chargeback.models import CostMonth, CostRecord
from tests.chargeback.conftest import SUBSCRIPTION, day

pytestmark = pytest.mark.django_db


def month_totals():
    return {
        (m.month, m.domain_id, m.workspace_id, m.currency): (m.cost, m.records)
        for m in CostMonth.objects.all()
    }


def test_ingest_keeps_the_monthly_totals_in_step_with_the_days(cost_api, cost_scope, domain, workspace):
    cost_api.add_cost(SUBSCRIPTION, day(30, 9), 4, loomDomain="finance")
    cost_api.add_cost(SUBSCRIPTION, day(1), 10, loomWorkspaceId="contoso-fin-ledger")
    cost_api.add_cost(SUBSCRIPTION, day(2), 5.5, loomWorkspaceId="contoso-fin-ledger")
    cost_api.add_cost(SUBSCRIPTION, day(3), 2)

    services.costs_ingest(scope=cost_scope, date_from=day(30, 9), date_to=day(31))

    assert month_totals() == {
        (day(1, 9), domain.pk, None, "USD"): (Decimal("4"), 1),
        (day(1), domain.pk, workspace.pk, "USD"): (Decimal("15.5"), 2),
        (day(1), None, None, "USD"): (Decimal("2"), 1),
    }


def test_a_restated_day_replaces_its_months_total_and_leaves_other_months(cost_api, cost_scope, domain):
    cost_api.add_cost(SUBSCRIPTION, day(30, 9), 4, loomDomain="finance")
    cost_api.add_cost(SUBSCRIPTION, day(1), 10, loomDomain="finance")
    services.costs_ingest(scope=cost_scope, date_from=day(30, 9), date_to=day(31))
    cost_api.clear(day=day(1))
    cost_api.add_cost(SUBSCRIPTION, day(1), 12, loomDomain="finance")

    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(1))

    assert month_totals() == {
        (day(1, 9), domain.pk, None, "USD"): (Decimal("4"), 1),
        (day(1), domain.pk, None, "USD"): (Decimal("12"), 1),
    }
    assert CostMonth.objects.aggregate(t=Sum("cost"))["t"] == CostRecord.objects.aggregate(t=Sum("cost"))["t"]


def test_the_matrix_from_monthly_totals_equals_the_matrix_from_days(cost_api, cost_scope, domain, finance):
    for n in range(1, 29):
        cost_api.add_cost(SUBSCRIPTION, day(n), n * 1.25, loomDomain="finance")
        cost_api.add_cost(SUBSCRIPTION, day(n), 1)
    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(31))

    from_months = selectors.domain_month_matrix(actor=finance, date_from=day(1), date_to=day(31))
    from_days = selectors.domain_month_matrix(actor=finance, date_from=day(1), date_to=day(30))

    assert [(r.label, r.cells) for r in from_months.rows] == [(r.label, r.cells) for r in from_days.rows]
    assert [r.label for r in from_months.rows] == ["Finance", "Unallocated"]
