"""Reads for allocation and the report extras: unallocated cost split by the rules, top movers, forecast."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max

from chargeback.choices import UNALLOCATED, AllocationMethod
from chargeback.models import AllocationRule, CostMonth, CostRecord
from chargeback.selectors.costs import ZERO, Matrix, MatrixRow, _monthly, cost_record_list, months_between
from loom_portal import authz

ALLOC_PLACES = Decimal("0.0000000001")


def allocation_rule_list(*, actor):
    return authz.restrict(
        AllocationRule.objects.prefetch_related("shares__domain"), actor, "chargeback.view_allocationrule"
    )


def _rule_for_month(rules, month: dt.date):
    for rule in rules:
        if rule.valid_from <= month and (rule.valid_to is None or rule.valid_to >= month):
            return rule
    return None


def _weights(rule, direct: dict[int, Decimal]) -> dict[int, Decimal]:
    """Domain id → share (summing to 1) under ``rule``, given each domain's direct cost that month and currency."""
    targets = {s.domain_id: s.percent for s in rule.shares.all()}
    if rule.method == AllocationMethod.FIXED:
        return {d: p / 100 for d, p in targets.items()}
    candidates = list(targets) if targets else [d for d, cost in direct.items() if cost > 0]
    if rule.method == AllocationMethod.EVEN:
        return {d: Decimal(1) / len(candidates) for d in candidates} if candidates else {}
    base = {d: max(direct.get(d, ZERO), ZERO) for d in candidates}
    total = sum(base.values(), ZERO)
    return {d: v / total for d, v in base.items() if v > 0} if total > 0 else {}


