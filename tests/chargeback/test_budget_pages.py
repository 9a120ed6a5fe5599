"""Budget pages: the list with spend against each budget, finance's create/edit form, read-only for domain owners."""

import datetime as dt

import pytest
from django.utils import timezone

from chargeback import services
from chargeback.models import Budget
from tests.authz_matrix import assert_doors_agree, page_door, rest_door
from tests.chargeback.conftest import SUBSCRIPTION, budget_values

pytestmark = pytest.mark.django_db


def this_month():
    return (timezone.now().date() - dt.timedelta(days=1)).replace(day=1)


@pytest.fixture
def budget(finance, cost_scope, domain):
    return services.budget_create(
        actor=finance, domain=domain, **budget_values(cost_scope, amount="100", start_date=this_month())
    )


def form_data(cost_scope, domain, **overrides):
    data = {
        "name": "finance-q", "cost_scope": cost_scope.pk, "domain": domain.pk, "workspace": "", "amount": "250.00",
        "currency": "usd", "start_date": this_month().isoformat(), "end_date": "",
        "thresholds": "Actual 80, Forecasted 100", "contact_emails": "finance@contoso.example", "contact_groups": "",
    }
    data.update(overrides)
    return data


def test_the_list_shows_spend_against_each_budget_and_downloads_as_csv(cost_api, cost_scope, budget, finance, signed_in):
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    cost_api.add_cost(SUBSCRIPTION, yesterday, 40, loomDomain="finance")
    services.costs_ingest(scope=cost_scope, date_from=yesterday, date_to=yesterday)
    client = signed_in(finance)

    page = client.get("/chargeback/budgets/").content.decode()
    csv = client.get("/chargeback/budgets/?format=csv")

    assert 'data-row="finance-monthly"' in page and "40.00" in page and "(40.0%)" in page
    assert 'data-testid="new-budget"' in page
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "Budget,For,Currency,Amount,Actual,Actual %,Forecast,Forecast %,Azure"
    assert lines[1].startswith("finance-monthly,Finance,USD,100.00,40.00,40.0,")


def test_finance_creates_a_budget_through_the_form(cost_scope, domain, finance, signed_in):
    response = signed_in(finance).post("/chargeback/budgets/new/", form_data(cost_scope, domain))

    budget = Budget.objects.get(name="finance-q")
    assert response.status_code == 302 and response["Location"] == f"/chargeback/budgets/{budget.pk}/"
    assert (budget.currency, budget.thresholds) == ("USD", [{"type": "Actual", "percent": 80}, {"type": "Forecasted", "percent": 100}])


def test_the_form_names_the_bad_field_and_saves_nothing(cost_scope, domain, finance, signed_in):
    client = signed_in(finance)

    bad_start = client.post("/chargeback/budgets/new/", form_data(cost_scope, domain, start_date="2026-10-15"))
    bad_threshold = client.post("/chargeback/budgets/new/", form_data(cost_scope, domain, thresholds="Guess 80"))

    assert bad_start.status_code == 400 and 'data-field-error="start_date"' in bad_start.content.decode()
    assert bad_threshold.status_code == 400 and 'data-field-error="thresholds"' in bad_threshold.content.decode()
    assert not Budget.objects.exists()


def test_finance_edits_a_budget_and_sees_the_push_error(budget, cost_scope, domain, finance, signed_in):
    Budget.objects.filter(pk=budget.pk).update(push_state="failed", last_push_error="HTTP 400 BadRequest: nope")
    client = signed_in(finance)

    page = client.get(f"/chargeback/budgets/{budget.pk}/").content.decode()
    response = client.post(f"/chargeback/budgets/{budget.pk}/", form_data(cost_scope, domain, name="finance-monthly", amount="300"))

    assert 'data-testid="push-error"' in page and "HTTP 400 BadRequest: nope" in page
    assert response.status_code == 302
    budget.refresh_from_db()
    assert (str(budget.amount), budget.push_state) == ("300.00", "pending")


def test_a_domain_owner_reads_their_budget_without_a_form(budget, domain_owner, signed_in):
    client = signed_in(domain_owner)

    page = client.get(f"/chargeback/budgets/{budget.pk}/").content.decode()

    assert "finance-monthly" in page and 'data-testid="budget-form"' not in page
    assert client.post(f"/chargeback/budgets/{budget.pk}/", {"amount": "1"}).status_code == 403
    assert client.get("/chargeback/budgets/new/").status_code == 403
    assert client.post(f"/chargeback/budgets/{budget.pk}/delete/").status_code == 403
    assert Budget.objects.get().amount == 100


def test_finance_deletes_a_budget(budget, finance, signed_in):
    response = signed_in(finance).post(f"/chargeback/budgets/{budget.pk}/delete/")

    assert response.status_code == 302 and not Budget.objects.exists()


def test_budget_pages_and_rest_agree_with_the_policy_for_every_role(
    budget, signed_in, finance, domain_owner, consumer, steward, platform_owner, other_tenant_user
):
    expected = {
        finance: True, domain_owner: True, consumer: False, steward: False, platform_owner: False,
        other_tenant_user: False,
    }
    doors = {
        "page": page_door(lambda b: f"/chargeback/budgets/{b.pk}/"),
        "rest": rest_door(lambda b: f"/api/v1/budgets/{b.pk}/"),
    }
    assert_doors_agree(signed_in, budget, "chargeback.view_budget", expected, doors)


def test_consumers_get_403_from_the_budget_list(budget, consumer, signed_in):
    client = signed_in(consumer)

    assert client.get("/chargeback/budgets/").status_code == 403
    assert client.get("/api/v1/budgets/").status_code == 403
