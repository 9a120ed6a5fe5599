"""Reads for the cost reports: month × domain, a domain's workspaces, the daily trend, the REST breakdown.

Costs are direct cost as ingested; cost without a known domain is its own
*Unallocated* row (finance only). Amounts in different currencies are never added
together: rows are keyed by currency too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, CharField, F, Sum, Value, When
from django.db.models.functions import TruncDay, TruncMonth

from chargeback.choices import UNALLOCATED, Granularity, GroupBy
from chargeback.models import CostMonth, CostRecord, CostScope, UnmappedTagValue
from loom_portal import authz

NO_WORKSPACE = "No workspace (domain-tagged)"
ZERO = Decimal("0")


def cost_record_list(*, actor):
    return authz.restrict(CostRecord.objects.all(), actor, "chargeback.view_costrecord")


def cost_month_list(*, actor):
    return authz.restrict(CostMonth.objects.all(), actor, "chargeback.view_costmonth")


def cost_scope_list(*, actor):
    return authz.restrict(CostScope.objects.select_related("tenant"), actor, "chargeback.view_costscope")


def unmapped_tag_value_list(*, actor):
    return authz.restrict(UnmappedTagValue.objects.all(), actor, "chargeback.view_unmappedtagvalue")


def months_between(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    months, current = [], date_from.replace(day=1)
    while current <= date_to:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


@dataclass
class MatrixRow:
    label: str
    currency: str
    cells: list[Decimal]
    slug: str | None = None  # the domain's slug (drill-down link); None for Unallocated / workspaces
    key: object = None

    @property
    def total(self) -> Decimal:
        return sum(self.cells, ZERO)


@dataclass
class Matrix:
    periods: list[dt.date]
    rows: list[MatrixRow] = field(default_factory=list)

    def totals(self) -> list[tuple[str, list[Decimal], Decimal]]:
        """Per currency: (currency, total per period, grand total)."""
        out = {}
        for row in self.rows:
            cells = out.setdefault(row.currency, [ZERO] * len(self.periods))
            for i, value in enumerate(row.cells):
                cells[i] += value
        return [(currency, cells, sum(cells, ZERO)) for currency, cells in sorted(out.items())]


def _fill(periods, grouped, key_fields, make_row) -> list[MatrixRow]:
    index = {p: i for i, p in enumerate(periods)}
    rows: dict[tuple, MatrixRow] = {}
    for item in grouped:
        key = tuple(item[f] for f in key_fields)
        row = rows.get(key)
        if row is None:
            row = rows[key] = make_row(item)
            row.cells = [ZERO] * len(periods)
        row.cells[index[item["period"]]] += item["cost"]
    return list(rows.values())


def _month_grouped(qs, date_from, date_to, *fields):
    return (
        qs.filter(usage_date__range=(date_from, date_to))
        .annotate(period=TruncMonth("usage_date"))
        .values("period", "currency", *fields)
        .annotate(cost=Sum("cost"))
        .order_by()
    )


def _whole_months(date_from: dt.date, date_to: dt.date) -> bool:
    return date_from.day == 1 and (date_to + dt.timedelta(days=1)).day == 1


def _monthly(months_qs, records_qs, date_from, date_to, *fields):
    """Cost per month, currency and ``fields``: from the CostMonth totals for whole months, else from the days."""
    if _whole_months(date_from, date_to):
        return (
            months_qs.filter(month__range=(date_from, date_to))
            .annotate(period=F("month"))
            .values("period", "currency", *fields)
            .annotate(cost=Sum("cost"))
            .order_by()
        )
    return _month_grouped(records_qs, date_from, date_to, *fields)


def domain_month_matrix(*, actor, date_from: dt.date, date_to: dt.date) -> Matrix:
    """Month × domain: direct cost per domain and month; Unallocated (no domain) as its own row."""
    periods = months_between(date_from, date_to)
    grouped = _monthly(
        cost_month_list(actor=actor), cost_record_list(actor=actor), date_from, date_to,
        "domain_id", "domain__name", "domain__slug",
    )
    rows = _fill(
        periods,
        grouped,
        ("domain_id", "currency"),
        lambda item: MatrixRow(
            label=item["domain__name"] or UNALLOCATED, currency=item["currency"], cells=[], slug=item["domain__slug"],
            key=item["domain_id"],
        ),
    )
    rows.sort(key=lambda r: (r.key is None, r.label.lower(), r.currency))
    return Matrix(periods, rows)


def domain_workspace_matrix(*, actor, domain, date_from: dt.date, date_to: dt.date) -> Matrix:
    """Month × workspace for one domain (the caller has checked chargeback.view_domain_costs on it)."""
    periods = months_between(date_from, date_to)
    grouped = _monthly(
        cost_month_list(actor=actor).filter(domain=domain), cost_record_list(actor=actor).filter(domain=domain),
        date_from, date_to, "workspace_id", "workspace__name", "workspace__workspace_id",
    )
    rows = _fill(
        periods,
        grouped,
        ("workspace_id", "currency"),
        lambda item: MatrixRow(
            label=(f"{item['workspace__name']} ({item['workspace__workspace_id']})" if item["workspace_id"] else NO_WORKSPACE),
            currency=item["currency"], cells=[], key=item["workspace_id"],
        ),
    )
    rows.sort(key=lambda r: (r.key is None, r.label.lower(), r.currency))
    return Matrix(periods, rows)


def daily_trend(*, actor, date_from: dt.date, date_to: dt.date, domain=None) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """{currency: [(day, cost), ...]} for every day of the period (days without cost are 0)."""
    qs = cost_record_list(actor=actor).filter(usage_date__range=(date_from, date_to))
    if domain is not None:
        qs = qs.filter(domain=domain)
    grouped = qs.values("usage_date", "currency").annotate(cost=Sum("cost")).order_by()
    by_currency: dict[str, dict[dt.date, Decimal]] = {}
    for item in grouped:
        by_currency.setdefault(item["currency"], {})[item["usage_date"]] = item["cost"]
    days = [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    return {c: [(d, values.get(d, ZERO)) for d in days] for c, values in sorted(by_currency.items())}


def cost_breakdown(*, actor, group_by: str, granularity: str, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """Rows for REST: one per period, group and currency, ordered by period then group."""
    trunc = TruncDay("usage_date") if granularity == Granularity.DAY else TruncMonth("usage_date")
    fields = ["domain__slug", "domain__name"]
    if group_by == GroupBy.WORKSPACE:
        fields += ["workspace__workspace_id", "workspace__name", "unmapped_tag"]
    grouped = (
        cost_record_list(actor=actor)
        .filter(usage_date__range=(date_from, date_to))
        .annotate(
            period=trunc,
            # A matched workspace is one group whatever the tag's case; unmatched tags stay apart.
            unmapped_tag=Case(
                When(workspace__isnull=True, then=F("workspace_tag")), default=Value(""), output_field=CharField()
            ),
        )
        .values("period", "currency", *fields)
        .annotate(cost=Sum("cost"))
        .order_by("period", "domain__name", *fields[2:], "currency")
    )
    rows = []
    for item in grouped:
        period = item["period"]
        period = period.date() if isinstance(period, dt.datetime) else period
        row = {
            "period": period.isoformat() if granularity == Granularity.DAY else period.strftime("%Y-%m"),
            "domain": item["domain__slug"],
            "domain_name": item["domain__name"] or UNALLOCATED,
        }
        if group_by == GroupBy.WORKSPACE:
            row["workspace"] = item["workspace__workspace_id"]
            row["workspace_name"] = item["workspace__name"] or (
                f"Unmapped tag {item['unmapped_tag']}" if item["unmapped_tag"] else "Untagged"
            )
        row.update({"cost": item["cost"], "currency": item["currency"]})
        rows.append(row)
    return rows
