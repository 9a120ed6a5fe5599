"""GraphQL chargeback: ``costs`` and ``budgets`` for finance and domain owners (as in REST), ``upsertBudget`` for
finance, typed errors for everyone else and for bad input, and nothing changed by a refused mutation."""

from decimal import Decimal

import pytest

from chargeback import services
from chargeback.models import Budget
from loom_portal.models import AuditEvent
from tests import factories
from tests.chargeback.conftest import budget_values, cost_api, cost_scope  # noqa: F401
from tests.chargeback.test_reports import costs  # noqa: F401

pytestmark = pytest.mark.django_db

COSTS = """query($groupBy: CostGroupBy, $granularity: CostGranularity, $from: Date, $to: Date) {
  costs(groupBy: $groupBy, granularity: $granularity, from: $from, to: $to) {
    groupBy granularity from to
    rows { period domain domainName workspace workspaceName cost currency }
  }
}"""
BUDGETS = "{ budgets(first: 10) { totalCount edges { node { id name domain workspace amount thresholds { type percent } } } } }"
UPSERT = """mutation($input: BudgetInput!) {
  upsertBudget(input: $input) {
    budget { id name costScope domain workspace amount currency startDate pushState thresholds { type percent } }
    errors { field code message }
  }
}"""


def rest_rows(client, query):
    return [(r["period"], r["domain"], Decimal(r["cost"])) for r in client.get(f"/api/v1/chargeback/costs?{query}").json()["results"]]


def gql_rows(body):
    return [(r["period"], r["domain"], Decimal(r["cost"])) for r in body["data"]["costs"]["rows"]]


def new_budget_input(scope, **overrides):
    values = {"name": "finance-monthly", "costScope": scope.pk, "domain": "finance", "amount": "1000.00",
              "startDate": "2026-10-01", "thresholds": [{"type": "Actual", "percent": 80}],
              "contactEmails": ["finance@contoso.example"]}
    return {**values, **overrides}


def test_finance_reads_the_same_cost_report_as_rest(costs, finance, gql, signed_in):  # noqa: F811
    body = gql(finance, COSTS, groupBy="DOMAIN", granularity="MONTH", **{"from": "2026-09-01", "to": "2026-10-31"})

    report = body["data"]["costs"]
    assert (report["groupBy"], report["granularity"], report["from"], report["to"]) == (
        "DOMAIN", "MONTH", "2026-09-01", "2026-10-31")
    assert gql_rows(body) == [
        ("2026-09", "finance", Decimal("100")), ("2026-09", "hr", Decimal("40")), ("2026-09", None, Decimal("5")),
        ("2026-10", "finance", Decimal("85")), ("2026-10", "hr", Decimal("60")), ("2026-10", None, Decimal("7")),
    ]
    rest = rest_rows(signed_in(finance), "group_by=domain&granularity=month&from=2026-09-01&to=2026-10-31")
    assert gql_rows(body) == rest


def test_a_domain_owner_sees_only_their_domains_cost_by_workspace_and_day(costs, domain_owner, gql, signed_in):  # noqa: F811
    body = gql(domain_owner, COSTS, groupBy="WORKSPACE", granularity="DAY", **{"from": "2026-10-01", "to": "2026-10-31"})

    rows = body["data"]["costs"]["rows"]
    assert {r["domain"] for r in rows} == {"finance"}
    assert [(r["period"], r["workspace"], r["cost"]) for r in rows][:2] == [
        ("2026-10-01", "contoso-fin-ledger", "50.0000000000"), ("2026-10-02", "contoso-fin-ledger", "25.0000000000")]
    assert gql_rows(body) == rest_rows(signed_in(domain_owner), "group_by=workspace&granularity=day&from=2026-10-01&to=2026-10-31")


@pytest.mark.parametrize("query", [COSTS, BUDGETS])
def test_consumers_and_stewards_see_no_cost_or_budgets(costs, consumer, steward, gql, query):  # noqa: F811
    for user in (consumer, steward):
        body = gql(user, query)

        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        assert body["errors"][0]["message"] == "Only finance and domain owners see cost."


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"from": "2026-10-05", "to": "2026-10-01"}, "from"),
        ({"groupBy": "PRODUCT", "granularity": "DAY"}, "granularity"),
    ],
)
def test_bad_cost_arguments_are_refused_naming_the_argument(costs, finance, gql, arguments, field):  # noqa: F811
    body = gql(finance, COSTS, **arguments)

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT", "field": field}


def test_an_unknown_grouping_is_refused_before_running(finance, gql):
    body = gql(finance, "{ costs(groupBy: PROJECT) { groupBy } }", status_=400)

    assert "PROJECT" in body["errors"][0]["message"]


