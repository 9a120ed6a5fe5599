"""Demo cost for ``manage.py loom_demo``: a cost scope, three months of daily cost and a budget per tenant.

The cost is deterministic (a hash of workspace and day, not a random generator), so running
the demo again replaces the same window with the same rows: idempotent. Some cost carries
only the ``loomDomain`` tag (shared resources) and some no tag at all (*Unallocated*). The
budget is not pushed to Azure (the demo has no subscription); it shows as waiting to be pushed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.utils import timezone

from chargeback import selectors, services
from chargeback.forms import first_of_month
from chargeback.services.ingest import CostRow
from domains import selectors as domain_selectors

SCOPE_NAME = "Demo subscription"
BUDGET_NAME = "finance-monthly"
#: Daily base cost (USD) per workspace tag suffix; other workspaces get 40.
BASE = {"fin-ledger": 55, "hr-people": 30, "ops-telemetry": 140, "ops-planning": 25}


def _noise(*parts) -> Decimal:
    """A stable number in [0.8, 1.2) from ``parts``."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return Decimal("0.8") + Decimal(int.from_bytes(digest[:4], "big") % 4000) / 10000


def demo_rows(workspace_ids: list[str], date_from: dt.date, date_to: dt.date) -> list[CostRow]:
    rows = []
    day = date_from
    while day <= date_to:
        weekend = Decimal("0.6") if day.weekday() >= 5 else Decimal("1")
        growth = 1 + Decimal((day - date_from).days) / 400  # cost creeps up over the quarter
        for ws in workspace_ids:
            base = next((v for k, v in BASE.items() if ws.endswith(k)), 40)
            cost = (base * weekend * growth * _noise(ws, day)).quantize(Decimal("0.01"))
            rows.append(CostRow(day, ws, "", "USD", cost))
        rows.append(CostRow(day, "", "finance", "USD", (12 * _noise("shared", day)).quantize(Decimal("0.01"))))
        rows.append(CostRow(day, "", "", "USD", (18 * weekend * _noise("untagged", day)).quantize(Decimal("0.01"))))
        day += dt.timedelta(days=1)
    return rows


def load_demo_costs(operator, finance_user, *, today: dt.date | None = None) -> None:
    """Cost scope, three months of daily cost up to yesterday, and a budget for the Finance domain."""
    today = today or timezone.now().date()
    tenant = operator.tenant
    suffix = f"{tenant.pk:012d}"[-12:]
    scope = selectors.cost_scope_list(actor=operator).filter(name=SCOPE_NAME).first()
    if scope is None:
        scope = services.cost_scope_create(
            actor=operator, name=SCOPE_NAME, scope=f"/subscriptions/00000000-0000-4000-8000-{suffix}",
            history_start=first_of_month(today, 2),
        )
    date_from, date_to = scope.history_start, today - dt.timedelta(days=1)
    if date_to >= date_from:
        workspace_ids = list(domain_selectors.workspace_list(actor=operator).values_list("workspace_id", flat=True))
        services.cost_records_replace(
            scope=scope, actor=operator, date_from=date_from, date_to=date_to,
            rows=demo_rows(sorted(workspace_ids), date_from, date_to),
        )
    finance = domain_selectors.domain_list(actor=finance_user).filter(slug="finance").first()
    budget = selectors.budget_list(actor=finance_user).filter(name=BUDGET_NAME).first()
    if budget is None and finance is not None:
        budget = services.budget_create(
            actor=finance_user, name=BUDGET_NAME, cost_scope=scope, domain=finance, amount="2000.00", currency="USD",
            start_date=first_of_month(today, 2),
            thresholds=[{"type": "Actual", "percent": 80}, {"type": "Actual", "percent": 100},
                        {"type": "Forecasted", "percent": 100}],
            contact_emails=[finance_user.email], push=False,
        )
    if date_to >= date_from:
        services.budgets_evaluate(tenant=tenant, as_of=date_to, cost_scope=scope)