def _split(amount: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """``amount`` split by ``weights``; rounding lands on the largest share so the parts add up exactly."""
    parts = {d: (amount * w).quantize(ALLOC_PLACES) for d, w in weights.items()}
    if parts:
        largest = max(weights, key=lambda d: (weights[d], -d))
        parts[largest] += amount - sum(parts.values(), ZERO)
    return parts


@dataclass
class Allocation:
    """Unallocated cost split by the allocation rules: per (month, currency, domain id) and what stays unallocated."""

    periods: list[dt.date]
    allocated: dict[tuple[dt.date, str, int], Decimal] = field(default_factory=dict)
    remaining: dict[tuple[dt.date, str], Decimal] = field(default_factory=dict)
    rules: dict[dt.date, str] = field(default_factory=dict)


def cost_allocation(*, actor, date_from: dt.date, date_to: dt.date) -> Allocation:
    """How the tenant's unallocated cost in each month is split across domains by the enabled allocation rules.

    Computed from the whole tenant's cost (a domain owner's share depends on cost they do not see);
    callers show only the domains the actor may see.
    """
    periods = months_between(date_from, date_to)
    result = Allocation(periods)
    if not authz.can(actor, "chargeback.view_reports") or actor.tenant_id is None:
        return result
    rules = list(
        AllocationRule.objects.filter(tenant_id=actor.tenant_id, enabled=True).prefetch_related("shares")
    )
    grouped = _monthly(
        CostMonth.objects.filter(tenant_id=actor.tenant_id), CostRecord.objects.filter(tenant_id=actor.tenant_id),
        date_from, date_to, "domain_id",
    )
    direct: dict[tuple[dt.date, str], dict[int, Decimal]] = {}
    unallocated: dict[tuple[dt.date, str], Decimal] = {}
    for item in grouped:
        key = (item["period"], item["currency"])
        if item["domain_id"] is None:
            unallocated[key] = unallocated.get(key, ZERO) + item["cost"]
        else:
            direct.setdefault(key, {})[item["domain_id"]] = item["cost"]
    for (period, currency), amount in unallocated.items():
        rule = _rule_for_month(rules, period)
        parts = _split(amount, _weights(rule, direct.get((period, currency), {}))) if rule else {}
        for domain_id, value in parts.items():
            result.allocated[(period, currency, domain_id)] = value
        if parts:
            result.rules[period] = rule.name
        result.remaining[(period, currency)] = amount - sum(parts.values(), ZERO)
    return result


def allocated_matrix(*, actor, direct: Matrix, allocation: Allocation, domains) -> Matrix:
    """Month × domain of allocated cost for the domains ``actor`` sees (``domains``: id → (name, slug))."""
    index = {p: i for i, p in enumerate(direct.periods)}
    rows: dict[tuple, MatrixRow] = {}
    for (period, currency, domain_id), value in allocation.allocated.items():
        if domain_id not in domains:
            continue
        name, slug = domains[domain_id]
        row = rows.get((domain_id, currency))
        if row is None:
            row = rows[(domain_id, currency)] = MatrixRow(name, currency, [ZERO] * len(direct.periods), slug, domain_id)
        row.cells[index[period]] += value
    out = sorted(rows.values(), key=lambda r: (r.label.lower(), r.currency))
    if actor.is_finance or actor.is_superuser:
        # Finance also sees where the allocated cost came from: Unallocated, as a negative row.
        moved: dict[str, list[Decimal]] = {}
        for (period, currency, _domain_id), value in allocation.allocated.items():
            moved.setdefault(currency, [ZERO] * len(direct.periods))[index[period]] -= value
        out += [MatrixRow(UNALLOCATED, c, cells, None, None) for c, cells in sorted(moved.items())]
    return Matrix(direct.periods, out)


@dataclass
class DomainTotal:
    label: str
    currency: str
    direct: Decimal
    allocated: Decimal
    slug: str | None = None

    @property
    def total(self) -> Decimal:
        return self.direct + self.allocated


def direct_and_allocated(direct: Matrix, allocated: Matrix) -> list[DomainTotal]:
    """Per domain and currency over the period: direct cost, allocated cost and their sum, kept apart."""
    rows: dict[tuple, DomainTotal] = {}
    for row in direct.rows:
        rows[(row.key, row.currency)] = DomainTotal(row.label, row.currency, row.total, ZERO, row.slug)
    for row in allocated.rows:
        item = rows.setdefault((row.key, row.currency), DomainTotal(row.label, row.currency, ZERO, ZERO, row.slug))
        item.allocated += row.total
    return sorted(rows.values(), key=lambda r: (r.slug is None, r.label.lower(), r.currency))


@dataclass
class Mover:
    label: str
    currency: str
    previous: Decimal
    current: Decimal
    slug: str | None = None

    @property
    def change(self) -> Decimal:
        return self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        if self.previous == 0:
            return None
        return (self.change * 100 / abs(self.previous)).quantize(Decimal("0.1"))


def top_movers(matrix: Matrix, *, limit: int = 5) -> tuple[dt.date | None, list[Mover]]:
    """The rows whose cost changed most between the matrix's last two months (by absolute change)."""
    if len(matrix.periods) < 2:
        return None, []
    movers = [
        Mover(row.label, row.currency, row.cells[-2], row.cells[-1], row.slug)
        for row in matrix.rows
        if row.cells[-1] != row.cells[-2]
    ]
    movers.sort(key=lambda m: (-abs(m.change), m.label.lower()))
    return matrix.periods[-1], movers[:limit]


@dataclass
class Forecast:
    period: dt.date
    as_of: dt.date
    currency: str
    to_date: Decimal
    forecast: Decimal


def month_end_forecasts(*, actor, matrix: Matrix, today: dt.date) -> list[Forecast]:
    """For the current month when the matrix shows it: cost so far per currency and the run-rate forecast."""
    from chargeback.services.budgets import month_end_forecast

    period = today.replace(day=1)
    if period not in matrix.periods:
        return []
    latest = (
        cost_record_list(actor=actor).filter(usage_date__gte=period, usage_date__lte=today).aggregate(d=Max("usage_date"))["d"]
    )
    if latest is None:
        return []
    i = matrix.periods.index(period)
    return [
        Forecast(period, latest, currency, cells[i], month_end_forecast(cells[i], period, latest))
        for currency, cells, _total in matrix.totals()
    ]