def test_finance_creates_then_changes_a_budget_and_rest_shows_the_same(cost_scope, domain, finance, gql, signed_in):  # noqa: F811
    created = gql(finance, UPSERT, input=new_budget_input(cost_scope))["data"]["upsertBudget"]

    assert created["errors"] == []
    budget = created["budget"]
    assert (budget["name"], budget["domain"], budget["workspace"], budget["amount"], budget["pushState"]) == (
        "finance-monthly", "finance", None, "1000.00", "pending")
    changed = gql(finance, UPSERT, input={"id": budget["id"], "amount": "1500"})["data"]["upsertBudget"]
    assert changed["errors"] == []
    assert (changed["budget"]["amount"], changed["budget"]["thresholds"]) == ("1500.00", [{"type": "Actual", "percent": 80}])
    rest = signed_in(finance).get(f"/api/v1/budgets/{budget['id']}/").json()
    assert (rest["amount"], rest["domain"], rest["thresholds"]) == ("1500.00", "finance", [{"type": "Actual", "percent": 80}])


def test_budgets_list_follows_the_same_rule_as_rest(cost_scope, domain, platform_owner, finance, domain_owner,  # noqa: F811
                                                    gql, signed_in):
    hr = factories.make_domain(platform_owner, "Human Resources", slug="hr")
    services.budget_create(actor=finance, **budget_values(cost_scope, domain=domain), push=False)
    services.budget_create(actor=finance, **budget_values(cost_scope, name="hr-monthly", domain=hr), push=False)

    for user, expected in ((finance, ["finance-monthly", "hr-monthly"]), (domain_owner, ["finance-monthly"])):
        listed = gql(user, BUDGETS)["data"]["budgets"]
        assert [e["node"]["name"] for e in listed["edges"]] == expected
        assert listed["totalCount"] == len(expected)
        assert sorted(b["name"] for b in signed_in(user).get("/api/v1/budgets/").json()["results"]) == expected


def _unchanged(before_budgets, before_events):
    assert list(Budget.objects.values_list("name", "amount").order_by("name")) == before_budgets
    assert AuditEvent.objects.count() == before_events


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"startDate": "2026-10-05"}, "startDate"),
        ({"thresholds": [{"type": "Maybe", "percent": 80}]}, "thresholds"),
        ({"thresholds": []}, "thresholds"),
        ({"contactEmails": ["nope"]}, "contactEmails"),
        ({"domain": "no-such-domain"}, "domain"),
        ({"costScope": 999999}, "costScope"),
        ({"name": None}, "name"),
        ({"name": "bad name!"}, "name"),
    ],
)
def test_an_invalid_budget_is_refused_naming_the_field_and_nothing_is_saved(cost_scope, domain, finance, gql,  # noqa: F811
                                                                            overrides, field):
    before = (list(Budget.objects.values_list("name", "amount")), AuditEvent.objects.count())

    payload = gql(finance, UPSERT, input=new_budget_input(cost_scope, **overrides))["data"]["upsertBudget"]

    assert payload["budget"] is None
    assert field in {e["field"] for e in payload["errors"]}, payload["errors"]
    assert {e["code"] for e in payload["errors"]} == {"INVALID"}
    _unchanged(*before)


def test_only_finance_writes_budgets_and_another_tenants_budget_is_not_found(
    cost_scope, domain, finance, domain_owner, consumer, other_tenant, gql  # noqa: F811
):
    budget = services.budget_create(actor=finance, **budget_values(cost_scope, domain=domain), push=False)
    other_finance = factories.make_user(other_tenant, "finance@fabrikam.example", is_finance=True)
    before = (list(Budget.objects.values_list("name", "amount").order_by("name")), AuditEvent.objects.count())

    for user in (consumer, domain_owner):
        create = gql(user, UPSERT, input=new_budget_input(cost_scope, name="sneaky"))["data"]["upsertBudget"]
        assert [e["code"] for e in create["errors"]] == ["PERMISSION_DENIED"] and create["budget"] is None
    change = gql(domain_owner, UPSERT, input={"id": budget.pk, "amount": "1"})["data"]["upsertBudget"]
    assert [e["code"] for e in change["errors"]] == ["PERMISSION_DENIED"]
    for user, pk in ((consumer, budget.pk), (other_finance, budget.pk), (finance, "not-an-id")):
        hidden = gql(user, UPSERT, input={"id": pk, "amount": "1"})["data"]["upsertBudget"]
        assert [(e["field"], e["code"]) for e in hidden["errors"]] == [("id", "NOT_FOUND")]
    _unchanged(*before)
