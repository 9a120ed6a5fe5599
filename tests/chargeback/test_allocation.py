"""Allocation rules split unallocated cost across domains; reports show direct and allocated cost apart,
top movers month over month and the month-end forecast, each table with a CSV."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from chargeback import selectors, services
from chargeback.models import AllocationRule
from tests.chargeback import test_reports
from tests.chargeback.conftest import day

pytestmark = pytest.mark.django_db

PERIOD = "from=2026-09&to=2026-10"
costs = test_reports.costs  # the shared Sep/Oct 2026 cost fixture


def allocated(actor):
    date_from, date_to = day(1, 9), day(31)
    direct = selectors.domain_month_matrix(actor=actor, date_from=date_from, date_to=date_to)
    allocation = selectors.cost_allocation(actor=actor, date_from=date_from, date_to=date_to)
    domains = {r.key: (r.label, r.slug) for r in direct.rows if r.key}
    matrix = selectors.allocated_matrix(actor=actor, direct=direct, allocation=allocation, domains=domains)
    return {row.label: row.cells for row in matrix.rows}


def rule(actor, method, shares=(), **kwargs):
    return services.allocation_rule_create(
        actor=actor, name=kwargs.pop("name", f"{method} split"), method=method, valid_from=kwargs.pop("valid_from", day(1, 9)),
        shares=shares, **kwargs,
    )


def test_proportional_allocation_follows_each_domains_tagged_spend(costs, finance, platform_owner):
    rule(platform_owner, "proportional")

    cells = allocated(finance)

    # October: 7 unallocated split 85 : 60 between Finance and HR; September: 5 split 100 : 40.
    assert cells["Finance"] == [Decimal("3.5714285714"), Decimal("4.1034482759")]
    assert cells["Human Resources"] == [Decimal("1.4285714286"), Decimal("2.8965517241")]
    assert cells["Unallocated"] == [Decimal("-5"), Decimal("-7")]
    assert sum(cells["Finance"]) + sum(cells["Human Resources"]) == Decimal("12")


def test_even_allocation_splits_equally(costs, finance, platform_owner):
    rule(platform_owner, "even")

    assert allocated(finance)["Finance"] == [Decimal("2.5"), Decimal("3.5")]


def test_fixed_percentages_must_sum_to_100(costs, finance, platform_owner):
    with pytest.raises(ValidationError) as raised:
        rule(platform_owner, "fixed", [("finance", Decimal("70")), ("hr", Decimal("20"))])
    assert "sum to 90" in raised.value.message_dict["shares"][0]

    rule(platform_owner, "fixed", [("finance", Decimal("70")), ("hr", Decimal("30"))])

    cells = allocated(finance)
    assert cells["Finance"] == [Decimal("3.5"), Decimal("4.9")]
    assert cells["Human Resources"] == [Decimal("1.5"), Decimal("2.1")]


@pytest.mark.parametrize(
    ("method", "shares", "field"),
    [
        ("guess", [], "method"),
        ("fixed", [("finance", None)], "shares"),
        ("even", [("finance", Decimal("50"))], "shares"),
        ("even", [("nowhere", None)], "shares"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(costs, platform_owner, method, shares, field):
    with pytest.raises(ValidationError) as raised:
        rule(platform_owner, method, shares)

    assert field in raised.value.message_dict
    assert not AllocationRule.objects.exists()


def test_two_enabled_rules_cannot_cover_the_same_month(costs, platform_owner):
    rule(platform_owner, "even")

    with pytest.raises(ValidationError) as raised:
        rule(platform_owner, "proportional", valid_from=day(1))

    assert "valid_from" in raised.value.message_dict


def test_only_platform_owners_manage_allocation_rules(costs, finance):
    with pytest.raises(PermissionDenied):
        rule(finance, "even")


def test_without_a_rule_nothing_is_allocated_and_the_page_says_so(costs, finance, signed_in):
    page = signed_in(finance).get(f"/chargeback/?{PERIOD}").content.decode()

    assert allocated(finance) == {}
    assert 'data-testid="no-allocation"' in page


def test_a_domain_owner_sees_their_allocated_share_but_not_the_unallocated_row(costs, domain_owner, platform_owner, signed_in):
    rule(platform_owner, "even")

    page = signed_in(domain_owner).get(f"/chargeback/?{PERIOD}&format=csv&table=allocated").content.decode()

    rows = list(csv.reader(io.StringIO(page)))
    assert rows[0] == ["Domain", "Currency", "2026-09", "2026-10", "Total"]
    assert rows[1] == ["Finance", "USD", "2.50", "3.50", "6.00"]
    assert all(r[0] != "Unallocated" and r[0] != "Human Resources" for r in rows[1:])


def test_the_page_shows_direct_and_allocated_cost_apart_with_csv(costs, finance, platform_owner, signed_in):
    rule(platform_owner, "even")
    client = signed_in(finance)

    page = client.get(f"/chargeback/?{PERIOD}").content.decode()
    totals = list(csv.reader(io.StringIO(client.get(f"/chargeback/?{PERIOD}&format=csv&table=totals").content.decode())))

    assert 'data-testid="allocated-matrix"' in page and 'data-testid="totals"' in page
    assert totals[0] == ["Domain", "Currency", "Direct", "Allocated", "Total"]
    assert ["Finance", "USD", "185.00", "6.00", "191.00"] in totals
    assert ["Human Resources", "USD", "100.00", "6.00", "106.00"] in totals
    assert ["Unallocated", "USD", "12.00", "-12.00", "0.00"] in totals


def test_top_movers_rank_domains_by_change_against_the_month_before(costs, finance, signed_in):
    client = signed_in(finance)

    movers = list(csv.reader(io.StringIO(client.get(f"/chargeback/?{PERIOD}&format=csv&table=movers").content.decode())))
    page = client.get(f"/chargeback/?{PERIOD}").content.decode()

    assert movers == [
        ["Domain", "Currency", "Previous month", "Month", "Change", "Change %"],
        ["Human Resources", "USD", "40.00", "60.00", "20.00", "50.0"],
        ["Finance", "USD", "100.00", "85.00", "-15.00", "-15.0"],
        ["Unallocated", "USD", "5.00", "7.00", "2.00", "40.0"],
    ]
    assert 'data-testid="movers"' in page


def test_the_month_end_forecast_extrapolates_the_run_rate(costs, finance):
    matrix = selectors.domain_month_matrix(actor=finance, date_from=day(1, 9), date_to=day(31))

    [forecast] = selectors.month_end_forecasts(actor=finance, matrix=matrix, today=day(10))

    # October so far: 152 with data up to the 6th → 152 / 6 × 31.
    assert (forecast.currency, forecast.to_date, forecast.as_of, forecast.forecast) == (
        "USD", Decimal("152"), day(6), Decimal("785.33")
    )
    assert selectors.month_end_forecasts(actor=finance, matrix=matrix, today=day(10, 12)) == []


def test_an_unknown_csv_table_is_a_400_naming_the_parameter(costs, finance, signed_in):
    response = signed_in(finance).get(f"/chargeback/?{PERIOD}&format=csv&table=nope")

    assert response.status_code == 400 and 'data-param="table"' in response.content.decode()


def test_platform_owners_manage_rules_in_the_back_office(costs, platform_owner, signed_in):
    client = signed_in(platform_owner)

    response = client.post(
        "/admin/chargeback/allocationrule/add/",
        {"name": "Shared platform", "method": "fixed", "enabled": "on", "valid_from": "2026-09-01", "valid_to": "",
         "shares": "finance=60, hr=40"},
    )
    bad = client.post(
        "/admin/chargeback/allocationrule/add/",
        {"name": "Broken", "method": "fixed", "enabled": "", "valid_from": "2026-09-01", "shares": "finance=60"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = AllocationRule.objects.get()
    assert sorted((s.domain.slug, s.percent) for s in saved.shares.all()) == [("finance", Decimal("60")), ("hr", Decimal("40"))]
    assert bad.status_code == 200 and "sum to 60" in bad.content.decode()
