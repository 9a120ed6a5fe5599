"""Budgets: writes by finance, the push to Azure, and the portal's own evaluation after each ingest.

A budget is pushed to Azure as a ``Microsoft.Consumption/budgets`` resource at its cost
scope's ARM scope, filtered by the ``loomDomain`` or ``loomWorkspaceId`` tag, through
azure-mgmt-consumption's ``budgets.create_or_update``. The body carries the eTag Azure
returned last; when Azure answers 412 or 409 (someone changed the budget in Azure since)
the push re-reads it, takes the new eTag and tries once more. Transient failures
(throttling, 5xx) are recorded on the budget and raised as TransientAzureError so the
Celery task retries; any other failure is recorded on the budget and shown to finance.

Evaluation does not wait for Azure: after each ingest the portal sums the month's direct
cost of each budget's domain or workspace, forecasts the month end from the run rate and
notifies finance and the domain's owners once per threshold per month (a BudgetAlert row
with a unique key is the guard).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from chargeback.choices import BudgetTimeGrain, PushState, ThresholdType
from chargeback.models import BUDGET_NAME_RE, Budget, BudgetAlert, CostRecord, CostScope
from domains import selectors as domain_selectors
from loom_portal import audit, authz
from loom_portal.azure.clients import consumption_client
from loom_portal.azure.errors import as_transient, is_transient
from loom_portal.models import User
from loom_portal.services import notification_send

MAX_NOTIFICATIONS = 5  # Azure allows five notifications per budget
MAX_CONTACTS = 50
MAX_AMOUNT = Decimal("1e13")
CONFLICT_STATUS = (409, 412)
ACTION_GROUP_RE = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/microsoft\.insights/actionGroups/[^/]+$",
    re.IGNORECASE,
)
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
EDITABLE = (
    "name", "cost_scope", "domain", "workspace", "amount", "currency", "start_date", "end_date", "thresholds",
    "contact_emails", "contact_groups",
)


# --- Validation ------------------------------------------------------------------------------


def _label(obj) -> str:
    meta = getattr(obj, "_meta", None)
    return meta.label if meta is not None else ""


def _as_list(value, field, errors) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    if not isinstance(value, list | tuple):
        errors[field] = "Expected a list."
        return []
    return list(value)


def _clean_thresholds(value, errors) -> list[dict]:
    items = _as_list(value, "thresholds", errors)
    if "thresholds" in errors:
        return []
    cleaned, seen = [], set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors["thresholds"] = f"Threshold {n}: expected {{\"type\": \"Actual\"|\"Forecasted\", \"percent\": n}}."
            return []
        kind = item.get("type")
        if kind not in ThresholdType.values:
            errors["thresholds"] = f"Threshold {n}: type must be one of {', '.join(ThresholdType.values)}, not {kind!r}."
            return []
        percent = item.get("percent")
        if isinstance(percent, str) and percent.strip().isdigit():
            percent = int(percent.strip())
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 1000:
            errors["thresholds"] = f"Threshold {n}: percent must be a whole number from 1 to 1000, not {percent!r}."
            return []
        if (kind, percent) in seen:
            errors["thresholds"] = f"Threshold {n}: {kind} {percent}% is listed twice."
            return []
        seen.add((kind, percent))
        cleaned.append({"type": kind, "percent": percent})
    if not cleaned:
        errors["thresholds"] = "Give at least one threshold (Actual or Forecasted percentage)."
    elif len(cleaned) > MAX_NOTIFICATIONS:
        errors["thresholds"] = f"Azure allows at most {MAX_NOTIFICATIONS} thresholds per budget."
    return sorted(cleaned, key=lambda t: (t["type"], t["percent"]))


def _clean_budget(*, tenant, data: dict, budget: Budget | None = None) -> dict:
    """Validated field values, or ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    out = dict(data)

    name = (data.get("name") or "").strip()
    if not BUDGET_NAME_RE.match(name):
        errors["name"] = "Use 1 to 63 letters, digits, hyphens or underscores (it is also the Azure budget name)."
    else:
        clash = Budget.objects.filter(tenant=tenant, name__iexact=name)
        if budget is not None:
            clash = clash.exclude(pk=budget.pk)
        if clash.exists():
            errors["name"] = f"A budget named {name!r} already exists."
    out["name"] = name

    cost_scope = data.get("cost_scope")
    if not isinstance(cost_scope, CostScope) or cost_scope.tenant_id != tenant.pk:
        errors["cost_scope"] = "Choose a cost scope of this tenant."

    domain, workspace = data.get("domain"), data.get("workspace")
    if (domain is None) == (workspace is None):
        errors["domain"] = "A budget is for exactly one domain or one workspace."
    elif domain is not None and (_label(domain) != "domains.Domain" or domain.tenant_id != tenant.pk):
        errors["domain"] = "Choose a domain of this tenant."
    elif workspace is not None and (_label(workspace) != "domains.Workspace" or workspace.tenant_id != tenant.pk):
        errors["workspace"] = "Choose a workspace of this tenant."

    try:
        amount = Decimal(str(data.get("amount")).strip())
        if not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
            raise InvalidOperation
        if amount != amount.quantize(Decimal("0.01")):
            errors["amount"] = "Use at most two decimal places."
        out["amount"] = amount
    except (InvalidOperation, ValueError):
        errors["amount"] = f"Enter a positive amount, not {data.get('amount')!r}."

    currency = (data.get("currency") or "").strip().upper()
    if not CURRENCY_RE.match(currency):
        errors["currency"] = "Use a three-letter ISO 4217 code such as USD."
    out["currency"] = currency

    start, end = data.get("start_date"), data.get("end_date")
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        errors["start_date"] = "Enter the first day of a month (YYYY-MM-DD)."
    elif start.day != 1:
        errors["start_date"] = f"{start} is not the first day of a month (Azure monthly budgets start on the 1st)."
    elif start < dt.date(2017, 6, 1):
        errors["start_date"] = "Azure budgets cannot start before 2017-06-01."
    elif budget is not None and budget.last_pushed_at and start != budget.start_date:
        errors["start_date"] = "Azure cannot change the start of an existing budget; create a new budget instead."
    if end is not None and (not isinstance(end, dt.date) or isinstance(end, dt.datetime)):
        errors["end_date"] = "Enter the last day (YYYY-MM-DD) or leave it empty."
    elif end is not None and isinstance(start, dt.date) and end <= start:
        errors["end_date"] = f"The budget ends ({end}) before it starts ({start})."

    out["thresholds"] = _clean_thresholds(data.get("thresholds"), errors)

    emails = [str(e).strip() for e in _as_list(data.get("contact_emails"), "contact_emails", errors)]
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            errors["contact_emails"] = f"{email!r} is not an e-mail address."
            break
    if len(emails) > MAX_CONTACTS:
        errors["contact_emails"] = f"Azure allows at most {MAX_CONTACTS} contact e-mails."
    out["contact_emails"] = list(dict.fromkeys(emails))

    groups = [str(g).strip() for g in _as_list(data.get("contact_groups"), "contact_groups", errors)]
    for group in groups:
        if not ACTION_GROUP_RE.match(group):
            errors["contact_groups"] = (
                f"{group!r} is not an action group id "
                "(/subscriptions/<id>/resourceGroups/<name>/providers/microsoft.insights/actionGroups/<name>)."
            )
            break
    out["contact_groups"] = list(dict.fromkeys(groups))
    if not emails and not groups and "contact_emails" not in errors and "contact_groups" not in errors:
        errors["contact_emails"] = "Give at least one contact e-mail or action group for Azure's notifications."

    if errors:
        raise ValidationError(errors)
    return out


