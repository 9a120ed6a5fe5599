"""Data-product showback: the cost of a product's workspace split across its consumers by their data-API calls.

Within a workspace, every (product, consumer) pair with calls in the period gets the workspace's direct cost
times its share of the workspace's calls; so products sharing a workspace never count its cost twice, and a
workspace whose products had no calls shows nothing here (its cost stays in the domain reports).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Sum

from chargeback.selectors.costs import cost_record_list
from marketplace.selectors import usage_by_consumer

PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ShowbackRow:
    product: str
    product_name: str
    workspace: str
    consumer: str
    calls: int
    share: Decimal  # of the workspace's calls in the period
    cost: Decimal
    currency: str


def product_showback(*, actor, date_from: dt.date, date_to: dt.date) -> list[ShowbackRow]:
    """Showback rows the actor may see (cost visibility follows the cost reports: finance the tenant,
    domain owners their domains), ordered by product then consumer."""
    if not getattr(actor, "is_authenticated", False) or actor.tenant_id is None:
        return []
    usage = [u for u in usage_by_consumer(tenant=actor.tenant, date_from=date_from, date_to=date_to)
             if u["product__workspace_id"] is not None and u["calls"]]
    if not usage:
        return []
    workspace_ids = {u["product__workspace_id"] for u in usage}
    costs = (
        cost_record_list(actor=actor)
        .filter(usage_date__range=(date_from, date_to), workspace_id__in=workspace_ids)
        .values("workspace_id", "workspace__workspace_id", "currency")
        .annotate(cost=Sum("cost"))
        .order_by()
    )
    by_workspace: dict[int, list[dict]] = {}
    for item in costs:
        by_workspace.setdefault(item["workspace_id"], []).append(item)
    calls_in_workspace: dict[int, int] = {}
    for u in usage:
        calls_in_workspace[u["product__workspace_id"]] = calls_in_workspace.get(u["product__workspace_id"], 0) + u["calls"]
    rows = []
    for u in usage:
        workspace_id = u["product__workspace_id"]
        share = Decimal(u["calls"]) / Decimal(calls_in_workspace[workspace_id])
        for item in by_workspace.get(workspace_id, []):  # none: the actor may not see that workspace's cost
            rows.append(ShowbackRow(
                product=u["product__slug"], product_name=u["product__name"],
                workspace=item["workspace__workspace_id"], consumer=u["user__email"], calls=u["calls"],
                share=share.quantize(PLACES, ROUND_HALF_EVEN),
                cost=(item["cost"] * share).quantize(PLACES, ROUND_HALF_EVEN), currency=item["currency"],
            ))
    return sorted(rows, key=lambda r: (r.product_name, r.consumer, r.currency))


def showback_breakdown(*, actor, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """REST rows for group_by=product: one per month, product, consumer and currency."""
    rows = []
    month = date_from.replace(day=1)
    while month <= date_to:
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        start, end = max(month, date_from), min(next_month - dt.timedelta(days=1), date_to)
        for row in product_showback(actor=actor, date_from=start, date_to=end):
            rows.append({"period": month.strftime("%Y-%m"), "domain": None, "domain_name": "", "workspace": row.workspace,
                         "product": row.product, "consumer": row.consumer, "calls": row.calls, "share": row.share,
                         "cost": row.cost, "currency": row.currency})
        month = next_month
    return rows
