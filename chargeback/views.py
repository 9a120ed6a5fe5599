"""Chargeback pages: the month × domain matrix, a domain's workspaces and budgets, each table with a CSV download."""

import csv
import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chargeback import charts, selectors, services
from chargeback.forms import BudgetForm, MonthPeriodForm
from domains.selectors import domain_ids_for, domain_list, workspace_list
from loom_portal import authz
from loom_portal.selectors import job_run_list

CSV_UNSAFE_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    if isinstance(value, str) and text.startswith(CSV_UNSAFE_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    """A plain signed decimal such as -15.00 (safe in a spreadsheet; a formula never is)."""
    body = text[1:] if text[:1] in "+-" else text
    return bool(body) and body.replace(".", "", 1).isdigit()


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _csv_response(matrix, first_column: str, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([first_column, "Currency", *[p.strftime("%Y-%m") for p in matrix.periods], "Total"])
    for row in matrix.rows:
        writer.writerow([_cell(row.label), _cell(row.currency), *[_money(c) for c in row.cells], _money(row.total)])
    for currency, cells, total in matrix.totals():
        writer.writerow(["Total", _cell(currency), *[_money(c) for c in cells], _money(total)])
    return response


def _rows_csv(filename: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return response


def _bad_period(request, form, template_title):
    return render(
        request,
        "chargeback/bad_request.html",
        {"title": template_title, "errors": form.param_errors},
        status=400,
    )


def _monthly_chart(matrix):
    totals = matrix.totals()
    if not totals:
        return None, ""
    currency, cells, _ = max(totals, key=lambda t: t[2])
    return charts.bar_chart([(p.strftime("%b %Y"), c) for p, c in zip(matrix.periods, cells, strict=True)]), currency


def _visible_domains(actor) -> dict:
    """Domain id → (name, slug) for the domains whose cost ``actor`` may see."""
    ids = domain_ids_for(actor=actor, perm="chargeback.view_domain_costs")
    return {pk: (name, slug) for pk, name, slug in domain_list(actor=actor).filter(pk__in=ids).values_list("pk", "name", "slug")}


def _pct(value) -> str:
    return "" if value is None else str(value)


@login_required
def cost_matrix(request):
    authz.require(request.user, "chargeback.view_reports")
    form = MonthPeriodForm(request.GET)
    if not form.is_valid():
        return _bad_period(request, form, "Chargeback")
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    actor = request.user
    matrix = selectors.domain_month_matrix(actor=actor, date_from=date_from, date_to=date_to)
    allocation = selectors.cost_allocation(actor=actor, date_from=date_from, date_to=date_to)
    allocated = selectors.allocated_matrix(
        actor=actor, direct=matrix, allocation=allocation, domains=_visible_domains(actor)
    )
    totals = selectors.direct_and_allocated(matrix, allocated)
    movers_month, movers = selectors.top_movers(matrix)
    forecasts = selectors.month_end_forecasts(actor=actor, matrix=matrix, today=timezone.now().date())
    showback = selectors.product_showback(actor=actor, date_from=date_from, date_to=date_to)
    span = f"{date_from:%Y-%m}-{date_to:%Y-%m}"
    if request.GET.get("format") == "csv":
        table = request.GET.get("table") or "direct"
        if table == "showback":
            return _rows_csv(
                f"chargeback-showback-{span}.csv",
                ["Product", "Workspace", "Consumer", "Calls", "Share", "Currency", "Cost"],
                [[r.product_name, r.workspace, r.consumer, r.calls, str(r.share), r.currency, _money(r.cost)]
                 for r in showback],
            )
        if table == "direct":
            return _csv_response(matrix, "Domain", f"chargeback-{span}.csv")
        if table == "allocated":
            return _csv_response(allocated, "Domain", f"chargeback-allocated-{span}.csv")
        if table == "totals":
            return _rows_csv(
                f"chargeback-totals-{span}.csv", ["Domain", "Currency", "Direct", "Allocated", "Total"],
                [[t.label, t.currency, _money(t.direct), _money(t.allocated), _money(t.total)] for t in totals],
            )
        if table == "movers":
            return _rows_csv(
                f"chargeback-movers-{span}.csv", ["Domain", "Currency", "Previous month", "Month", "Change", "Change %"],
                [[m.label, m.currency, _money(m.previous), _money(m.current), _money(m.change), _pct(m.percent)]
                 for m in movers],
            )
        if table == "forecast":
            return _rows_csv(
                f"chargeback-forecast-{span}.csv", ["Month", "Currency", "Cost to date", "Data up to", "Month-end forecast"],
                [[f"{f.period:%Y-%m}", f.currency, _money(f.to_date), f.as_of.isoformat(), _money(f.forecast)]
                 for f in forecasts],
            )
        return render(
            request, "chargeback/bad_request.html",
            {"title": "Chargeback", "errors": {"table": ["table: expected one of direct, allocated, totals, movers, forecast, showback."]}},
            status=400,
        )
    chart, chart_currency = _monthly_chart(matrix)
    return render(
        request,
        "chargeback/matrix.html",
        {
            "matrix": matrix,
            "allocated": allocated,
            "allocation_rules": sorted(set(allocation.rules.values())),
            "totals": totals,
            "movers": movers,
            "movers_month": movers_month,
            "forecasts": forecasts,
            "showback": showback,
            "chart": chart,
            "chart_currency": chart_currency,
            "date_from": date_from,
            "date_to": date_to,
            "jobs": job_run_list(actor=actor).filter(
                name__in=("chargeback.costs_ingest", "chargeback.costs_import_focus")
            )[:5],
        },
    )


@login_required
def domain_costs(request, slug):
    domain = get_object_or_404(domain_list(actor=request.user), slug=slug)
    authz.require(request.user, "chargeback.view_domain_costs", domain)
    form = MonthPeriodForm(request.GET)
    if not form.is_valid():
        return _bad_period(request, form, f"Chargeback: {domain.name}")
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    matrix = selectors.domain_workspace_matrix(actor=request.user, domain=domain, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "csv":
        return _csv_response(matrix, "Workspace", f"chargeback-{domain.slug}-{date_from:%Y-%m}-{date_to:%Y-%m}.csv")
    trend = selectors.daily_trend(actor=request.user, date_from=date_from, date_to=date_to, domain=domain)
    chart, chart_currency = None, ""
    if trend:
        chart_currency, points = max(trend.items(), key=lambda kv: sum(v for _, v in kv[1]))
        chart = charts.bar_chart([(d.strftime("%d %b"), v) for d, v in points])
    return render(
        request,
        "chargeback/domain.html",
        {
            "domain": domain,
            "matrix": matrix,
            "chart": chart,
            "chart_currency": chart_currency,
            "date_from": date_from,
            "date_to": date_to,
        },
    )


# --- Budgets ---------------------------------------------------------------------------------


def budget_as_of() -> dt.date:
    """The day budgets are measured to: yesterday, the last day ingestion completes."""
    return timezone.now().date() - dt.timedelta(days=1)


def _budget_form(request, data=None, initial=None):
    return BudgetForm(
        data,
        initial=initial,
        cost_scopes=selectors.cost_scope_list(actor=request.user).filter(enabled=True),
        domains=domain_list(actor=request.user),
        workspaces=workspace_list(actor=request.user),
    )


def _save_budget(request, form, budget=None):
    """Call the service with the parsed form; its field errors land on the form. Returns the budget or None."""
    if not form.is_valid():
        return None
    values = dict(form.cleaned_data)
    try:
        if budget is None:
            return services.budget_create(actor=request.user, **values)
        return services.budget_update(actor=request.user, budget=budget, **values)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    return None


@login_required
def budget_list(request):
    authz.require(request.user, "chargeback.view_reports")
    as_of = budget_as_of()
    statuses = selectors.budget_statuses(actor=request.user, as_of=as_of)
    if request.GET.get("format") == "csv":
        return _rows_csv(
            f"budgets-{as_of:%Y-%m}.csv",
            ["Budget", "For", "Currency", "Amount", "Actual", "Actual %", "Forecast", "Forecast %", "Azure"],
            [
                [s.budget.name, s.budget.target_label, s.budget.currency, _money(s.budget.amount), _money(s.actual),
                 s.actual_percent, _money(s.forecast), s.forecast_percent, s.budget.get_push_state_display()]
                for s in statuses
            ],
        )
    return render(
        request,
        "chargeback/budget_list.html",
        {"statuses": statuses, "as_of": as_of, "can_add": authz.can(request.user, "chargeback.add_budget")},
    )


@login_required
def budget_create(request):
    authz.require(request.user, "chargeback.add_budget")
    form = _budget_form(request, request.POST or None, initial={"start_date": timezone.now().date().replace(day=1)})
    if request.method == "POST":
        budget = _save_budget(request, form)
        if budget is not None:
            messages.success(request, f"Budget {budget.name} saved; it is being pushed to Azure.")
            return redirect("chargeback_budget", budget.pk)
    return render(request, "chargeback/budget_form.html", {"form": form, "budget": None}, status=400 if form.errors else 200)


@login_required
def budget_detail(request, pk):
    budget = selectors.budget_get(actor=request.user, pk=pk)
    can_change = authz.can(request.user, "chargeback.change_budget", budget)
    form = None
    if can_change:
        form = _budget_form(request, request.POST or None, initial=BudgetForm.initial_from(budget))
    if request.method == "POST":
        authz.require(request.user, "chargeback.change_budget", budget)
        saved = _save_budget(request, form, budget)
        if saved is not None:
            messages.success(request, f"Budget {saved.name} saved; it is being pushed to Azure.")
            return redirect("chargeback_budget", saved.pk)
    [status] = selectors.budget_statuses(actor=request.user, as_of=budget_as_of(), budgets=[budget])
    alerts = selectors.budget_alert_list(actor=request.user).filter(budget=budget)[:24]
    return render(
        request,
        "chargeback/budget_detail.html",
        {"budget": budget, "status": status, "alerts": alerts, "form": form, "can_change": can_change,
         "can_delete": authz.can(request.user, "chargeback.delete_budget", budget)},
        status=400 if (form is not None and form.errors) else 200,
    )


@login_required
@require_POST
def budget_delete(request, pk):
    budget = selectors.budget_get(actor=request.user, pk=pk)
    services.budget_delete(actor=request.user, budget=budget)
    messages.success(request, f"Budget {budget.name} deleted.")
    return redirect("chargeback_budgets")


@login_required
@require_POST
def budget_push_again(request, pk):
    budget = selectors.budget_get(actor=request.user, pk=pk)
    services.budget_push_again(actor=request.user, budget=budget)
    messages.success(request, f"Budget {budget.name} is being pushed to Azure again.")
    return redirect("chargeback_budget", budget.pk)