def _enqueue_push(budget_id: int) -> None:
    from chargeback.tasks import budget_push as push_task

    # robust: a broker outage must not undo the write; the budget stays "pending" and can be re-pushed.
    transaction.on_commit(lambda: push_task.delay(budget_id=budget_id), robust=True)


# --- Writes ----------------------------------------------------------------------------------


@transaction.atomic
def budget_create(
    *, actor, name: str, cost_scope, amount, start_date, thresholds, domain=None, workspace=None,
    currency: str = "USD", end_date=None, contact_emails=(), contact_groups=(), push: bool = True,
) -> Budget:
    """Create a budget; it is pushed to Azure after commit unless ``push`` is False (demo data)."""
    authz.require(actor, "chargeback.add_budget")
    tenant = actor.tenant if actor.tenant_id else getattr(cost_scope, "tenant", None)
    values = _clean_budget(
        tenant=tenant,
        data={
            "name": name, "cost_scope": cost_scope, "domain": domain, "workspace": workspace, "amount": amount,
            "currency": currency, "start_date": start_date, "end_date": end_date, "thresholds": thresholds,
            "contact_emails": contact_emails, "contact_groups": contact_groups,
        },
    )
    try:
        with transaction.atomic():
            budget = Budget.objects.create(
                tenant=tenant, created_by=actor, time_grain=BudgetTimeGrain.MONTHLY, push_state=PushState.PENDING,
                **values,
            )
    except IntegrityError:
        raise ValidationError({"name": f"A budget named {values['name']!r} already exists."}) from None
    audit.record(
        actor=actor, action="chargeback.budget.created", target=budget,
        data={"amount": str(budget.amount), "currency": budget.currency, "for": budget.target_label},
    )
    if push:
        _enqueue_push(budget.pk)
    return budget


