"""The chargeback.costs_import_focus task: an export run read from Azure Blob Storage (Azurite on loopback)
through the real azure-storage-blob SDK, or from a folder; progress and outcome in a JobRun."""

from decimal import Decimal
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from django.db.models import Sum

from chargeback.focus.manifest import FocusFormatError
from chargeback.focus.service import JOB_NAME
from chargeback.models import CostRecord, UnmappedTagValue
from chargeback.tasks import costs_import_focus
from loom_portal.models import JobRun
from tests.chargeback.conftest import day
from tests.chargeback.focus_exports import RUN_ID, focus_row, part_name, write_export
from tests.doubles.azurite import Azurite

pytestmark = pytest.mark.django_db

CONTAINER = "cost-exports"
RUN_FOLDER = f"focus/loom-focus-daily/20261001-20261031/{RUN_ID}"
MANIFEST_BLOB = f"{RUN_FOLDER}/manifest.json"


@pytest.fixture
def azurite(tmp_path_factory, settings):
    with Azurite(tmp_path_factory.mktemp("azurite")) as server:
        settings.CHARGEBACK_FOCUS_STORAGE_CONNECTION_STRING = server.connection_string
        settings.AZURE_RETRY_TOTAL = 0
        yield server


@pytest.fixture
def container(azurite):
    client = BlobServiceClient.from_connection_string(azurite.connection_string).get_container_client(CONTAINER)
    client.create_container()
    return client


def upload(container, folder: Path, *, skip: str = "") -> None:
    """Put an export folder where Cost Management writes it: the manifest in the run folder, parts at their blobName."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != skip:
            name = MANIFEST_BLOB if path.name == "manifest.json" else path.relative_to(folder).as_posix()
            with path.open("rb") as data:
                container.upload_blob(name, data, overwrite=True)


def import_from_blob(**kwargs):
    return costs_import_focus.apply(
        kwargs={"container": CONTAINER, "manifest_blob": MANIFEST_BLOB, **kwargs}
    ).get()


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_an_export_run_in_blob_storage_is_imported(tmp_path, container, cost_scope, workspace, fmt):
    folder = write_export(
        tmp_path / "e",
        [focus_row(day(1), "10", tags={"loomWorkspaceId": "contoso-fin-ledger"}), focus_row(day(1), "2.5")],
        [focus_row(day(2), "4", tags={"loomWorkspaceId": "ws-orphan"})],
        fmt=fmt,
    )
    upload(container, folder)

    outcome = import_from_blob(scope_id=cost_scope.pk)

    assert (outcome["rows"], outcome["records"], outcome["from"], outcome["to"]) == (3, 3, "2026-10-01", "2026-10-31")
    assert CostRecord.objects.get(workspace=workspace).cost == Decimal("10")
    assert UnmappedTagValue.objects.filter(value="ws-orphan").exists()
    job = JobRun.objects.get(pk=outcome["job_run"])
    assert (job.name, job.status, job.progress_current, job.progress_total) == (JOB_NAME, "succeeded", 3, 3)
    assert f"{CONTAINER}/{MANIFEST_BLOB}" in job.message


def test_running_the_blob_import_twice_has_one_effect(tmp_path, container, cost_scope):
    upload(container, write_export(tmp_path / "e", [focus_row(day(3), "7")], [focus_row(day(4), "8")]))

    first = import_from_blob(scope_id=cost_scope.pk)
    second = import_from_blob(scope_id=cost_scope.pk)

    assert first["records"] == second["records"] == 2
    assert CostRecord.objects.aggregate(t=Sum("cost"))["t"] == Decimal("15")
    assert JobRun.objects.filter(name=JOB_NAME, status="succeeded").count() == 2


def test_a_listed_blob_that_is_missing_fails_the_job_and_writes_nothing(tmp_path, container, cost_scope):
    folder = write_export(tmp_path / "e", [focus_row(day(3), "7")], [focus_row(day(4), "8")])
    upload(container, folder, skip=Path(part_name(1, "csv")).name)

    with pytest.raises(FocusFormatError, match=r"part_1_0001\.csv: listed in manifest\.json but not found"):
        import_from_blob(scope_id=cost_scope.pk)

    assert CostRecord.objects.count() == 0
    job = JobRun.objects.get(name=JOB_NAME)
    assert job.status == "failed"
    assert "part_1_0001.csv" in job.error


def test_a_missing_manifest_blob_is_reported(container, cost_scope):
    with pytest.raises(FileNotFoundError, match="no such export manifest"):
        import_from_blob(scope_id=cost_scope.pk)

    assert JobRun.objects.get(name=JOB_NAME).status == "failed"


def test_a_malformed_blob_is_refused_with_line_and_column(tmp_path, container, cost_scope):
    upload(container, write_export(tmp_path / "e", [focus_row(day(3), "7"), focus_row(day(3), "seven")]))

    with pytest.raises(FocusFormatError, match=r"part_0_0001\.csv, line 3, column BilledCost: 'seven' is not a number"):
        import_from_blob(scope_id=cost_scope.pk)
    assert CostRecord.objects.count() == 0


def test_the_task_reads_a_local_folder_too(tmp_path, cost_scope):
    folder = write_export(tmp_path / "e", [focus_row(day(5), "1.25")])

    outcome = costs_import_focus.apply(kwargs={"scope_id": cost_scope.pk, "path": str(folder)}).get()

    assert outcome["records"] == 1
    assert CostRecord.objects.get().cost == Decimal("1.25")


def test_a_disabled_or_missing_scope_is_skipped(tmp_path, cost_scope):
    cost_scope.enabled = False
    cost_scope.save(update_fields=["enabled"])
    folder = str(write_export(tmp_path / "e", [focus_row(day(5), "1")]))

    assert costs_import_focus.apply(kwargs={"scope_id": cost_scope.pk, "path": folder}).get()["skipped"]
    assert costs_import_focus.apply(kwargs={"scope_id": 987654, "path": folder}).get()["skipped"]
    assert not JobRun.objects.filter(name=JOB_NAME).exists()


def test_the_task_is_registered_with_the_house_retry_policy():
    assert costs_import_focus.name == "chargeback.costs_import_focus"
    assert costs_import_focus.acks_late is True
    assert costs_import_focus.max_retries == 5
    assert [e.__name__ for e in costs_import_focus.autoretry_for] == ["TransientAzureError"]
