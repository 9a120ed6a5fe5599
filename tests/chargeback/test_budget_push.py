"""Pushing budgets to Azure: azure-mgmt-consumption's budgets.create_or_update against the loopback double.

The body is the documented Microsoft.Consumption/budgets shape, filtered by the Loom tag; the
body eTag guards against overwriting a change made in Azure (412/409 → re-read, retry once).
"""

import datetime as dt

import pytest

from chargeback import services
from chargeback.models import Budget
from chargeback.tasks import budget_delete_remote, budget_push
from loom_portal.azure.errors import TransientAzureError
from tests.chargeback.conftest import SUBSCRIPTION, budget_values

pytestmark = pytest.mark.django_db

PATH = f"{SUBSCRIPTION}/providers/Microsoft.Consumption/budgets/finance-monthly"


@pytest.fixture
def budget(finance, cost_scope, domain):
    return services.budget_create(
        actor=finance, domain=domain,
        **budget_values(cost_scope, end_date=dt.date(2027, 9, 30), contact_groups=[
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ops/providers/microsoft.insights/actionGroups/finops"
        ]),
    )


def test_a_budget_is_created_in_azure_with_the_documented_body(consumption_api, budget):
    pushed = services.budget_push(budget=budget)

    [put] = consumption_api.calls("PUT")
    assert put.path == PATH
    assert put.query["api-version"] == "2024-08-01"
    assert put.headers["Authorization"] == "Bearer static-test-token"
    group = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ops/providers/microsoft.insights/actionGroups/finops"
    assert put.body == {
        "properties": {
            "category": "Cost",
            "amount": 1000.0,
            "timeGrain": "Monthly",
            "timePeriod": {"startDate": "2026-10-01T00:00:00Z", "endDate": "2027-09-30T00:00:00Z"},
            "filter": {"tags": {"name": "loomDomain", "operator": "In", "values": ["finance"]}},
            "notifications": {
                "Actual_GreaterThan_80_Percent": {
                    "enabled": True, "operator": "GreaterThan", "threshold": 80, "thresholdType": "Actual",
                    "contactEmails": ["finance@contoso.example"], "contactGroups": [group],
                },
                "Forecasted_GreaterThan_100_Percent": {
                    "enabled": True, "operator": "GreaterThan", "threshold": 100, "thresholdType": "Forecasted",
                    "contactEmails": ["finance@contoso.example"], "contactGroups": [group],
                },
            },
        }
    }
    stored = consumption_api.budget(SUBSCRIPTION, "finance-monthly")
    assert (pushed.push_state, pushed.etag, pushed.last_push_error) == ("pushed", stored["eTag"], "")
    assert pushed.last_pushed_at is not None


def test_the_next_push_sends_the_etag_azure_returned(consumption_api, finance, budget):
    first = services.budget_push(budget=budget)
    services.budget_update(actor=finance, budget=budget, amount="1200")

    second = services.budget_push(budget=budget)

    puts = consumption_api.calls("PUT")
    assert "eTag" not in puts[0].body and puts[1].body["eTag"] == first.etag
    assert second.etag != first.etag
    assert consumption_api.budget(SUBSCRIPTION, "finance-monthly")["properties"]["amount"] == 1200.0


@pytest.mark.parametrize("conflict_status", [412, 409])
def test_an_etag_conflict_re_reads_the_budget_and_retries_once(consumption_api, finance, budget, conflict_status):
    consumption_api.conflict_status = conflict_status
    services.budget_push(budget=budget)
    azure_etag = consumption_api.edit_in_azure(SUBSCRIPTION, "finance-monthly", amount=5.0)
    services.budget_update(actor=finance, budget=budget, amount="1100")

    pushed = services.budget_push(budget=budget)

    assert [r.method for r in consumption_api.requests] == ["PUT", "PUT", "GET", "PUT"]
    assert consumption_api.requests[-1].body["eTag"] == azure_etag
    assert consumption_api.budget(SUBSCRIPTION, "finance-monthly")["properties"]["amount"] == 1100.0
    assert (pushed.push_state, pushed.last_push_error) == ("pushed", "")


def test_a_second_conflict_is_shown_on_the_budget(consumption_api, budget):
    services.budget_push(budget=budget)
    consumption_api.fail_next(412, code="PreconditionFailed")
    consumption_api.pass_next()  # the re-read
    consumption_api.fail_next(412, code="PreconditionFailed")

    pushed = services.budget_push(budget=budget)

    assert pushed.push_state == "failed"
    assert pushed.last_push_error.startswith("HTTP 412 PreconditionFailed")


def test_a_refused_budget_is_shown_with_azures_error_and_not_retried(consumption_api, budget):
    consumption_api.fail_next(400, code="BadRequest")

    pushed = services.budget_push(budget=budget)

    assert pushed.push_state == "failed" and "HTTP 400 BadRequest" in pushed.last_push_error
    assert len(consumption_api.calls("PUT")) == 1


def test_throttling_is_waited_out_and_the_push_succeeds(consumption_api, budget):
    consumption_api.throttle_next(retry_after=1)

    pushed = services.budget_push(budget=budget)

    assert len(consumption_api.calls("PUT")) == 2
    assert pushed.push_state == "pushed"


