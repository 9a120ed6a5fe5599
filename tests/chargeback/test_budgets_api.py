"""REST /api/v1/budgets/: finance lists, creates, changes and deletes; domain owners read; 400 names the field."""

import pytest

from chargeback import services
from chargeback.models import Budget
from tests import factories
from tests.chargeback.conftest import budget_values

pytestmark = pytest.mark.django_db

URL = "/api/v1/budgets/"


def payload(scope, **overrides):
    body = {
        "name": "finance-monthly", "cost_scope": scope.pk, "domain": "finance", "amount": "1000.00",
        "currency": "USD", "start_date": "2026-10-01",
        "thresholds": [{"type": "Actual", "percent": 80}, {"type": "Forecasted", "percent": 100}],
        "contact_emails": ["finance@contoso.example"],
    }
    body.update(overrides)
    return body


def test_finance_creates_a_budget_and_reads_it_back(cost_scope, domain, finance, signed_in):
    client = signed_in(finance)

    created = client.post(URL, payload(cost_scope), content_type="application/json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["domain"] == "finance" and body["workspace"] is None
    assert (body["amount"], body["time_grain"], body["push_state"]) == ("1000.00", "Monthly", "pending")
    listed = client.get(URL).json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "finance-monthly"
    assert client.get(f"{URL}{body['id']}/").json()["thresholds"] == payload(cost_scope)["thresholds"]


def test_a_workspace_budget_is_addressed_by_its_loom_workspace_id(cost_scope, workspace, finance, signed_in):
    response = signed_in(finance).post(
        URL, payload(cost_scope, domain=None, workspace="CONTOSO-FIN-LEDGER"), content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["workspace"] == "contoso-fin-ledger"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"start_date": "2026-10-05"}, "start_date"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"thresholds": [{"type": "Maybe", "percent": 80}]}, "thresholds"),
        ({"thresholds": []}, "thresholds"),
        ({"contact_emails": ["nope"]}, "contact_emails"),
        ({"domain": "no-such-domain"}, "domain"),
        ({"domain": None}, "domain"),
        ({"cost_scope": 987654}, "cost_scope"),
        ({"name": "bad name!"}, "name"),
    ],
)
def test_bad_input_gets_400_naming_the_field_and_writes_nothing(cost_scope, domain, finance, signed_in, overrides, field):
    response = signed_in(finance).post(URL, payload(cost_scope, **overrides), content_type="application/json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Budget.objects.exists()


def test_finance_patches_only_what_it_sends(cost_scope, domain, finance, signed_in):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    response = signed_in(finance).patch(f"{URL}{budget.pk}/", {"amount": "1250.00"}, content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["amount"] == "1250.00" and response.json()["domain"] == "finance"


def test_finance_deletes_a_budget(cost_scope, domain, finance, signed_in):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    assert signed_in(finance).delete(f"{URL}{budget.pk}/").status_code == 204
    assert not Budget.objects.exists()


def test_a_domain_owner_reads_their_domains_budgets_only_and_cannot_write(
    cost_scope, domain, finance, domain_owner, platform_owner, signed_in
):
    hr = factories.make_domain(platform_owner, "Human Resources", slug="hr")
    mine = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))
    services.budget_create(actor=finance, domain=hr, **budget_values(cost_scope, name="hr-monthly"))
    client = signed_in(domain_owner)

    listed = client.get(URL).json()
    create = client.post(URL, payload(cost_scope, name="mine"), content_type="application/json")
    patch = client.patch(f"{URL}{mine.pk}/", {"amount": "1"}, content_type="application/json")
    delete = client.delete(f"{URL}{mine.pk}/")

    assert [b["name"] for b in listed["results"]] == ["finance-monthly"]
    assert (create.status_code, patch.status_code, delete.status_code) == (403, 403, 403)
    assert Budget.objects.count() == 2 and Budget.objects.get(pk=mine.pk).amount == 1000


def test_another_tenants_finance_sees_nothing(cost_scope, domain, finance, other_tenant, signed_in):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))
    other_finance = factories.make_user(other_tenant, "finance@fabrikam.example", is_finance=True)
    client = signed_in(other_finance)

    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{budget.pk}/").status_code == 404
    assert client.delete(f"{URL}{budget.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 25])
def test_the_list_query_count_does_not_grow_with_rows(cost_scope, domain, finance, signed_in, django_assert_num_queries, rows):
    for n in range(rows):
        services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope, name=f"b{n}"))
    client = signed_in(finance)

    with django_assert_num_queries(4):  # the same for 1 and 25 rows
        assert client.get(URL).json()["count"] == rows
