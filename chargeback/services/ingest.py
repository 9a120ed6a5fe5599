"""Cost ingestion from the Cost Management Query API.

``costs_ingest`` pulls daily cost from the Cost Management Query API grouped by
the ``loomWorkspaceId`` and ``loomDomain`` tags and *replaces* the scope's window:
every page of every month of the window is fetched and checked first, then one
transaction deletes the window's old rows and inserts the new ones. A failure
before or during that transaction leaves the previous data intact, and running
the same window twice gives the same rows (the natural-key constraint on
CostRecord guards it too).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlsplit

from azure.core.exceptions import AzureError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from chargeback.choices import DOMAIN_TAG, WORKSPACE_TAG, TagKey
from chargeback.models import CostMonth, CostRecord, CostScope, UnmappedTagValue
from domains import selectors as domain_selectors
from loom_portal import audit
from loom_portal.azure.clients import cost_management_client
from loom_portal.azure.errors import as_transient, is_transient
from loom_portal.services import job_run_finish, job_run_progress, job_run_start

logger = logging.getLogger(__name__)

JOB_NAME = "chargeback.costs_ingest"
GROUPING = (WORKSPACE_TAG, DOMAIN_TAG)
MAX_PAGES = 10_000
COST_PLACES = Decimal("0.0000000001")


class CostDataError(ValueError):
    """Cost Management returned data the portal cannot trust; nothing was written."""


# --- Ingestion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CostRow:
    usage_date: dt.date
    workspace_tag: str
    domain_tag: str
    currency: str
    cost: Decimal


@dataclass
class IngestResult:
    scope_id: int
    date_from: dt.date
    date_to: dt.date
    records: int = 0
    replaced: int = 0
    pages: int = 0
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    job_run_id: object = None


def query_definition(*, cost_type: str, date_from: dt.date, date_to: dt.date) -> dict:
    """The documented Query API body: daily cost grouped by the two Loom tag keys."""
    return {
        "type": cost_type,
        "timeframe": "Custom",
        "timePeriod": {"from": f"{date_from.isoformat()}T00:00:00Z", "to": f"{date_to.isoformat()}T23:59:59Z"},
        "dataset": {
            "granularity": "Daily",
            "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
            "grouping": [{"type": "TagKey", "name": name} for name in GROUPING],
        },
    }


def month_chunks(date_from: dt.date, date_to: dt.date) -> list[tuple[dt.date, dt.date]]:
    """[date_from, date_to] cut at month ends: one query per month keeps each query at ~1 QPU."""
    chunks, start = [], date_from
    while start <= date_to:
        next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(date_to, next_month - dt.timedelta(days=1))
        chunks.append((start, end))
        start = end + dt.timedelta(days=1)
    return chunks


def _next_page_params(next_link: str, seen: set) -> dict:
    """The query parameters of ``nextLink`` (without api-version) to send with the same body."""
    params = {k: v for k, v in parse_qsl(urlsplit(next_link).query, keep_blank_values=True) if k.lower() != "api-version"}
    token = next((v for k, v in params.items() if k.lower() == "$skiptoken"), "")
    if not token:
        raise CostDataError(f"nextLink {next_link!r} carries no $skiptoken.")
    if token in seen:
        raise CostDataError(f"nextLink repeats the $skiptoken {token!r}; refusing to loop.")
    seen.add(token)
    return params


def _column_index(names: list[str], *wanted: str) -> int | None:
    for w in wanted:
        if w in names:
            return names.index(w)
    return None


def _parse_cost(value, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise CostDataError(f"{where}: {value!r} is not a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise CostDataError(f"{where}: {value!r} is not a finite number.")
    try:
        cost = Decimal(str(value).strip())
    except InvalidOperation:
        raise CostDataError(f"{where}: {value!r} is not a number.") from None
    if not cost.is_finite():
        raise CostDataError(f"{where}: {value!r} is not a finite number.")
    if abs(cost) >= Decimal("1e13"):
        raise CostDataError(f"{where}: {value!r} is out of range.")
    return cost.quantize(COST_PLACES)


def _parse_usage_date(value, where: str, date_from: dt.date, date_to: dt.date) -> dt.date:
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    try:
        if len(text) == 8 and text.isdigit():
            day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        else:
            day = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise CostDataError(f"{where}: {value!r} is not a day (expected yyyymmdd).") from None
    if not date_from <= day <= date_to:
        raise CostDataError(f"{where}: {day.isoformat()} is outside the requested window {date_from}..{date_to}.")
    return day


def _parse_tag_value(value, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CostDataError(f"{where}: {value!r} is not a tag value (expected a string or null).")
    value = value.strip()
    if len(value) > 256:
        raise CostDataError(f"{where}: the tag value is longer than 256 characters.")
    return value


def parse_query_page(columns, rows, *, page: int, date_from: dt.date, date_to: dt.date) -> list[CostRow]:
    """Rows of one Query API page as CostRows, columns mapped by name. Raises CostDataError naming row and column."""
    if columns is None or rows is None:
        raise CostDataError(f"page {page}: the response has no columns or rows.")
    names = []
    for i, column in enumerate(columns):
        name = column.get("name") if hasattr(column, "get") else getattr(column, "name", None)
        if not isinstance(name, str):
            raise CostDataError(f"page {page}: column {i + 1} has no name.")
        names.append(name.lower())
    cost_i = _column_index(names, "cost", "pretaxcost", "costusd")
    date_i = _column_index(names, "usagedate")
    currency_i = _column_index(names, "currency", "billingcurrency")
    for label, index in (("Cost", cost_i), ("UsageDate", date_i), ("Currency", currency_i)):
        if index is None:
            raise CostDataError(f"page {page}: the response has no {label} column (columns: {', '.join(names)}).")
    key_cols = [i for i, n in enumerate(names) if n == "tagkey"]
    value_cols = [i for i, n in enumerate(names) if n == "tagvalue"]
    if len(key_cols) != len(value_cols) or not value_cols:
        raise CostDataError(f"page {page}: expected TagKey/TagValue column pairs (columns: {', '.join(names)}).")
    parsed = []
    for n, row in enumerate(rows, start=1):
        where = f"page {page}, row {n}"
        if not isinstance(row, list | tuple) or len(row) != len(names):
            raise CostDataError(f"{where}: expected {len(names)} values, got {row!r}.")
        cost = _parse_cost(row[cost_i], f"{where}, column Cost")
        day = _parse_usage_date(row[date_i], f"{where}, column UsageDate", date_from, date_to)
        currency = row[currency_i]
        if not isinstance(currency, str) or not currency.strip() or len(currency.strip()) > 8:
            raise CostDataError(f"{where}, column Currency: {currency!r} is not a currency code.")
        tags = {WORKSPACE_TAG.lower(): "", DOMAIN_TAG.lower(): ""}
        for position, (k_i, v_i) in enumerate(zip(key_cols, value_cols, strict=True)):
            key = row[k_i]
            if key is not None and not isinstance(key, str):
                raise CostDataError(f"{where}, column TagKey: {key!r} is not a tag key.")
            key = (key or (GROUPING[position] if position < len(GROUPING) else "")).strip().lower()
            value = _parse_tag_value(row[v_i], f"{where}, column TagValue")
            if key in tags and value:
                tags[key] = value
        parsed.append(
            CostRow(day, tags[WORKSPACE_TAG.lower()], tags[DOMAIN_TAG.lower()], currency.strip().upper(), cost)
        )
    return parsed


def fetch_cost_rows(*, client, scope: CostScope, date_from: dt.date, date_to: dt.date, result: IngestResult) -> list[CostRow]:
    """Every row of [date_from, date_to], following nextLink. SDK errors that are transient become TransientAzureError."""
    body = query_definition(cost_type=scope.cost_type, date_from=date_from, date_to=date_to)
    params: dict = {}
    seen: set = set()
    rows: list[CostRow] = []
    for page in range(1, MAX_PAGES + 1):
        try:
            response = client.query.usage(scope.arm_path, body, params=params) if params else client.query.usage(
                scope.arm_path, body
            )
        except AzureError as exc:
            if is_transient(exc):
                raise as_transient(exc) from exc
            raise
        result.pages += 1
        if response is None:  # 204: no content
            return rows
        props = response.properties
        if props is None:
            raise CostDataError(f"page {page}: the response has no properties.")
        rows.extend(parse_query_page(props.columns, props.rows, page=page, date_from=date_from, date_to=date_to))
        if not props.next_link:
            return rows
        params = _next_page_params(props.next_link, seen)
    raise CostDataError(f"more than {MAX_PAGES} pages for {date_from}..{date_to}; refusing to continue.")


def default_window(scope: CostScope, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """From the trailing restated days (or history start) to yesterday."""
    today = today or timezone.now().date()
    date_to = today - dt.timedelta(days=1)
    restate = max(1, int(getattr(settings, "CHARGEBACK_RESTATEMENT_DAYS", 3)))
    if scope.last_complete_day:
        date_from = max(scope.history_start, scope.last_complete_day - dt.timedelta(days=restate - 1))
    else:
        date_from = scope.history_start
    return date_from, date_to


def _aggregate(rows: list[CostRow]) -> dict[tuple, Decimal]:
    """Sum rows with the same natural key (Azure may split one tag value over differently-cased keys)."""
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in rows:
        totals[(r.usage_date, r.workspace_tag, r.domain_tag, r.currency)] += r.cost
    return totals


def refresh_cost_months(*, scope_id: int, date_from: dt.date, date_to: dt.date) -> int:
    """Rewrite the CostMonth totals of every month [date_from, date_to] touches (call inside the write's transaction)."""
    first = date_from.replace(day=1)
    last = (date_to.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    CostMonth.objects.filter(scope_id=scope_id, month__range=(first, last)).delete()
    grouped = (
        CostRecord.objects.filter(scope_id=scope_id, usage_date__range=(first, last))
        .annotate(period=TruncMonth("usage_date"))
        .values("tenant_id", "period", "cost_type", "domain_id", "workspace_id", "currency")
        .annotate(total=Sum("cost"), rows=Count("id"))
        .order_by()
    )
    months = [
        CostMonth(
            tenant_id=g["tenant_id"], scope_id=scope_id, month=g["period"], cost_type=g["cost_type"],
            domain_id=g["domain_id"], workspace_id=g["workspace_id"], currency=g["currency"], cost=g["total"],
            records=g["rows"],
        )
        for g in grouped
    ]
    CostMonth.objects.bulk_create(months, batch_size=2000)
    return len(months)


def _write_window(*, scope: CostScope, actor, date_from, date_to, totals: dict, result: IngestResult) -> None:
    workspaces, domains = {}, {}
    unmapped: dict[tuple[str, str], list[dt.date]] = {}
    mapped: set[tuple[str, str]] = set()

    def match_workspace(tag):
        if tag.lower() not in workspaces:
            workspaces[tag.lower()] = domain_selectors.workspace_match(tenant=scope.tenant, tag_value=tag)
        return workspaces[tag.lower()]

    def match_domain(tag):
        if tag.lower() not in domains:
            domains[tag.lower()] = domain_selectors.domain_match(tenant=scope.tenant, tag_value=tag)
        return domains[tag.lower()]

    def note(kind, tag, day, found):
        key = (kind, tag.lower())
        if found is not None:
            mapped.add(key)
            return
        seen = unmapped.setdefault(key, [day, day, tag])
        seen[0], seen[1] = min(seen[0], day), max(seen[1], day)

    records = []
    for (day, ws_tag, dom_tag, currency), cost in sorted(totals.items()):
        workspace = match_workspace(ws_tag) if ws_tag else None
        domain_by_tag = match_domain(dom_tag) if dom_tag else None
        if ws_tag:
            note(TagKey.WORKSPACE, ws_tag, day, workspace)
        if dom_tag:
            note(TagKey.DOMAIN, dom_tag, day, domain_by_tag)
        # The workspace record is authoritative for its domain; the domain tag covers shared resources.
        domain_id = workspace.domain_id if workspace is not None else getattr(domain_by_tag, "pk", None)
        records.append(
            CostRecord(
                tenant_id=scope.tenant_id, scope_id=scope.pk, usage_date=day, cost_type=scope.cost_type,
                workspace_id=getattr(workspace, "pk", None), domain_id=domain_id,
                workspace_tag=ws_tag, domain_tag=dom_tag, cost=cost, currency=currency,
            )
        )

    with transaction.atomic():
        locked = CostScope.objects.select_for_update().get(pk=scope.pk)
        result.replaced, _ = CostRecord.objects.filter(scope=locked, usage_date__range=(date_from, date_to)).delete()
        CostRecord.objects.bulk_create(records, batch_size=2000)
        refresh_cost_months(scope_id=locked.pk, date_from=date_from, date_to=date_to)
        for (kind, _lower), (first, last, raw) in sorted(unmapped.items()):
            existing = UnmappedTagValue.objects.filter(tenant=locked.tenant, tag_key=kind, value__iexact=raw).first()
            if existing is None:
                UnmappedTagValue.objects.create(tenant=locked.tenant, tag_key=kind, value=raw, first_seen=first, last_seen=last)
            else:
                existing.first_seen, existing.last_seen = min(existing.first_seen, first), max(existing.last_seen, last)
                existing.save(update_fields=["first_seen", "last_seen", "updated_at"])
            result.unmapped.append((str(kind), raw))
        for kind, lower in mapped:
            UnmappedTagValue.objects.filter(tenant=locked.tenant, tag_key=kind, value__iexact=lower).delete()
        if locked.last_complete_day is None or date_to > locked.last_complete_day:
            locked.last_complete_day = date_to
            locked.save(update_fields=["last_complete_day"])
            scope.last_complete_day = date_to
        result.records = len(records)
        audit.record(
            actor=actor,
            action="chargeback.costs_ingested",
            target=locked,
            data={
                "from": date_from.isoformat(), "to": date_to.isoformat(), "records": result.records,
                "replaced": result.replaced, "pages": result.pages, "unmapped": len(result.unmapped),
            },
        )


def costs_ingest(
    *, scope: CostScope, date_from: dt.date | None = None, date_to: dt.date | None = None, actor=None, client=None
) -> IngestResult:
    """Pull and replace [date_from, date_to] (default: the trailing restated days to yesterday) for ``scope``.

    ``actor`` is None for scheduled runs; a person running it by hand must be a platform owner or finance.
    Progress and the outcome are recorded in a JobRun named ``chargeback.costs_ingest``.
    """
    if actor is not None and not (actor.is_superuser or actor.is_platform_owner or actor.is_finance):
        raise PermissionError("Only platform owners and finance run cost ingestion.")
    if actor is not None and not actor.is_superuser and actor.tenant_id != scope.tenant_id:
        raise PermissionError("This cost scope belongs to another tenant.")
    scope.refresh_from_db()  # the window starts from the stored last_complete_day, not a stale copy
    if not scope.enabled:
        raise ValidationError({"scope": f"The cost scope {scope.name!r} is disabled."})
    default_from, default_to = default_window(scope)
    date_from = date_from or default_from
    date_to = date_to or default_to
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValidationError({name: f"{value!r} is not a date (YYYY-MM-DD)."})
    if date_from > date_to:
        raise ValidationError({"date_from": f"The window starts ({date_from}) after it ends ({date_to})."})

    chunks = month_chunks(date_from, date_to)
    result = IngestResult(scope_id=scope.pk, date_from=date_from, date_to=date_to)
    job = job_run_start(
        name=JOB_NAME, tenant=scope.tenant, started_by=actor, total=len(chunks),
        message=f"{scope.name}: {date_from}..{date_to}",
    )
    result.job_run_id = job.pk
    try:
        client = client or cost_management_client(scope)
        rows: list[CostRow] = []
        for start, end in chunks:
            rows.extend(fetch_cost_rows(client=client, scope=scope, date_from=start, date_to=end, result=result))
            job_run_progress(job_run=job, advance=1, message=f"{scope.name}: fetched {start}..{end}")
        _write_window(scope=scope, actor=actor, date_from=date_from, date_to=date_to, totals=_aggregate(rows), result=result)
    except Exception as exc:
        job_run_finish(job_run=job, error=f"{type(exc).__name__}: {exc}"[:5000], message=f"{scope.name}: failed, nothing written")
        raise
    job_run_finish(
        job_run=job,
        message=f"{scope.name}: {result.records} cost rows for {date_from}..{date_to} ({len(result.unmapped)} unmapped tag values)",
    )
    _evaluate_budgets(scope, date_to)
    return result


def cost_records_replace(*, scope: CostScope, actor, date_from: dt.date, date_to: dt.date, rows: list[CostRow]) -> IngestResult:
    """Replace the scope's [date_from, date_to] with ``rows`` (demo data): the same tag mapping, unmapped-tag
    listing and replace-the-window guarantee as ingestion. ``actor`` must be a platform owner or finance."""
    if not (actor.is_superuser or actor.is_platform_owner or actor.is_finance) or (
        not actor.is_superuser and actor.tenant_id != scope.tenant_id
    ):
        raise PermissionError("Only platform owners and finance of the scope's tenant load cost.")
    outside = [r for r in rows if not date_from <= r.usage_date <= date_to]
    if outside:
        raise ValidationError({"rows": f"{outside[0].usage_date} is outside {date_from}..{date_to}."})
    result = IngestResult(scope_id=scope.pk, date_from=date_from, date_to=date_to)
    _write_window(scope=scope, actor=actor, date_from=date_from, date_to=date_to, totals=_aggregate(rows), result=result)
    return result


def _evaluate_budgets(scope: CostScope, as_of: dt.date) -> None:
    """After an ingest, check the scope's budgets for the month of the last ingested day (never fails the ingest)."""
    from chargeback.services.budgets import budgets_evaluate

    try:
        budgets_evaluate(tenant=scope.tenant, as_of=as_of, cost_scope=scope)
    except Exception:  # the cost is in; a notification problem must not turn the ingest into a failure
        logger.exception("Budget evaluation after ingesting %s failed", scope.name)
