"""Chargeback reports: the month × domain matrix, a domain's workspaces, the daily trend, CSV and REST.

Cost is seeded through the real ingestion path (SDK → loopback double → costs_ingest).
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from chargeback import selectors, services
from tests import factories
from tests.chargeback.conftest import SUBSCRIPTION, day

pytestmark = pytest.mark.django_db

PERIOD = "from=2026-09&to=2026-10"


@pytest.fixture
def costs(cost_api, cost_scope, platform_owner, domain, workspace):
    """Finance (ledger workspace + domain-tagged), Human Resources (payroll) and untagged cost in Sep and Oct 2026."""
    hr = factories.make_domain(platform_owner, "Human Resources", slug="hr")
    factories.make_workspace(platform_owner, hr, "contoso-hr-payroll", name="Payroll")
    seed = [
        (day(10, 9), 100, {"loomWorkspaceId": "contoso-fin-ledger"}),
        (day(11, 9), 40, {"loomWorkspaceId": "contoso-hr-payroll"}),
        (day(12, 9), 5, {}),
        (day(1), 50, {"loomWorkspaceId": "Contoso-Fin-Ledger"}),
        (day(2), 25, {"loomWorkspaceId": "contoso-fin-ledger"}),
        (day(3), 10, {"loomDomain": "finance"}),
        (day(5), 60, {"loomWorkspaceId": "contoso-hr-payroll", "loomDomain": "hr"}),
        (day(6), 7, {}),
    ]
    for usage_day, cost, tags in seed:
        cost_api.add_cost(SUBSCRIPTION, usage_day, cost, **tags)
    services.costs_ingest(scope=cost_scope, date_from=day(1, 9), date_to=day(31))
    return {"hr": hr}


def matrix_as_dict(matrix):
    return {row.label: [str(c) for c in row.cells] for row in matrix.rows}


def test_the_month_by_domain_matrix_shows_direct_cost_with_unallocated_as_its_own_row(costs, finance):
    matrix = selectors.domain_month_matrix(actor=finance, date_from=day(1, 9), date_to=day(31))

    assert matrix.periods == [day(1, 9), day(1)]
    assert matrix_as_dict(matrix) == {
        "Finance": ["100.0000000000", "85.0000000000"],
        "Human Resources": ["40.0000000000", "60.0000000000"],
        "Unallocated": ["5.0000000000", "7.0000000000"],
    }
    assert [row.label for row in matrix.rows][-1] == "Unallocated"
    assert matrix.totals() == [("USD", [Decimal("145"), Decimal("152")], Decimal("297"))]


def test_a_domain_drill_down_lists_its_workspaces_and_domain_tagged_cost(costs, finance, domain):
    matrix = selectors.domain_workspace_matrix(actor=finance, domain=domain, date_from=day(1, 9), date_to=day(31))

    assert matrix_as_dict(matrix) == {
        "Ledger analytics (contoso-fin-ledger)": ["100.0000000000", "75.0000000000"],
        "No workspace (domain-tagged)": ["0", "10.0000000000"],
    }


def test_the_daily_trend_has_every_day_of_the_period(costs, finance, domain):
    trend = selectors.daily_trend(actor=finance, date_from=day(1), date_to=day(4), domain=domain)

    assert trend == {"USD": [(day(1), Decimal("50")), (day(2), Decimal("25")), (day(3), Decimal("10")), (day(4), 0)]}


def test_the_matrix_page_links_each_domain_to_its_drill_down_and_draws_an_inline_chart(costs, finance, signed_in):
    response = signed_in(finance).get(f"/chargeback/?{PERIOD}")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/chargeback/domains/finance/?from=2026-09&amp;to=2026-10"' in page
    assert "Unallocated" in page and "297.00" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and page.count("<rect ") == 2
    assert "https://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org/2000/svg", "")


def test_the_matrix_downloads_as_csv(costs, finance, signed_in):
    response = signed_in(finance).get(f"/chargeback/?{PERIOD}&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Domain", "Currency", "2026-09", "2026-10", "Total"],
        ["Finance", "USD", "100.00", "85.00", "185.00"],
        ["Human Resources", "USD", "40.00", "60.00", "100.00"],
        ["Unallocated", "USD", "5.00", "7.00", "12.00"],
        ["Total", "USD", "145.00", "152.00", "297.00"],
    ]


def test_the_drill_down_page_and_its_csv(costs, finance, signed_in):
    client = signed_in(finance)
    page = client.get(f"/chargeback/domains/finance/?{PERIOD}")
    assert page.status_code == 200
    assert "Ledger analytics (contoso-fin-ledger)" in page.content.decode()
    assert 'data-testid="daily-chart"' in page.content.decode()

    rows = list(csv.reader(io.StringIO(client.get(f"/chargeback/domains/finance/?{PERIOD}&format=csv").content.decode())))
    assert rows[0] == ["Workspace", "Currency", "2026-09", "2026-10", "Total"]
    assert rows[1] == ["Ledger analytics (contoso-fin-ledger)", "USD", "100.00", "75.00", "175.00"]


def test_csv_cells_never_start_a_spreadsheet_formula(cost_api, cost_scope, platform_owner, finance, signed_in):
    factories.make_domain(platform_owner, "=HYPERLINK(1)", slug="formula")
    cost_api.add_cost(SUBSCRIPTION, day(1), 1, loomDomain="formula")
    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(31))

    body = signed_in(finance).get("/chargeback/?from=2026-10&to=2026-10&format=csv").content.decode()

    assert "'=HYPERLINK(1)" in body


@pytest.mark.parametrize(
    "query, param",
    [("from=2026-13", "from"), ("to=yesterday", "to"), ("from=2026-10&to=2026-09", "from")],
)
def test_a_bad_period_on_a_page_is_a_400_naming_the_parameter(costs, finance, signed_in, query, param):
    response = signed_in(finance).get(f"/chargeback/?{query}")

    assert response.status_code == 400
    assert f'data-param="{param}"' in response.content.decode()


def test_the_rest_report_groups_by_domain_and_month(costs, finance, signed_in):
    response = signed_in(finance).get("/api/v1/chargeback/costs?group_by=domain&granularity=month&from=2026-09-01&to=2026-10-31")

    assert response.status_code == 200
    body = response.json()
    assert (body["group_by"], body["granularity"], body["date_from"], body["date_to"]) == (
        "domain", "month", "2026-09-01", "2026-10-31",
    )
    assert [(r["period"], r["domain"], r["domain_name"], Decimal(r["cost"])) for r in body["results"]] == [
        ("2026-09", "finance", "Finance", Decimal("100")),
        ("2026-09", "hr", "Human Resources", Decimal("40")),
        ("2026-09", None, "Unallocated", Decimal("5")),
        ("2026-10", "finance", "Finance", Decimal("85")),
        ("2026-10", "hr", "Human Resources", Decimal("60")),
        ("2026-10", None, "Unallocated", Decimal("7")),
    ]


def test_the_rest_report_groups_by_workspace_and_day(costs, finance, signed_in):
    response = signed_in(finance).get("/api/v1/chargeback/costs?group_by=workspace&granularity=day&from=2026-10-01&to=2026-10-03")

    rows = [(r["period"], r["workspace"], r["workspace_name"], Decimal(r["cost"])) for r in response.json()["results"]]
    assert rows == [
        ("2026-10-01", "contoso-fin-ledger", "Ledger analytics", Decimal("50")),
        ("2026-10-02", "contoso-fin-ledger", "Ledger analytics", Decimal("25")),
        ("2026-10-03", None, "Untagged", Decimal("10")),
    ]


@pytest.mark.parametrize(
    "query, param",
    [
        ("group_by=project", "group_by"),
        ("granularity=week", "granularity"),
        ("from=2026-02-30", "from"),
        ("to=31/10/2026", "to"),
        ("from=2026-10-05&to=2026-10-01", "from"),
    ],
)
def test_bad_rest_parameters_get_a_400_naming_the_parameter(costs, finance, signed_in, query, param):
    response = signed_in(finance).get(f"/api/v1/chargeback/costs?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [param]
    assert param in response.json()[param][0]


def test_the_rest_report_defaults_to_domain_by_month(costs, finance, signed_in):
    body = signed_in(finance).get("/api/v1/chargeback/costs").json()

    assert (body["group_by"], body["granularity"]) == ("domain", "month")
    assert dt.date.fromisoformat(body["date_to"]) >= dt.date.fromisoformat(body["date_from"])


@pytest.mark.parametrize("path", ["/api/v1/chargeback/costs?group_by=workspace&granularity=day", "/chargeback/"])
def test_report_query_count_does_not_grow_with_the_rows(cost_api, cost_scope, finance, signed_in, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(finance)
    counts = []
    for n in (1, 25):
        cost_api.clear()
        for i in range(n):
            cost_api.add_cost(SUBSCRIPTION, dt.date.today() - dt.timedelta(days=1 + i % 20), 1, loomWorkspaceId=f"ws-{i}")
        services.costs_ingest(scope=cost_scope, date_from=dt.date.today() - dt.timedelta(days=21), date_to=dt.date.today())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
