"""Cost scopes: configured by platform owners (service and back office), validated, audited."""

import pytest
from django.core.exceptions import ValidationError

from chargeback import services
from chargeback.models import CostScope
from loom_portal.models import AuditEvent
from tests.chargeback.conftest import SUBSCRIPTION, day

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "scope",
    [
        "/subscriptions/00000000-0000-0000-0000-000000000002",
        "subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg-loom",
        "/providers/Microsoft.Management/managementGroups/loom-mg",
        "/providers/Microsoft.Billing/billingAccounts/1234:5678_2019-05-31/billingProfiles/ABCD/invoiceSections/EFGH",
        "/providers/Microsoft.Billing/billingAccounts/70664866/departments/42",
    ],
)
def test_each_kind_of_cost_management_scope_is_accepted(platform_owner, scope):
    created = services.cost_scope_create(actor=platform_owner, name="Scope", scope=scope, history_start=day(1))

    assert created.scope.startswith("/") and created.arm_path == created.scope[1:]
    assert AuditEvent.objects.filter(action="chargeback.cost_scope.created", target_id=str(created.pk)).exists()


@pytest.mark.parametrize(
    "scope", ["/subscriptions/not-a-guid", "/resourceGroups/rg", "https://management.azure.com/subscriptions/x", ""]
)
def test_a_malformed_scope_is_refused_naming_the_field(platform_owner, scope):
    with pytest.raises(ValidationError) as raised:
        services.cost_scope_create(actor=platform_owner, name="Bad", scope=scope, history_start=day(1))

    assert "scope" in raised.value.message_dict
    assert not CostScope.objects.exists()


def test_the_same_scope_and_cost_type_is_configured_once(platform_owner):
    services.cost_scope_create(actor=platform_owner, name="A", scope=SUBSCRIPTION, history_start=day(1))

    with pytest.raises(ValidationError, match="already ingested"):
        services.cost_scope_create(actor=platform_owner, name="B", scope=SUBSCRIPTION.upper(), history_start=day(1))
    amortized = services.cost_scope_create(
        actor=platform_owner, name="B", scope=SUBSCRIPTION, history_start=day(1), cost_type="AmortizedCost"
    )
    assert amortized.cost_type == "AmortizedCost"


def test_the_cost_type_of_a_scope_with_cost_cannot_change(cost_api, cost_scope, platform_owner):
    cost_api.add_cost(SUBSCRIPTION, day(1), 1)
    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(2))

    with pytest.raises(ValidationError) as raised:
        services.cost_scope_update(
            actor=platform_owner, cost_scope=cost_scope, name=cost_scope.name, scope=cost_scope.scope,
            cloud=cost_scope.cloud, cost_type="AmortizedCost", history_start=cost_scope.history_start, enabled=True,
        )
    assert "cost_type" in raised.value.message_dict


def test_a_platform_owner_adds_a_scope_in_the_back_office(platform_owner, signed_in):
    response = signed_in(platform_owner).post(
        "/admin/chargeback/costscope/add/",
        {
            "name": "Gov subscription",
            "scope": "/subscriptions/00000000-0000-0000-0000-000000000009",
            "cloud": "AzureUSGovernment",
            "cost_type": "ActualCost",
            "enabled": "on",
            "history_start": "2026-01-01",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    scope = CostScope.objects.get()
    assert (scope.cloud, scope.tenant_id) == ("AzureUSGovernment", platform_owner.tenant_id)


def test_the_back_office_shows_a_bad_scope_as_a_form_error(platform_owner, signed_in):
    response = signed_in(platform_owner).post(
        "/admin/chargeback/costscope/add/",
        {"name": "Bad", "scope": "/subscriptions/nope", "cloud": "AzureCloud", "cost_type": "ActualCost", "history_start": "2026-01-01"},
    )

    assert response.status_code == 200
    assert "is not a Cost Management scope" in response.content.decode()
    assert not CostScope.objects.exists()