@transaction.atomic
def budget_update(*, actor, budget: Budget, **changes) -> Budget:
    """Change any of the editable fields (others keep their value); the budget is pushed again."""
    authz.require(actor, "chargeback.change_budget", budget)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({unknown[0]: "This field cannot be changed."})
    locked = Budget.objects.select_for_update(of=("self",)).select_related("cost_scope", "domain", "workspace").get(
        pk=budget.pk
    )
    current = {f: getattr(locked, f) for f in EDITABLE}
    if "domain" in changes and "workspace" not in changes:
        current["workspace"] = None
    if "workspace" in changes and "domain" not in changes:
        current["domain"] = None
    values = _clean_budget(tenant=locked.tenant, data={**current, **changes}, budget=locked)
    changed = sorted(f for f in EDITABLE if values[f] != getattr(locked, f))
    if not changed:
        return locked
    scope_moved = values["cost_scope"] != locked.cost_scope or values["name"].lower() != locked.name.lower()
    if scope_moved and locked.last_pushed_at:
        # The Azure budget is keyed by scope and name: the old one goes once this commits.
        from chargeback.tasks import budget_delete_remote

        old_scope_id, old_name = locked.cost_scope_id, locked.name
        transaction.on_commit(
            lambda: budget_delete_remote.delay(cost_scope_id=old_scope_id, name=old_name), robust=True
        )
    for field in EDITABLE:
        setattr(locked, field, values[field])
    locked.push_state = PushState.PENDING
    if scope_moved:  # a new Azure resource: the old eTag means nothing there
        locked.etag = ""
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise ValidationError({"name": f"A budget named {values['name']!r} already exists."}) from None
    audit.record(actor=actor, action="chargeback.budget.updated", target=locked, data={"changes": changed})
    _enqueue_push(locked.pk)
    return locked


@transaction.atomic
def budget_push_again(*, actor, budget: Budget) -> Budget:
    """Finance asks for another push (after a refused or exhausted one); the error stays until it succeeds."""
    authz.require(actor, "chargeback.change_budget", budget)
    Budget.objects.filter(pk=budget.pk).update(push_state=PushState.PENDING)
    audit.record(actor=actor, action="chargeback.budget.push_requested", target=budget)
    _enqueue_push(budget.pk)
    budget.refresh_from_db()
    return budget


@transaction.atomic
def budget_delete(*, actor, budget: Budget) -> None:
    """Delete the budget here, and in Azure after commit when it was pushed."""
    authz.require(actor, "chargeback.delete_budget", budget)
    budget = Budget.objects.select_for_update().select_related("cost_scope").get(pk=budget.pk)
    audit.record(
        actor=actor, action="chargeback.budget.deleted", target=budget,
        data={"name": budget.name, "pushed": bool(budget.last_pushed_at)},
    )
    if budget.last_pushed_at:
        from chargeback.tasks import budget_delete_remote

        scope_id, name = budget.cost_scope_id, budget.name
        transaction.on_commit(lambda: budget_delete_remote.delay(cost_scope_id=scope_id, name=name), robust=True)
    budget.delete()


