"""`loom_demo` gives the finance pages something to show: a cost scope, three months of daily cost and a budget, once."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from chargeback.models import Budget, CostRecord, CostScope
from loom_portal.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_loads_cost_and_a_budget_once_and_the_finance_pages_show_them(client):
    call_command("loom_demo", quiet=True)
    first = (CostRecord.objects.count(), CostRecord.objects.aggregate(t=Sum("cost"))["t"])
    call_command("loom_demo", quiet=True)

    assert (CostRecord.objects.count(), CostRecord.objects.aggregate(t=Sum("cost"))["t"]) == first
    assert CostScope.objects.count() == 2 and Budget.objects.count() == 2
    contoso = CostRecord.objects.filter(tenant__slug="contoso")
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    assert contoso.order_by("usage_date").first().usage_date.day == 1
    assert contoso.order_by("usage_date").last().usage_date == yesterday
    assert contoso.filter(domain__isnull=True).exists(), "some cost is unallocated"
    assert set(contoso.exclude(domain=None).values_list("domain__slug", flat=True)) == {"finance", "hr", "mission-ops"}

    client.force_login(User.objects.get(email="finance@contoso.example"), backend="django.contrib.auth.backends.ModelBackend")
    matrix = client.get("/chargeback/").content.decode()
    budgets = client.get("/chargeback/budgets/").content.decode()
    assert 'data-row="finance"' in matrix and 'data-row="Unallocated"' in matrix
    assert 'data-row="finance-monthly"' in budgets
