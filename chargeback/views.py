"""Chargeback pages: the month × domain matrix and a domain's workspaces, each with a CSV download."""

import csv
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from chargeback import charts, selectors
from chargeback.forms import MonthPeriodForm
from domains.selectors import domain_list
from loom_portal import authz
from loom_portal.selectors import job_run_list

CSV_UNSAFE_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    if isinstance(value, str) and text.startswith(CSV_UNSAFE_PREFIXES):
        return "'" + text
    return text


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


@login_required
def cost_matrix(request):
    authz.require(request.user, "chargeback.view_reports")
    form = MonthPeriodForm(request.GET)
    if not form.is_valid():
        return _bad_period(request, form, "Chargeback")
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    matrix = selectors.domain_month_matrix(actor=request.user, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "csv":
        return _csv_response(matrix, "Domain", f"chargeback-{date_from:%Y-%m}-{date_to:%Y-%m}.csv")
    chart, chart_currency = _monthly_chart(matrix)
    return render(
        request,
        "chargeback/matrix.html",
        {
            "matrix": matrix,
            "chart": chart,
            "chart_currency": chart_currency,
            "date_from": date_from,
            "date_to": date_to,
            "jobs": job_run_list(actor=request.user).filter(name="chargeback.costs_ingest")[:5],
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
