"""costs_ingest: daily cost from the Cost Management Query API (through the real SDK) into CostRecords.

Every test drives azure-mgmt-costmanagement against the loopback double in
tests/doubles/cost_management.py.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from chargeback import services
from chargeback.models import CostRecord, UnmappedTagValue
from loom_portal.azure.errors import TransientAzureError
from loom_portal.models import AuditEvent, JobRun
from tests import factories
from tests.chargeback.conftest import SUBSCRIPTION, day

pytestmark = pytest.mark.django_db


def total(**filters) -> Decimal:
    return CostRecord.objects.filter(**filters).aggregate(t=Sum("cost"))["t"] or Decimal("0")


OCTOBER = (day(1), day(31))


def ingest(scope, start=OCTOBER[0], end=OCTOBER[1]):
    return services.costs_ingest(scope=scope, date_from=start, date_to=end)


def test_cost_is_queried_daily_by_both_loom_tags_with_the_documented_body(cost_api, cost_scope):
    ingest(cost_scope, day(1), day(31))

    [request] = cost_api.query_requests()
    assert request.path == f"{SUBSCRIPTION}/providers/Microsoft.CostManagement/query"
    assert request.query["api-version"] == "2025-03-01"
    assert request.headers["Authorization"] == "Bearer static-test-token"
    assert request.body == {
        "type": "ActualCost",
        "timeframe": "Custom",
        "timePeriod": {"from": "2026-10-01T00:00:00Z", "to": "2026-10-31T23:59:59Z"},
        "dataset": {
            "granularity": "Daily",
            "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
            "grouping": [{"type": "TagKey", "name": "loomWorkspaceId"}, {"type": "TagKey", "name": "loomDomain"}],
        },
    }


def test_tag_values_match_workspaces_and_domains_case_insensitively(cost_api, cost_scope, workspace, domain):
    cost_api.add_cost(SUBSCRIPTION, day(2), 10.5, loomWorkspaceId="CONTOSO-FIN-LEDGER")
    cost_api.add_cost(SUBSCRIPTION, day(2), 4.25, LOOMDOMAIN="FINANCE")

    ingest(cost_scope)

    by_workspace = CostRecord.objects.get(workspace_tag="CONTOSO-FIN-LEDGER")
    assert (by_workspace.workspace, by_workspace.domain, by_workspace.cost) == (workspace, domain, Decimal("10.5"))
    by_domain = CostRecord.objects.get(domain_tag="FINANCE")
    assert (by_domain.workspace, by_domain.domain, by_domain.cost) == (None, domain, Decimal("4.25"))


def test_the_workspace_decides_the_domain_when_both_tags_are_present(cost_api, cost_scope, workspace, domain, platform_owner):
    factories.make_domain(platform_owner, "Human Resources", slug="hr")
    cost_api.add_cost(SUBSCRIPTION, day(3), 7, loomWorkspaceId="contoso-fin-ledger", loomDomain="hr")

    ingest(cost_scope)

    record = CostRecord.objects.get()
    assert (record.workspace, record.domain, record.domain_tag) == (workspace, domain, "hr")


def test_untagged_cost_lands_in_the_unallocated_bucket(cost_api, cost_scope, workspace):
    cost_api.add_cost(SUBSCRIPTION, day(4), 99.99)

    ingest(cost_scope)

    record = CostRecord.objects.get()
    assert (record.workspace, record.domain, record.workspace_tag, record.domain_tag) == (None, None, "", "")
    assert record.domain_label == "Unallocated"
    assert record.cost == Decimal("99.99")


def test_unknown_tag_values_are_listed_until_a_workspace_or_domain_claims_them(
    cost_api, cost_scope, domain, platform_owner
):
    cost_api.add_cost(SUBSCRIPTION, day(5), 3, loomWorkspaceId="ws-ghost", loomDomain="Marketing")
    cost_api.add_cost(SUBSCRIPTION, day(9), 2, loomWorkspaceId="WS-GHOST")

    ingest(cost_scope)

    listed = {(u.tag_key, u.value.lower(), u.first_seen, u.last_seen) for u in UnmappedTagValue.objects.all()}
    assert listed == {("loomWorkspaceId", "ws-ghost", day(5), day(9)), ("loomDomain", "marketing", day(5), day(5))}
    assert total(domain__isnull=True) == Decimal("5")

    factories.make_workspace(platform_owner, domain, "ws-ghost", name="Ghost")
    ingest(cost_scope)

    assert list(UnmappedTagValue.objects.values_list("tag_key", "value")) == [("loomDomain", "Marketing")]
    assert total(domain=domain) == Decimal("5")


def test_pages_are_followed_through_next_link_with_the_same_body(cost_api, cost_scope):
    cost_api.page_size = 2
    for n in range(1, 6):
        cost_api.add_cost(SUBSCRIPTION, day(n), n, loomWorkspaceId=f"ws-{n}")

    result = ingest(cost_scope)

    requests = cost_api.query_requests()
    assert len(requests) == 3 and result.pages == 3
    assert "$skiptoken" not in requests[0].query
    assert all("$skiptoken" in r.query for r in requests[1:])
    assert all(r.body == requests[0].body for r in requests)
    assert CostRecord.objects.count() == 5 and total() == Decimal("15")


def test_a_throttled_query_is_retried_after_the_qpu_retry_after_headers(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(6), 12)
    cost_api.throttle_next(qpu=1, entity=0)  # no plain Retry-After: azure-core alone would give up on a POST

    ingest(cost_scope)

    assert len(cost_api.query_requests()) == 2
    assert total() == Decimal("12")


def test_throttling_longer_than_the_wait_limit_fails_transiently_and_writes_nothing(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(6), 12)
    cost_api.throttle_next(qpu=600)

    with pytest.raises(TransientAzureError) as raised:
        ingest(cost_scope)

    assert raised.value.status_code == 429 and raised.value.retry_after == 600
    assert len(cost_api.query_requests()) == 1
    assert CostRecord.objects.count() == 0
    job = JobRun.objects.get(name="chargeback.costs_ingest")
    assert job.status == "failed" and "429" in job.error


def test_a_server_error_is_retried(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(7), 8)
    cost_api.fail_next(503)

    ingest(cost_scope)

    assert len(cost_api.query_requests()) == 2
    assert total() == Decimal("8")


def test_persistent_server_errors_fail_transiently_and_keep_the_previous_data(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(7), 8)
    ingest(cost_scope)
    cost_api.clear()
    cost_api.add_cost(SUBSCRIPTION, day(7), 1000)
    cost_api.fail_next(500, times=20)

    with pytest.raises(TransientAzureError):
        ingest(cost_scope)

    assert total() == Decimal("8")


def test_a_failure_in_a_later_month_leaves_the_whole_window_untouched(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(7), 8)
    cost_api.add_cost(SUBSCRIPTION, day(3, month=11), 5)
    ingest(cost_scope, day(1), day(30, month=11))
    cost_api.clear()
    cost_api.add_cost(SUBSCRIPTION, day(7), 800)
    cost_api.pass_next(1)
    cost_api.fail_next(400, code="BadRequest")

    with pytest.raises(Exception, match="BadRequest|400"):
        ingest(cost_scope, day(1), day(30, month=11))

    assert sorted(CostRecord.objects.values_list("usage_date", "cost")) == [
        (day(7), Decimal("8")),
        (day(3, month=11), Decimal("5")),
    ]


@pytest.mark.parametrize(
    "bad_row, expected",
    [
        (["twelve", 20261002, "loomworkspaceid", None, "loomdomain", None, "USD"], "row 3, column Cost"),
        ([1.5, 20261345, "loomworkspaceid", None, "loomdomain", None, "USD"], "row 3, column UsageDate"),
        ([1.5, 20261102, "loomworkspaceid", None, "loomdomain", None, "USD"], "row 3, column UsageDate"),
        ([1.5, 20261002, "loomworkspaceid", 42, "loomdomain", None, "USD"], "row 3, column TagValue"),
        ([1.5, 20261002, "loomworkspaceid", None, "loomdomain", None, None], "row 3, column Currency"),
        ([1.5, 20261002, "USD"], "row 3: expected 7 values"),
    ],
)
def test_malformed_rows_are_refused_naming_row_and_column_and_nothing_is_written(cost_api, cost_scope, bad_row, expected):
    cost_api.add_cost(SUBSCRIPTION, day(1), 1, loomWorkspaceId="a")
    cost_api.add_cost(SUBSCRIPTION, day(2), 2, loomWorkspaceId="b")
    ingest(cost_scope)
    cost_api.add_cost(SUBSCRIPTION, day(2), 40, loomWorkspaceId="b")
    cost_api.extra_rows = [bad_row]

    with pytest.raises(services.CostDataError, match=expected):
        ingest(cost_scope)

    assert total() == Decimal("3")
    failed = JobRun.objects.filter(status="failed").get()
    assert expected in failed.error


def test_a_response_without_a_usage_date_column_is_refused(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(1), 1)
    cost_api.columns_override = [{"name": "Cost", "type": "Number"}, {"name": "Currency", "type": "String"}]

    with pytest.raises(services.CostDataError, match="no UsageDate column"):
        ingest(cost_scope)

    assert CostRecord.objects.count() == 0


def test_running_the_same_window_twice_never_double_counts(cost_api, cost_scope, workspace):
    cost_api.add_cost(SUBSCRIPTION, day(1), 10, loomWorkspaceId="contoso-fin-ledger")
    cost_api.add_cost(SUBSCRIPTION, day(1), 5, loomWorkspaceId="contoso-fin-ledger")
    cost_api.add_cost(SUBSCRIPTION, day(2), 7)

    ingest(cost_scope)
    first = (CostRecord.objects.count(), total())
    ingest(cost_scope)

    assert (CostRecord.objects.count(), total()) == first == (2, Decimal("22"))


def test_a_late_restatement_replaces_the_day(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(20), 10, loomWorkspaceId="ws-1")
    cost_api.add_cost(SUBSCRIPTION, day(21), 11, loomWorkspaceId="ws-1")
    ingest(cost_scope, day(1), day(21))

    cost_api.clear(day=day(20))
    cost_api.add_cost(SUBSCRIPTION, day(20), 13.5, loomWorkspaceId="ws-1")
    services.costs_ingest(scope=cost_scope, date_to=day(22))  # default start: the trailing restated days

    assert dict(CostRecord.objects.values_list("usage_date", "cost")) == {day(20): Decimal("13.5"), day(21): Decimal("11")}
    assert cost_api.query_requests()[-1].body["timePeriod"]["from"] == "2026-10-19T00:00:00Z"


def test_the_scheduled_window_starts_at_the_trailing_restated_days(cost_scope, settings):
    settings.CHARGEBACK_RESTATEMENT_DAYS = 3
    assert services.default_window(cost_scope, today=day(15)) == (day(1), day(14))

    cost_scope.last_complete_day = day(14)
    assert services.default_window(cost_scope, today=day(16)) == (day(12), day(15))


def test_a_successful_ingest_advances_the_last_complete_day_and_is_audited(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(3), 1)

    ingest(cost_scope, day(1), day(10))

    cost_scope.refresh_from_db()
    assert cost_scope.last_complete_day == day(10)
    job = JobRun.objects.get(name="chargeback.costs_ingest")
    assert (job.status, job.progress_current, job.progress_total) == ("succeeded", 1, 1)
    event = AuditEvent.objects.get(action="chargeback.costs_ingested")
    assert event.data["records"] == 1 and event.tenant_id == cost_scope.tenant_id


def test_a_window_that_ends_before_it_starts_is_refused_without_calling_azure(cost_api, cost_scope):
    with pytest.raises(ValidationError) as raised:
        ingest(cost_scope, day(10), day(9))

    assert "date_from" in raised.value.message_dict
    assert cost_api.query_requests() == []
    assert not JobRun.objects.exists()


def test_costs_in_several_currencies_stay_apart(cost_api, cost_scope):
    cost_api.add_cost(SUBSCRIPTION, day(1), 10, currency="USD")
    cost_api.add_cost(SUBSCRIPTION, day(1), 8, currency="EUR")

    ingest(cost_scope)

    assert dict(CostRecord.objects.values_list("currency", "cost")) == {"USD": Decimal("10"), "EUR": Decimal("8")}


def test_a_long_window_is_queried_one_month_at_a_time(cost_api, cost_scope):
    ingest(cost_scope, dt.date(2026, 9, 15), dt.date(2026, 11, 2))

    periods = [r.body["timePeriod"] for r in cost_api.query_requests()]
    assert periods == [
        {"from": "2026-09-15T00:00:00Z", "to": "2026-09-30T23:59:59Z"},
        {"from": "2026-10-01T00:00:00Z", "to": "2026-10-31T23:59:59Z"},
        {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T23:59:59Z"},
    ]
