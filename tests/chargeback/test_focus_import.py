"""focus_import: a Cost Management FOCUS export folder (manifest.json + CSV, gzip CSV or Parquet) into CostRecords."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from chargeback import services
from chargeback.choices import CostType
from chargeback.focus.service import JOB_NAME, focus_import
from chargeback.models import CostRecord, UnmappedTagValue
from loom_portal.models import AuditEvent, JobRun
from tests.chargeback.conftest import SUBSCRIPTION, day
from tests.chargeback.focus_exports import (
    csv_text,
    focus_row,
    part_name,
    write_export,
    write_manifest,
    write_part,
)

pytestmark = pytest.mark.django_db

LEDGER = {"loomWorkspaceId": "contoso-fin-ledger"}


def total(**filters) -> Decimal:
    return CostRecord.objects.filter(**filters).aggregate(t=Sum("cost"))["t"] or Decimal("0")


def records() -> list[tuple]:
    return list(
        CostRecord.objects.order_by("usage_date", "workspace_tag", "domain_tag", "currency").values_list(
            "usage_date", "workspace_tag", "domain_tag", "currency", "cost"
        )
    )


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_an_export_in_each_format_lands_as_daily_cost_per_tag_pair(tmp_path, cost_scope, workspace, domain, fmt):
    rows = [
        focus_row(day(1), "10.25", tags=LEDGER),
        focus_row(day(1), "4.75", tags={"LOOMWORKSPACEID": "CONTOSO-FIN-LEDGER", "env": "prod"}),
        focus_row(day(2), "3", tags={"loomDomain": "Finance"}),
        focus_row(day(2), "1.5"),
    ]
    folder = write_export(tmp_path / "export", rows[:2], rows[2:], fmt=fmt)

    result = focus_import(scope=cost_scope, path=folder)

    assert (result.rows, result.files, result.records) == (4, 2, 4)  # tag values keep the spelling Azure reported
    assert (result.date_from, result.date_to) == (day(1), day(31))
    ledger = CostRecord.objects.filter(usage_date=day(1))
    assert {(r.workspace, r.domain, r.currency) for r in ledger} == {(workspace, domain, "USD")}
    assert total(usage_date=day(1), workspace=workspace) == Decimal("15")
    by_domain = CostRecord.objects.get(usage_date=day(2), domain_tag="Finance")
    assert (by_domain.workspace, by_domain.domain, by_domain.cost) == (None, domain, Decimal("3"))
    untagged = CostRecord.objects.get(usage_date=day(2), domain_tag="")
    assert (untagged.domain, untagged.domain_label, untagged.cost) == (None, "Unallocated", Decimal("1.5"))


def test_the_scope_cost_type_picks_billed_or_effective_cost(tmp_path, platform_owner, tenant):
    amortized = services.cost_scope_create(
        actor=platform_owner, name="Amortized", scope=SUBSCRIPTION, history_start=day(1), cost_type=CostType.AMORTIZED
    )
    folder = write_export(tmp_path / "e", [focus_row(day(3), "100", effective="41.6666666667")])

    focus_import(scope=amortized, path=folder)

    assert CostRecord.objects.get().cost == Decimal("41.6666666667")
    assert CostRecord.objects.get().cost_type == "AmortizedCost"


def test_costs_keep_ten_decimal_places_rounded_half_to_even(tmp_path, cost_scope):
    folder = write_export(tmp_path / "e", [focus_row(day(4), "0.00000000005"), focus_row(day(4), "1.123456789049")])

    focus_import(scope=cost_scope, path=folder)

    assert total() == Decimal("1.1234567890")


def test_currencies_stay_apart(tmp_path, cost_scope):
    folder = write_export(
        tmp_path / "e", [focus_row(day(5), "2", currency="usd"), focus_row(day(5), "3", currency="EUR")]
    )

    focus_import(scope=cost_scope, path=folder)

    assert records() == [(day(5), "", "", "EUR", Decimal("3")), (day(5), "", "", "USD", Decimal("2"))]


def test_reimporting_the_same_export_never_double_counts(tmp_path, cost_scope, workspace):
    folder = write_export(tmp_path / "e", [focus_row(day(6), "12.5", tags=LEDGER), focus_row(day(7), "7.5")])

    first = focus_import(scope=cost_scope, path=folder)
    second = focus_import(scope=cost_scope, path=folder)

    assert first.records == second.records == 2
    assert second.replaced == 2
    assert CostRecord.objects.count() == 2
    assert total() == Decimal("20")


def test_a_newer_export_replaces_its_whole_period_including_days_that_dropped_out(tmp_path, cost_scope):
    focus_import(scope=cost_scope, path=write_export(tmp_path / "v1", [focus_row(day(8), "5"), focus_row(day(9), "6")]))
    restated = write_export(tmp_path / "v2", [focus_row(day(8), "5.5")])

    focus_import(scope=cost_scope, path=restated)

    assert records() == [(day(8), "", "", "USD", Decimal("5.5"))]


def test_cost_outside_the_export_period_is_left_alone(tmp_path, cost_scope):
    september = write_export(
        tmp_path / "sep", [focus_row(day(30, 9), "9")], start=day(1, 9), end=day(30, 9)
    )
    focus_import(scope=cost_scope, path=september)

    focus_import(scope=cost_scope, path=write_export(tmp_path / "oct", [focus_row(day(1), "1")]))

    assert records() == [(day(30, 9), "", "", "USD", Decimal("9")), (day(1), "", "", "USD", Decimal("1"))]


def test_without_a_run_period_the_window_is_the_days_the_rows_cover(tmp_path, cost_scope):
    folder = write_export(tmp_path / "e", [focus_row(day(10), "1"), focus_row(day(12), "2")], start=None, end=None)

    result = focus_import(scope=cost_scope, path=folder)

    assert (result.date_from, result.date_to) == (day(10), day(12))


def test_unknown_tag_values_are_listed_for_a_platform_owner_to_map(tmp_path, cost_scope, workspace):
    folder = write_export(
        tmp_path / "e",
        [
            focus_row(day(11), "1", tags={"loomWorkspaceId": "ws-nobody-knows"}),
            focus_row(day(14), "2", tags={"loomWorkspaceId": "WS-NOBODY-KNOWS", "loomDomain": "Marketing"}),
            focus_row(day(12), "3", tags=LEDGER),
        ],
    )

    result = focus_import(scope=cost_scope, path=folder)

    assert sorted((k, v.lower()) for k, v in result.unmapped) == [("loomDomain", "marketing"), ("loomWorkspaceId", "ws-nobody-knows")]
    unknown = UnmappedTagValue.objects.get(tag_key="loomWorkspaceId")
    assert (unknown.value.lower(), unknown.first_seen, unknown.last_seen) == ("ws-nobody-knows", day(11), day(14))
    assert UnmappedTagValue.objects.filter(tag_key="loomDomain", value="Marketing").exists()
    assert total(domain__isnull=True) == Decimal("3")


def test_older_tag_text_without_braces_is_read(tmp_path, cost_scope, workspace):
    folder = write_export(tmp_path / "e", [focus_row(day(13), "4", Tags='"loomWorkspaceId": "contoso-fin-ledger"')])

    focus_import(scope=cost_scope, path=folder)

    assert CostRecord.objects.get().workspace == workspace


def test_parquet_with_typed_columns_is_read(tmp_path, cost_scope, workspace):
    table = pa.table({
        "ChargePeriodStart": pa.array([dt.datetime(2026, 10, 15), dt.datetime(2026, 10, 15, 23)], pa.timestamp("us", tz="UTC")),
        "BilledCost": pa.array([Decimal("1.25"), Decimal("2.5")], pa.decimal128(20, 6)),
        "EffectiveCost": pa.array([1.25, 2.5], pa.float64()),
        "BillingCurrency": ["USD", "USD"],
        "Tags": [None, '{"loomWorkspaceId":"contoso-fin-ledger"}'],
    })
    folder, name = tmp_path / "e", part_name(0, "parquet")
    folder.mkdir()
    write_manifest(folder, [(name, *write_part(folder, name, fmt="parquet", table=table))], fmt="parquet")

    focus_import(scope=cost_scope, path=folder)

    assert records() == [
        (day(15), "", "", "USD", Decimal("1.25")),
        (day(15), "contoso-fin-ledger", "", "USD", Decimal("2.5")),
    ]


def test_the_manifest_file_itself_may_be_given(tmp_path, cost_scope):
    folder = write_export(tmp_path / "e", [focus_row(day(16), "1")])

    assert focus_import(scope=cost_scope, path=folder / "manifest.json").records == 1


def test_progress_and_outcome_are_recorded_in_a_job_run(tmp_path, cost_scope, platform_owner):
    folder = write_export(tmp_path / "e", [focus_row(day(17), "1")] * 3, [focus_row(day(18), "2")])
    seen = []

    result = focus_import(scope=cost_scope, path=folder, actor=platform_owner, on_progress=lambda d, t, m: seen.append((d, t)))

    job = JobRun.objects.get(pk=result.job_run_id)
    assert (job.name, job.status, job.progress_current, job.progress_total) == (JOB_NAME, "succeeded", 4, 4)
    assert job.started_by == platform_owner
    assert "4 rows gave 2 cost rows" in job.message
    assert seen[-1] == (4, 4)
    event = AuditEvent.objects.get(action="chargeback.focus_imported")
    assert (event.data["rows"], event.data["records"], event.data["run_id"]) == (4, 2, result.run_id)


def test_consumers_cannot_import_and_nothing_is_written(tmp_path, cost_scope, consumer):
    folder = write_export(tmp_path / "e", [focus_row(day(19), "1")])

    with pytest.raises(PermissionError):
        focus_import(scope=cost_scope, path=folder, actor=consumer)

    assert CostRecord.objects.count() == 0
    assert not JobRun.objects.filter(name=JOB_NAME).exists()


def test_finance_of_another_tenant_cannot_import(tmp_path, cost_scope, other_tenant):
    from tests import factories

    outsider = factories.make_user(other_tenant, "finance@fabrikam.example", is_finance=True)

    with pytest.raises(PermissionError):
        focus_import(scope=cost_scope, path=write_export(tmp_path / "e", [focus_row(day(20), "1")]), actor=outsider)


def test_a_disabled_scope_is_refused(tmp_path, cost_scope):
    cost_scope.enabled = False
    cost_scope.save(update_fields=["enabled"])

    with pytest.raises(ValidationError, match="disabled"):
        focus_import(scope=cost_scope, path=write_export(tmp_path / "e", [focus_row(day(21), "1")]))
    assert CostRecord.objects.count() == 0


def test_finance_sees_the_latest_focus_imports_on_the_chargeback_page(tmp_path, cost_scope, finance, signed_in):
    focus_import(scope=cost_scope, path=write_export(tmp_path / "e", [focus_row(day(22), "1")]))

    page = signed_in(finance).get("/chargeback/")

    assert page.status_code == 200
    assert "FOCUS export" in page.content.decode()
    assert "1 rows gave 1 cost rows" in page.content.decode()


def test_a_byte_order_mark_and_any_column_order_are_fine(tmp_path, cost_scope):
    row = focus_row(day(23), "6.5")
    columns = ["BilledCost", *[c for c in row if c != "BilledCost"]]
    folder, name = tmp_path / "e", part_name(0, "csv")
    folder.mkdir()
    text = "\ufeff" + csv_text([row], columns)
    write_manifest(folder, [(name, *write_part(folder, name, raw=text))])

    focus_import(scope=cost_scope, path=folder)

    assert records() == [(day(23), "", "", "USD", Decimal("6.5"))]


def test_line_breaks_inside_quoted_values_are_read_and_counted_once(tmp_path, cost_scope):
    rows = [focus_row(day(24), "1"), focus_row(day(24), "2", ChargeDescription="Reserved VM\nupfront"), focus_row(day(25), "3")]
    seen = []

    result = focus_import(
        scope=cost_scope, path=write_export(tmp_path / "e", rows), on_progress=lambda d, t, m: seen.append(d)
    )

    assert result.rows == 3
    assert records() == [(day(24), "", "", "USD", Decimal("3")), (day(25), "", "", "USD", Decimal("3"))]
    assert seen[-1] == 3
    assert JobRun.objects.get(pk=result.job_run_id).progress_current == 3