# --- Push to Azure ---------------------------------------------------------------------------


def azure_budget_body(budget: Budget, *, etag: str = "") -> dict:
    """The documented Microsoft.Consumption/budgets PUT body (api-version 2024-08-01)."""
    tag, value = budget.tag_filter
    emails, groups = list(budget.contact_emails), list(budget.contact_groups)
    period = {"startDate": f"{budget.start_date.isoformat()}T00:00:00Z"}
    if budget.end_date:
        period["endDate"] = f"{budget.end_date.isoformat()}T00:00:00Z"
    body = {
        "properties": {
            "category": "Cost",
            "amount": float(budget.amount),
            "timeGrain": budget.time_grain,
            "timePeriod": period,
            "filter": {"tags": {"name": tag, "operator": "In", "values": [value]}},
            "notifications": {
                f"{t['type']}_GreaterThan_{t['percent']}_Percent": {
                    "enabled": True,
                    "operator": "GreaterThan",
                    "threshold": t["percent"],
                    "contactEmails": emails,
                    "contactGroups": groups,
                    "thresholdType": t["type"],
                }
                for t in budget.thresholds
            },
        }
    }
    if etag:
        body["eTag"] = etag
    return body


def _error_text(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(exc).splitlines()[0]
    prefix = f"HTTP {status}" if status else type(exc).__name__
    return f"{prefix}{f' {code}' if code else ''}: {message}"[:2000]


def _record_push(budget_id: int, **fields) -> None:
    Budget.objects.filter(pk=budget_id).update(**fields)


def budget_push(*, budget: Budget, client=None) -> Budget:
    """Create or update the budget in Azure; returns the budget with its push state refreshed.

    Raises TransientAzureError (after recording it) when Azure is throttling or unavailable.
    """
    budget = Budget.objects.select_related("cost_scope", "domain", "workspace").get(pk=budget.pk)
    scope = budget.cost_scope
    try:
        client = client or consumption_client(scope)
        try:
            result = client.budgets.create_or_update(
                scope.arm_path, budget.name, azure_budget_body(budget, etag=budget.etag)
            )
        except HttpResponseError as exc:
            if exc.status_code not in CONFLICT_STATUS:
                raise
            # Someone changed the budget in Azure since our last push: re-read it and try once more.
            try:
                current_etag = client.budgets.get(scope.arm_path, budget.name).e_tag or ""
            except ResourceNotFoundError:
                current_etag = ""  # deleted in Azure meanwhile: create it again
            result = client.budgets.create_or_update(
                scope.arm_path, budget.name, azure_budget_body(budget, etag=current_etag)
            )
    except AzureError as exc:
        text = _error_text(exc)
        state = PushState.PENDING if is_transient(exc) else PushState.FAILED
        with transaction.atomic():
            _record_push(budget.pk, push_state=state, last_push_error=text)
            audit.record(actor=None, action="chargeback.budget.push_failed", target=budget, data={"error": text})
        if is_transient(exc):
            raise as_transient(exc) from exc
        budget.refresh_from_db()
        return budget
    with transaction.atomic():
        _record_push(
            budget.pk, push_state=PushState.PUSHED, etag=result.e_tag or "", last_pushed_at=timezone.now(),
            last_push_error="",
        )
        audit.record(actor=None, action="chargeback.budget.pushed", target=budget, data={"etag": result.e_tag or ""})
    budget.refresh_from_db()
    return budget


def budget_delete_remote(*, cost_scope: CostScope, name: str, client=None) -> bool:
    """Delete the Azure budget ``name`` at the scope; False when it was already gone."""
    client = client or consumption_client(cost_scope)
    try:
        client.budgets.delete(cost_scope.arm_path, name)
    except HttpResponseError as exc:
        if exc.status_code == 404:
            return False
        if is_transient(exc):
            raise as_transient(exc) from exc
        raise
    return True


# --- Evaluation ------------------------------------------------------------------------------


@dataclass
class BudgetEvaluation:
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


def month_end_forecast(actual: Decimal, period: dt.date, as_of: dt.date) -> Decimal:
    """The month's cost if the run rate so far continues: actual / days elapsed × days in month."""
    days = calendar.monthrange(period.year, period.month)[1]
    elapsed = min(days, (as_of - period).days + 1)
    if elapsed <= 0:
        return Decimal("0")
    return (actual / elapsed * days).quantize(Decimal("0.01"))


def budget_spend(budget: Budget, *, as_of: dt.date) -> BudgetEvaluation:
    """Actual direct cost of the budget's domain or workspace in the month of ``as_of`` (up to it) and the forecast."""
    period = as_of.replace(day=1)
    target = Q(workspace_id=budget.workspace_id) if budget.workspace_id else Q(domain_id=budget.domain_id)
    actual = (
        CostRecord.objects.filter(
            target, tenant_id=budget.tenant_id, scope_id=budget.cost_scope_id, currency=budget.currency,
            usage_date__range=(period, as_of),
        ).aggregate(total=Sum("cost"))["total"]
        or Decimal("0")
    ).quantize(Decimal("0.01"))
    return BudgetEvaluation(budget, period, as_of, actual, month_end_forecast(actual, period, as_of))


def _recipients(budget: Budget) -> list[User]:
    domain = budget.workspace.domain if budget.workspace_id else budget.domain
    finance = list(User.objects.filter(tenant_id=budget.tenant_id, is_finance=True, is_active=True))
    owners = domain_selectors.domain_people(domain)["owners"]
    return list({u.pk: u for u in [*finance, *owners]}.values())


def _active(budget: Budget, period: dt.date) -> bool:
    return budget.start_date <= period and (budget.end_date is None or budget.end_date >= period)


def budgets_evaluate(*, tenant, as_of: dt.date, cost_scope: CostScope | None = None) -> list[BudgetAlert]:
    """Check every budget of ``tenant`` (of ``cost_scope`` when given) for the month of ``as_of``.

    Each threshold crossed for the first time this month becomes a BudgetAlert and a
    notification (in the portal and by e-mail) to finance and the domain's owners. Running
    it again notifies nobody twice. Returns the alerts created by this run.
    """
    budgets = Budget.objects.filter(tenant=tenant).select_related("domain", "workspace__domain", "cost_scope")
    if cost_scope is not None:
        budgets = budgets.filter(cost_scope=cost_scope)
    created = []
    for budget in budgets:
        evaluation = budget_spend(budget, as_of=as_of)
        if not _active(budget, evaluation.period):
            continue
        for threshold in budget.thresholds:
            spend = evaluation.actual if threshold["type"] == ThresholdType.ACTUAL else evaluation.forecast
            if spend * 100 <= budget.amount * threshold["percent"]:
                continue
            alert = _alert_once(budget, evaluation, threshold, spend)
            if alert is not None:
                created.append(alert)
    return created


@transaction.atomic
def _alert_once(budget: Budget, evaluation: BudgetEvaluation, threshold: dict, spend: Decimal) -> BudgetAlert | None:
    try:
        with transaction.atomic():
            alert = BudgetAlert.objects.create(
                tenant_id=budget.tenant_id, budget=budget, period=evaluation.period, threshold_type=threshold["type"],
                percent=threshold["percent"], spend=spend, budget_amount=budget.amount, currency=budget.currency,
            )
    except IntegrityError:
        return None  # already alerted for this threshold this month
    what = "spent" if threshold["type"] == ThresholdType.ACTUAL else "is forecast to spend"
    title = f"Budget {budget.name}: {threshold['type'].lower()} cost above {threshold['percent']}%"
    body = (
        f"{budget.target_label} {what} {spend:,.2f} {budget.currency} in {evaluation.period:%B %Y}, "
        f"over {threshold['percent']}% of the {budget.amount:,.2f} {budget.currency} budget "
        f"(actual so far {evaluation.actual:,.2f}, month-end forecast {evaluation.forecast:,.2f}, "
        f"data up to {evaluation.as_of})."
    )
    url = reverse("chargeback_budget", args=[budget.pk])
    for user in _recipients(budget):
        notification_send(recipient=user, title=title, body=body, url=url)
    audit.record(
        actor=None, action="chargeback.budget.threshold_crossed", target=budget,
        data={"period": evaluation.period.isoformat(), "type": threshold["type"], "percent": threshold["percent"],
              "spend": str(spend)},
    )
    return alert
