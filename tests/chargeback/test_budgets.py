"""Budgets: finance creates, changes and deletes them through services that validate every field by name."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from chargeback import services
from chargeback.models import Budget
from loom_portal.models import AuditEvent
from tests import factories
from tests.chargeback.conftest import budget_values

pytestmark = pytest.mark.django_db


def test_finance_creates_a_domain_budget_that_waits_to_be_pushed(finance, cost_scope, domain):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    budget.refresh_from_db()
    assert (budget.domain, budget.workspace, budget.amount, budget.time_grain) == (domain, None, Decimal("1000"), "Monthly")
    assert budget.thresholds == [{"type": "Actual", "percent": 80}, {"type": "Forecasted", "percent": 100}]
    assert (budget.push_state, budget.etag, budget.last_pushed_at) == ("pending", "", None)
    assert budget.tag_filter == ("loomDomain", "finance")
    assert AuditEvent.objects.filter(action="chargeback.budget.created", actor=finance).count() == 1


def test_a_workspace_budget_filters_by_the_workspace_tag(finance, cost_scope, workspace):
    budget = services.budget_create(actor=finance, workspace=workspace, **budget_values(cost_scope))

    assert budget.tag_filter == ("loomWorkspaceId", "contoso-fin-ledger")


def test_the_push_is_enqueued_only_after_commit(finance, cost_scope, domain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "has spaces"}, "name"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"currency": "dollars"}, "currency"),
        ({"start_date": dt.date(2026, 10, 2)}, "start_date"),
        ({"end_date": dt.date(2026, 9, 30)}, "end_date"),
        ({"thresholds": []}, "thresholds"),
        ({"thresholds": [{"type": "Guessed", "percent": 80}]}, "thresholds"),
        ({"thresholds": [{"type": "Actual", "percent": 0}]}, "thresholds"),
        ({"thresholds": [{"type": "Actual", "percent": 50}, {"type": "Actual", "percent": 50}]}, "thresholds"),
        ({"thresholds": [{"type": "Actual", "percent": p} for p in (10, 20, 30, 40, 50, 60)]}, "thresholds"),
        ({"contact_emails": ["not-an-address"]}, "contact_emails"),
        ({"contact_emails": []}, "contact_emails"),
        ({"contact_groups": ["/subscriptions/x/actionGroups/y"]}, "contact_groups"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(finance, cost_scope, domain, overrides, field):
    with pytest.raises(ValidationError) as raised:
        services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope, **overrides))

    assert field in raised.value.message_dict
    assert Budget.objects.count() == 0


def test_a_budget_is_for_exactly_one_domain_or_workspace(finance, cost_scope, domain, workspace):
    with pytest.raises(ValidationError) as neither:
        services.budget_create(actor=finance, **budget_values(cost_scope))
    with pytest.raises(ValidationError) as both:
        services.budget_create(actor=finance, domain=domain, workspace=workspace, **budget_values(cost_scope))

    assert "domain" in neither.value.message_dict and "domain" in both.value.message_dict


def test_budget_names_are_unique_per_tenant_whatever_the_case(finance, cost_scope, domain):
    services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    with pytest.raises(ValidationError) as raised:
        services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope, name="FINANCE-MONTHLY"))

    assert "name" in raised.value.message_dict


def test_another_tenants_cost_scope_or_domain_is_refused(finance, cost_scope, domain, other_platform_owner, other_domain):
    other_scope = services.cost_scope_create(
        actor=other_platform_owner, name="Fabrikam", scope="/subscriptions/00000000-0000-0000-0000-000000000009",
        history_start=dt.date(2026, 1, 1),
    )

    with pytest.raises(ValidationError) as scope_error:
        services.budget_create(actor=finance, domain=domain, **budget_values(other_scope))
    with pytest.raises(ValidationError) as domain_error:
        services.budget_create(actor=finance, domain=other_domain, **budget_values(cost_scope))

    assert "cost_scope" in scope_error.value.message_dict
    assert "domain" in domain_error.value.message_dict


@pytest.mark.parametrize("role", ["consumer", "domain_owner", "platform_owner"])
def test_only_finance_creates_budgets(request, role, cost_scope, domain):
    actor = request.getfixturevalue(role)

    with pytest.raises(PermissionDenied):
        services.budget_create(actor=actor, domain=domain, **budget_values(cost_scope))

    assert Budget.objects.count() == 0


def test_finance_updates_a_budget_and_it_is_pushed_again(finance, cost_scope, domain, django_capture_on_commit_callbacks):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        budget = services.budget_update(actor=finance, budget=budget, amount="1500.50", contact_emails="a@x.example b@x.example")

    assert budget.amount == Decimal("1500.50")
    assert budget.contact_emails == ["a@x.example", "b@x.example"]
    assert budget.push_state == "pending"
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action="chargeback.budget.updated")
    assert event.data["changes"] == ["amount", "contact_emails"]


def test_an_update_that_changes_nothing_writes_nothing(finance, cost_scope, domain, django_capture_on_commit_callbacks):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.budget_update(actor=finance, budget=budget, amount="1000.00")

    assert callbacks == []
    assert not AuditEvent.objects.filter(action="chargeback.budget.updated").exists()


def test_a_domain_owner_sees_their_budget_but_may_not_change_it(finance, domain_owner, cost_scope, domain):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    with pytest.raises(PermissionDenied):
        services.budget_update(actor=domain_owner, budget=budget, amount="1")

    assert Budget.objects.get().amount == Decimal("1000")


def test_another_tenant_cannot_even_see_the_budget(finance, cost_scope, domain, other_tenant):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))
    other_finance = factories.make_user(other_tenant, "finance@fabrikam.example", is_finance=True)

    with pytest.raises(Http404):
        services.budget_delete(actor=other_finance, budget=budget)

    assert Budget.objects.count() == 1


def test_finance_deletes_a_budget_never_pushed_without_calling_azure(finance, cost_scope, domain, django_capture_on_commit_callbacks):
    budget = services.budget_create(actor=finance, domain=domain, **budget_values(cost_scope))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.budget_delete(actor=finance, budget=budget)

    assert Budget.objects.count() == 0
    assert callbacks == []
    assert AuditEvent.objects.filter(action="chargeback.budget.deleted").count() == 1
