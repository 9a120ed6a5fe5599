"""Who sees which cost: finance the tenant, a domain owner their domains, consumers nothing, other tenants nothing.

Pages and REST must agree with the policy (chargeback.view_reports, chargeback.view_costrecord,
chargeback.view_domain_costs).
"""

from decimal import Decimal

import pytest

from chargeback import selectors, services
from tests import factories
from tests.authz_matrix import assert_doors_agree, page_door
from tests.chargeback.conftest import SUBSCRIPTION, day

pytestmark = pytest.mark.django_db

REST = "/api/v1/chargeback/costs?group_by=domain&granularity=month&from=2026-10-01&to=2026-10-31"


@pytest.fixture
def costs(cost_api, cost_scope, platform_owner, domain, workspace):
    hr = factories.make_domain(platform_owner, "Human Resources", slug="hr")
    cost_api.add_cost(SUBSCRIPTION, day(1), 50, loomWorkspaceId="contoso-fin-ledger")
    cost_api.add_cost(SUBSCRIPTION, day(2), 30, loomDomain="hr")
    cost_api.add_cost(SUBSCRIPTION, day(3), 7)
    services.costs_ingest(scope=cost_scope, date_from=day(1), date_to=day(31))
    return {"hr": hr}


@pytest.fixture
def other_finance(other_tenant):
    return factories.make_user(other_tenant, "finance@fabrikam.example", is_finance=True)


def rest_rows(client):
    response = client.get(REST)
    assert response.status_code == 200, response.content
    return {(r["domain_name"], Decimal(r["cost"])) for r in response.json()["results"]}


def test_finance_sees_every_domain_and_the_unallocated_cost_of_the_tenant(costs, finance, signed_in):
    client = signed_in(finance)

    assert rest_rows(client) == {("Finance", Decimal("50")), ("Human Resources", Decimal("30")), ("Unallocated", Decimal("7"))}
    page = client.get("/chargeback/?from=2026-10&to=2026-10").content.decode()
    assert all(f'data-row="{row}"' in page for row in ("finance", "hr", "Unallocated"))


def test_a_domain_owner_sees_only_the_domains_they_own(costs, domain_owner, signed_in):
    client = signed_in(domain_owner)

    assert rest_rows(client) == {("Finance", Decimal("50"))}
    matrix = selectors.domain_month_matrix(actor=domain_owner, date_from=day(1), date_to=day(31))
    assert [row.label for row in matrix.rows] == ["Finance"]
    page = client.get("/chargeback/?from=2026-10&to=2026-10").content.decode()
    assert 'data-row="finance"' in page
    assert 'data-row="hr"' not in page and 'data-row="Unallocated"' not in page


@pytest.mark.parametrize("who", ["consumer", "steward", "platform_owner"])
def test_people_without_finance_or_ownership_get_403_from_pages_and_rest(costs, signed_in, request, who):
    client = signed_in(request.getfixturevalue(who))

    assert client.get("/chargeback/").status_code == 403
    assert client.get("/chargeback/?format=csv").status_code == 403
    assert client.get("/chargeback/domains/finance/").status_code == 403
    assert client.get(REST).status_code == 403
    assert selectors.cost_record_list(actor=request.getfixturevalue(who)).count() == 0


def test_another_tenants_finance_sees_none_of_this_tenants_cost(costs, other_finance, signed_in):
    client = signed_in(other_finance)

    assert rest_rows(client) == set()
    assert "No cost in this period." in client.get("/chargeback/?from=2026-10&to=2026-10").content.decode()
    assert client.get("/chargeback/domains/finance/").status_code == 404


def test_another_tenants_consumer_is_refused(costs, other_tenant_user, signed_in):
    client = signed_in(other_tenant_user)

    assert client.get("/chargeback/").status_code == 403
    assert client.get(REST).status_code == 403
    assert client.get("/chargeback/domains/finance/").status_code == 404


def test_the_domain_drill_down_agrees_with_the_policy_for_every_role(
    costs, signed_in, domain, consumer, steward, domain_owner, finance, platform_owner, other_tenant_user, other_finance
):
    expected = {
        finance: True,
        domain_owner: True,
        consumer: False,
        steward: False,
        platform_owner: False,
        other_tenant_user: False,
        other_finance: False,
    }
    doors = {"page": page_door(lambda d: f"/chargeback/domains/{d.slug}/"), "csv": page_door(
        lambda d: f"/chargeback/domains/{d.slug}/?format=csv"
    )}
    assert_doors_agree(signed_in, domain, "chargeback.view_domain_costs", expected, doors)


def test_a_domain_owner_cannot_open_a_domain_they_do_not_own(costs, domain_owner, signed_in):
    assert signed_in(domain_owner).get("/chargeback/domains/hr/").status_code == 403


def test_anonymous_callers_are_sent_to_sign_in_or_refused(costs, client):
    assert client.get("/chargeback/").status_code == 302
    assert client.get("/chargeback/domains/finance/").status_code == 302
    assert client.get(REST).status_code == 401


def test_the_nav_shows_chargeback_to_finance_and_domain_owners_only(costs, signed_in, finance, domain_owner, consumer):
    assert 'data-nav="chargeback"' in signed_in(finance).get("/").content.decode()
    assert 'data-nav="chargeback"' in signed_in(domain_owner).get("/").content.decode()
    assert 'data-nav="chargeback"' not in signed_in(consumer).get("/").content.decode()


def test_only_platform_owners_configure_cost_scopes(finance, platform_owner):
    with pytest.raises(PermissionError):
        services.cost_scope_create(actor=finance, name="x", scope=SUBSCRIPTION, history_start=day(1))
    scope = services.cost_scope_create(actor=platform_owner, name="x", scope=SUBSCRIPTION, history_start=day(1))
    assert selectors.cost_scope_list(actor=finance).get() == scope
