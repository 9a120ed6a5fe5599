"""The export's manifest.json is checked before and after reading: a mismatch refuses the whole import."""

import json
from decimal import Decimal

import pytest

from chargeback.focus.manifest import FocusFormatError
from chargeback.focus.service import JOB_NAME, focus_import
from chargeback.models import CostRecord
from loom_portal.models import JobRun
from tests.chargeback.conftest import day
from tests.chargeback.focus_exports import focus_row, part_name, write_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tmp_path, cost_scope):
    """October already holds 100 USD from an earlier import; every refusal below must leave it as it is."""
    focus_import(scope=cost_scope, path=write_export(tmp_path / "earlier", [focus_row(day(1), "100")]))
    return cost_scope


def edit_manifest(folder, change):
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def refused(scope, folder, match: str):
    with pytest.raises(FocusFormatError, match=match):
        focus_import(scope=scope, path=folder)
    assert list(CostRecord.objects.values_list("usage_date", "cost")) == [(day(1), Decimal("100"))]


def test_a_row_count_that_differs_from_the_manifest_is_refused(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1"), focus_row(day(3), "2")])
    edit_manifest(folder, lambda m: (m["blobs"][0].update(dataRowCount=3), m.update(dataRowCount=3)))

    refused(imported, folder, r"part_0_0001\.csv: the file holds 2 data rows but manifest\.json says 3")


def test_the_total_row_count_is_checked(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: (m["blobs"][0].pop("dataRowCount"), m.update(dataRowCount=5)))

    refused(imported, folder, "dataRowCount is 5 but the files hold 1 data rows")


def test_blob_count_must_match_the_listed_blobs(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: m.update(blobCount=2))

    refused(imported, folder, "blobCount is 2 but 1 blobs are listed")


def test_a_truncated_file_is_caught_by_its_byte_count(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: m["blobs"][0].update(byteCount=m["blobs"][0]["byteCount"] + 10))

    refused(imported, folder, r"the file has \d+ bytes but manifest\.json says \d+ \(incomplete copy\?\)")


def test_a_listed_file_that_is_missing_is_refused(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    (folder / part_name(0, "csv")).unlink()

    refused(imported, folder, "the listed file .*part_0_0001.csv is not in")


def test_only_focus_cost_exports_are_accepted(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: m["exportConfig"].update(type="ActualCost"))

    refused(imported, folder, "exportConfig.type is 'ActualCost'; only FocusCost exports can be imported")


def test_an_export_of_another_scope_is_refused(tmp_path, imported):
    other = "/subscriptions/00000000-0000-0000-0000-0000000000ff"
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1", subscription=other)], scope=other)

    refused(imported, folder, f"the export belongs to {other}, not to the cost scope 'Contoso production'")


def test_rows_outside_the_run_period_are_refused(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1"), focus_row(day(1, 11), "2")])

    refused(
        imported, folder,
        r"part_0_0001\.csv, line 3, column ChargePeriodStart: '2026-11-01T00:00:00Z' is outside the export's period",
    )


def test_a_manifest_that_is_not_json_names_the_position(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    (folder / "manifest.json").write_text('{"blobs": [}')

    refused(imported, folder, r"manifest\.json: is not valid JSON \(line 1, column 12")


def test_a_manifest_without_blobs_is_refused(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: m.pop("blobs"))

    refused(imported, folder, "manifest.json: has no blobs list")


def test_blob_names_cannot_leave_the_export_folder(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: m["blobs"][0].update(blobName="../../etc/passwd.csv"))

    refused(imported, folder, r"blobs\[0\]\.blobName '\.\./\.\./etc/passwd\.csv' must be a relative path without '\.\.'")


def test_an_unreadable_file_kind_is_refused(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: m["blobs"][0].update(blobName="part_0_0001.xlsx"))

    refused(imported, folder, r"part_0_0001\.xlsx: not a FOCUS file this portal reads")


def test_an_empty_export_with_a_period_clears_that_period(tmp_path, imported):
    folder = write_export(tmp_path / "e")

    result = focus_import(scope=imported, path=folder)

    assert (result.rows, result.replaced) == (0, 1)
    assert CostRecord.objects.count() == 0


def test_a_refused_import_is_recorded_as_a_failed_job_run(tmp_path, imported):
    folder = write_export(tmp_path / "e", [focus_row(day(2), "1")])
    edit_manifest(folder, lambda m: m.update(blobCount=7))

    with pytest.raises(FocusFormatError):
        focus_import(scope=imported, path=folder)

    job = JobRun.objects.filter(name=JOB_NAME).order_by("-started_at").first()
    assert job.status == "failed"
    assert "blobCount is 7" in job.error
    assert job.message.endswith("failed, nothing written")
