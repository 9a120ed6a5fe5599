"""The chargeback.costs_ingest Celery task: loads the scope by id, calls the service, retries transient errors."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from chargeback.models import CostRecord
from chargeback.tasks import costs_ingest
from loom_portal.models import JobRun
from tests.chargeback.conftest import SUBSCRIPTION, day

pytestmark = pytest.mark.django_db


def test_running_the_task_twice_has_one_effect(cost_api, cost_scope, workspace):
    cost_api.add_cost(SUBSCRIPTION, day(1), 10, loomWorkspaceId="contoso-fin-ledger")
    cost_api.add_cost(SUBSCRIPTION, day(2), 2.5)
    kwargs = {"scope_id": cost_scope.pk, "date_from": "2026-10-01", "date_to": "2026-10-31"}

    first = costs_ingest.apply(kwargs=kwargs).get()
    second = costs_ingest.apply(kwargs=kwargs).get()

    assert first["records"] == second["records"] == 2
    assert CostRecord.objects.count() == 2
    assert CostRecord.objects.aggregate(t=Sum("cost"))["t"] == Decimal("12.5")
    assert JobRun.objects.filter(name="chargeback.costs_ingest", status="succeeded").count() == 2


def test_the_task_is_registered_with_the_house_retry_policy():
    assert costs_ingest.name == "chargeback.costs_ingest"
    assert costs_ingest.acks_late is True
    assert costs_ingest.max_retries == 5
    assert [e.__name__ for e in costs_ingest.autoretry_for] == ["TransientAzureError"]


def test_a_disabled_or_missing_scope_is_skipped_without_calling_azure(cost_api, cost_scope):
    cost_scope.enabled = False
    cost_scope.save(update_fields=["enabled"])

    assert costs_ingest.apply(kwargs={"scope_id": cost_scope.pk}).get()["skipped"]
    assert costs_ingest.apply(kwargs={"scope_id": 987654}).get()["skipped"]
    assert cost_api.query_requests() == []


def test_a_transient_azure_failure_is_retried_by_celery_until_it_succeeds(cost_api, cost_scope, settings):
    settings.AZURE_RETRY_TOTAL = 1  # the SDK gives up after 2 attempts; Celery retries the task
    cost_api.add_cost(SUBSCRIPTION, day(3), 4)
    cost_api.fail_next(503, times=2)

    # throw=False: eager apply() then re-runs the task on Retry, as a worker would after the countdown.
    result = costs_ingest.apply(
        kwargs={"scope_id": cost_scope.pk, "date_from": "2026-10-01", "date_to": "2026-10-31"}, throw=False
    )

    assert result.get()["records"] == 1
    assert len(cost_api.query_requests()) == 3
    assert list(JobRun.objects.order_by("started_at").values_list("status", flat=True)) == ["failed", "succeeded"]


def test_the_beat_entry_point_ingests_every_enabled_scope(cost_api, cost_scope, platform_owner):
    from chargeback import services
    from chargeback.tasks import costs_ingest_all

    services.cost_scope_create(
        actor=platform_owner, name="Off", scope="/subscriptions/00000000-0000-0000-0000-000000000002",
        history_start=day(1), enabled=False,
    )
    cost_api.add_cost(SUBSCRIPTION, day(3), 4)

    assert costs_ingest_all.apply().get() == 1

    assert {r.path.split("/")[2] for r in cost_api.query_requests()} == {SUBSCRIPTION.split("/")[2]}
    assert CostRecord.objects.get().cost == Decimal("4")


def test_the_management_command_ingests_a_window_and_names_a_bad_option(cost_api, cost_scope):
    from io import StringIO

    from django.core.management import CommandError, call_command

    cost_api.add_cost(SUBSCRIPTION, day(3), 4)
    out = StringIO()
    call_command("costs_ingest", "--scope", str(cost_scope.pk), "--from", "2026-10-01", "--to", "2026-10-31", stdout=out)
    assert "1 cost rows for 2026-10-01..2026-10-31" in out.getvalue()

    with pytest.raises(CommandError, match="--from"):
        call_command("costs_ingest", "--scope", str(cost_scope.pk), "--from", "01/10/2026")
    with pytest.raises(CommandError, match="after it ends"):
        call_command("costs_ingest", "--scope", str(cost_scope.pk), "--from", "2026-10-05", "--to", "2026-10-01")
