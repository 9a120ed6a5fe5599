"""Reads for budgets: the visible budgets, their alerts and their spend this month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.shortcuts import get_object_or_404

from chargeback.models import Budget, BudgetAlert, CostRecord
from chargeback.selectors.costs import cost_scope_list
from domains.selectors import domain_list, workspace_list
from loom_portal import authz

ZERO = Decimal("0")


def budget_list(*, actor):
    return authz.restrict(
        Budget.objects.select_related("cost_scope", "domain", "workspace__domain"), actor, "chargeback.view_budget"
    )


def budget_get(*, actor, pk) -> Budget:
    return get_object_or_404(budget_list(actor=actor), pk=pk)


#: Sentinel: the caller did not name this reference (keep the budget's).
UNCHANGED = object()


def budget_references(*, actor, cost_scope_id=UNCHANGED, domain_slug=UNCHANGED, workspace_id=UNCHANGED) -> dict:
    """The cost scope (by id), domain (by slug) and workspace (by loomWorkspaceId) a budget names, as objects
    the budget services take; only those named. A reference the actor cannot see raises ``ValidationError``
    naming the field. An empty domain or workspace is None (the budget is for the other one)."""
    found, errors = {}, {}
    if cost_scope_id is not UNCHANGED:
        found["cost_scope"] = cost_scope_list(actor=actor).filter(pk=cost_scope_id).first()
        if found["cost_scope"] is None:
            errors["cost_scope"] = f"No cost scope with id {cost_scope_id}."
    if domain_slug is not UNCHANGED:
        found["domain"] = domain_list(actor=actor).filter(slug=domain_slug).first() if domain_slug else None
        if domain_slug and found["domain"] is None:
            errors["domain"] = f"No domain with the slug {domain_slug!r}."
    if workspace_id is not UNCHANGED:
        found["workspace"] = (
            workspace_list(actor=actor).filter(workspace_id__iexact=workspace_id).first() if workspace_id else None
        )
        if workspace_id and found["workspace"] is None:
            errors["workspace"] = f"No workspace with the loomWorkspaceId {workspace_id!r}."
    if errors:
        raise ValidationError(errors)
    return found


def budget_alert_list(*, actor):
    return authz.restrict(BudgetAlert.objects.select_related("budget"), actor, "chargeback.view_budgetalert")


@dataclass
class BudgetStatus:
    """A budget with its spend in one month: actual up to ``as_of`` and the month-end forecast."""

    budget: Budget
    period: dt.date
    as_of: dt.date
    actual: Decimal
    forecast: Decimal

    @property
    def actual_percent(self) -> Decimal:
        return (self.actual * 100 / self.budget.amount).quantize(Decimal("0.1"))

    @property
    def forecast_percent(self) -> Decimal:
        return (self.forecast * 100 / self.budget.amount).quantize(Decimal("0.1"))

    @property
    def over(self) -> bool:
        return self.actual > self.budget.amount

    @property
    def forecast_over(self) -> bool:
        return self.forecast > self.budget.amount


def budget_statuses(*, actor, as_of: dt.date, budgets=None) -> list[BudgetStatus]:
    """Spend against each visible budget in the month of ``as_of``, in one grouped query."""
    from chargeback.services.budgets import month_end_forecast

    budgets = list(budgets if budgets is not None else budget_list(actor=actor))
    period = as_of.replace(day=1)
    grouped = (
        CostRecord.objects.filter(
            tenant_id__in={b.tenant_id for b in budgets}, scope_id__in={b.cost_scope_id for b in budgets},
            usage_date__range=(period, as_of),
        )
        .values("scope_id", "domain_id", "workspace_id", "currency")
        .annotate(cost=Sum("cost"))
        .order_by()
    ) if budgets else []
    by_domain: dict[tuple, Decimal] = {}
    by_workspace: dict[tuple, Decimal] = {}
    for item in grouped:
        key = (item["scope_id"], item["currency"])
        if item["domain_id"]:
            k = (*key, item["domain_id"])
            by_domain[k] = by_domain.get(k, ZERO) + item["cost"]
        if item["workspace_id"]:
            k = (*key, item["workspace_id"])
            by_workspace[k] = by_workspace.get(k, ZERO) + item["cost"]
    statuses = []
    for b in budgets:
        key = (b.cost_scope_id, b.currency, b.workspace_id or b.domain_id)
        actual = (by_workspace if b.workspace_id else by_domain).get(key, ZERO).quantize(Decimal("0.01"))
        statuses.append(BudgetStatus(b, period, as_of, actual, month_end_forecast(actual, period, as_of)))
    return statuses