def test_long_throttling_fails_transiently_and_is_shown_on_the_budget(consumption_api, budget):
    consumption_api.throttle_next(retry_after=600)

    with pytest.raises(TransientAzureError) as raised:
        services.budget_push(budget=budget)

    assert raised.value.status_code == 429
    budget.refresh_from_db()
    assert budget.push_state == "pending" and "HTTP 429" in budget.last_push_error


def test_the_task_retries_a_transient_failure_until_the_budget_is_in_azure(consumption_api, budget, settings):
    settings.AZURE_RETRY_TOTAL = 0  # the SDK gives up at once; Celery retries the task
    consumption_api.fail_next(503)

    # throw=False: eager apply() then re-runs the task on Retry, as a worker would after the countdown.
    result = budget_push.apply(kwargs={"budget_id": budget.pk}, throw=False).get()

    assert result["state"] == "pushed"
    assert len(consumption_api.calls("PUT")) == 2
    assert consumption_api.budget(SUBSCRIPTION, "finance-monthly") is not None


def test_running_the_push_task_twice_leaves_one_budget_in_azure(consumption_api, budget):
    first = budget_push.apply(kwargs={"budget_id": budget.pk}).get()
    second = budget_push.apply(kwargs={"budget_id": budget.pk}).get()

    assert first["state"] == second["state"] == "pushed"
    assert len(consumption_api.budgets) == 1
    assert Budget.objects.get().etag == consumption_api.budget(SUBSCRIPTION, "finance-monthly")["eTag"]


def test_the_task_is_registered_with_the_house_retry_policy():
    assert budget_push.name == "chargeback.budget_push"
    assert budget_push.acks_late is True and budget_push.max_retries == 5
    assert [e.__name__ for e in budget_push.autoretry_for] == ["TransientAzureError"]


def test_creating_a_budget_pushes_it_after_commit(consumption_api, finance, cost_scope, domain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    assert Budget.objects.get().push_state == "pushed"
    assert consumption_api.budget(SUBSCRIPTION, "finance-monthly")["properties"]["amount"] == 1000.0


def test_azure_cannot_move_the_start_of_a_pushed_budget(consumption_api, finance, budget):
    from django.core.exceptions import ValidationError

    services.budget_push(budget=budget)

    with pytest.raises(ValidationError) as raised:
        services.budget_update(actor=finance, budget=budget, start_date=dt.date(2026, 11, 1))

    assert "start_date" in raised.value.message_dict


def test_deleting_a_pushed_budget_deletes_it_in_azure(consumption_api, finance, budget, django_capture_on_commit_callbacks):
    services.budget_push(budget=budget)

    with django_capture_on_commit_callbacks(execute=True):
        services.budget_delete(actor=finance, budget=budget)

    assert consumption_api.budgets == {}
    assert [r.method for r in consumption_api.requests][-1] == "DELETE"
    # Deleting again (a retried task) is harmless.
    assert budget_delete_remote.apply(kwargs={"cost_scope_id": budget.cost_scope_id, "name": "finance-monthly"}).get()[
        "deleted"
    ] is False


def test_renaming_a_pushed_budget_moves_it_in_azure(consumption_api, finance, budget, django_capture_on_commit_callbacks):
    services.budget_push(budget=budget)

    with django_capture_on_commit_callbacks(execute=True):
        services.budget_update(actor=finance, budget=budget, name="finance-run")

    assert consumption_api.budget(SUBSCRIPTION, "finance-monthly") is None
    assert consumption_api.budget(SUBSCRIPTION, "finance-run")["properties"]["amount"] == 1000.0
    assert "eTag" not in consumption_api.calls("PUT")[-1].body


def test_a_budget_deleted_in_azure_meanwhile_is_created_again(consumption_api, budget):
    services.budget_push(budget=budget)
    consumption_api.budgets.clear()
    consumption_api.fail_next(412, code="PreconditionFailed")

    pushed = services.budget_push(budget=budget)

    assert [r.method for r in consumption_api.requests][-3:] == ["PUT", "GET", "PUT"]
    assert pushed.push_state == "pushed" and consumption_api.budget(SUBSCRIPTION, "finance-monthly") is not None


def test_finance_pushes_a_refused_budget_again_from_its_page(
    consumption_api, budget, finance, domain_owner, signed_in, django_capture_on_commit_callbacks
):
    consumption_api.fail_next(403, code="AuthorizationFailed")
    services.budget_push(budget=budget)
    page = signed_in(finance).get(f"/chargeback/budgets/{budget.pk}/").content.decode()
    assert 'data-testid="push-again"' in page and "HTTP 403 AuthorizationFailed" in page

    assert signed_in(domain_owner).post(f"/chargeback/budgets/{budget.pk}/push/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(finance).post(f"/chargeback/budgets/{budget.pk}/push/")

    assert response.status_code == 302
    budget.refresh_from_db()
    assert (budget.push_state, budget.last_push_error) == ("pushed", "")
