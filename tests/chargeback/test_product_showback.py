"""Showback: a data product's workspace cost split across its consumers by their data-API calls."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from chargeback import selectors, services
from chargeback.services.ingest import CostRow
from marketplace import services as product_services
from marketplace.services import access, grants
from tests import factories


@pytest.fixture
def used_product(platform_owner, domain, workspace, consumer, steward, tenant, django_capture_on_commit_callbacks):
    """A product in the ledger workspace (no row-level engine: grants are confirmed by hand), used by two
    consumers: 3 calls and 1 call today."""
    product = product_services.product_publish(actor=platform_owner, product=product_services.product_create(
        actor=platform_owner, domain=domain, workspace=workspace, name="Ledger extract",
        columns=[{"name": "id", "data_type": "int"}],
    ))
    analyst = factories.make_user(tenant, "analyst@contoso.example")
    for user, calls in ((consumer, 3), (analyst, 1)):
        request = access.access_request_create(actor=user, product=product, purpose="Month-end reconciliation",
                                               scope={}, duration_days=30)
        with django_capture_on_commit_callbacks(execute=True):
            access.access_request_approve(actor=steward, request=request)
        grant = grants.grant_confirm_applied(actor=steward, grant=request.grant)
        for _ in range(calls):
            grants.usage_record(grant=grant, rows=10)
    return product


@pytest.fixture
def workspace_cost(cost_scope, finance, workspace, domain):
    today = timezone.now().date()
    services.cost_records_replace(scope=cost_scope, actor=finance, date_from=today, date_to=today, rows=[
        CostRow(today, workspace.workspace_id, domain.slug, "USD", Decimal("100.00")),
    ])
    return today


def test_the_workspace_cost_is_split_by_calls(finance, used_product, workspace_cost):
    rows = selectors.product_showback(actor=finance, date_from=workspace_cost, date_to=workspace_cost)
    assert [(r.consumer, r.calls, r.share, r.cost) for r in rows] == [
        ("analyst@contoso.example", 1, Decimal("0.2500"), Decimal("25.0000")),
        ("consumer@contoso.example", 3, Decimal("0.7500"), Decimal("75.0000")),
    ]


def test_consumers_see_no_showback(consumer, used_product, workspace_cost):
    assert selectors.product_showback(actor=consumer, date_from=workspace_cost, date_to=workspace_cost) == []


def test_rest_groups_by_product_monthly_and_the_page_has_a_csv(signed_in, finance, used_product, workspace_cost):
    client = signed_in(finance)
    month = workspace_cost.strftime("%Y-%m")
    body = client.get("/api/v1/chargeback/costs", {"group_by": "product", "from": workspace_cost.isoformat(),
                                                   "to": workspace_cost.isoformat()}).json()
    assert [(r["period"], r["product"], r["consumer"], r["cost"]) for r in body["results"]] == [
        (month, used_product.slug, "analyst@contoso.example", "25.0000000000"),
        (month, used_product.slug, "consumer@contoso.example", "75.0000000000"),
    ]
    daily = client.get("/api/v1/chargeback/costs", {"group_by": "product", "granularity": "day"})
    assert daily.status_code == 400 and "granularity" in daily.json()
    csv = client.get("/chargeback/", {"from": month, "to": month, "format": "csv", "table": "showback"})
    lines = csv.content.decode().splitlines()
    assert lines[0] == "Product,Workspace,Consumer,Calls,Share,Currency,Cost"
    assert lines[1].startswith("Ledger extract,") and lines[1].endswith(",USD,25.00")
    page = client.get("/chargeback/", {"from": month, "to": month}).content.decode()
    assert 'data-testid="showback"' in page and "consumer@contoso.example" in page


def test_no_usage_no_showback(finance, workspace_cost):
    assert selectors.product_showback(actor=finance, date_from=workspace_cost - dt.timedelta(days=1),
                                      date_to=workspace_cost) == []
