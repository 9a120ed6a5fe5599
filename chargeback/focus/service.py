"""Import a Cost Management FOCUS export (a folder, or a run folder in Azure Blob Storage) into CostRecords.

The import reads and checks every file the manifest lists before it writes
anything, then replaces the export's day window for the scope in one
transaction through the same writer as ``costs_ingest`` (tag matching,
Unallocated bucket, unmapped tag values). Re-importing an export gives the
same rows; a malformed export raises FocusFormatError and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from chargeback.focus.manifest import MANIFEST_NAME, ExportManifest, FocusFormatError, parse_manifest
from chargeback.focus.reader import (
    FocusTotals,
    ReadOptions,
    cost_column_for,
    file_kind,
    new_reader_state,
    read_focus_file,
)
from chargeback.models import CostScope, normalize_arm_scope
from chargeback.services import IngestResult, _write_window
from chargeback.services.ingest import _evaluate_budgets
from loom_portal import audit
from loom_portal.services import job_run_finish, job_run_progress, job_run_start

JOB_NAME = "chargeback.costs_import_focus"
#: Rows between two JobRun progress updates.
PROGRESS_EVERY = 50_000

Progress = Callable[[int, int | None, str], None]


@dataclass
class FocusImportResult:
    scope_id: int
    date_from: dt.date
    date_to: dt.date
    rows: int = 0
    files: int = 0
    records: int = 0
    replaced: int = 0
    run_id: str = ""
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    job_run_id: object = None


def _check_actor(actor, scope: CostScope) -> None:
    if actor is None:
        return
    if not (actor.is_superuser or actor.is_platform_owner or actor.is_finance):
        raise PermissionError("Only platform owners and finance import cost exports.")
    if not actor.is_superuser and actor.tenant_id != scope.tenant_id:
        raise PermissionError("This cost scope belongs to another tenant.")


def _subscription_of(scope: CostScope) -> str:
    parts = normalize_arm_scope(scope.scope).lower().split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 and parts[1] == "subscriptions" else ""


def manifest_path(path: str | os.PathLike) -> Path:
    """``path`` (an export folder or its manifest.json) as the manifest file; raises FileNotFoundError."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such export (expected a folder with {MANIFEST_NAME}, or the manifest itself).")
    return path


def load_manifest(path: str | os.PathLike) -> tuple[Path, ExportManifest]:
    manifest_file = manifest_path(path)
    return manifest_file.parent, parse_manifest(manifest_file.read_bytes())


def _resolve(folder: Path, name: str) -> Path:
    """The local file of a manifest blob: at its blob path under the folder, else beside the manifest."""
    for candidate in (folder / name, folder / Path(name).name):
        if candidate.is_file():
            return candidate
    raise FocusFormatError(f"{MANIFEST_NAME}: the listed file {name} is not in {folder}.")


def check_export(scope: CostScope, manifest: ExportManifest, folder: Path) -> list[Path]:
    """The files of the export, after the checks that need no data: scope, presence, sizes and kinds."""
    export_scope = manifest.export_scope
    if export_scope and normalize_arm_scope(export_scope).lower() != normalize_arm_scope(scope.scope).lower():
        raise FocusFormatError(
            f"{MANIFEST_NAME}: the export belongs to {normalize_arm_scope(export_scope)}, "
            f"not to the cost scope {scope.name!r} ({scope.scope})."
        )
    files = []
    for blob in manifest.blobs:
        file_kind(blob.name)
        local = _resolve(folder, blob.name)
        size = local.stat().st_size
        if blob.byte_count is not None and size != blob.byte_count:
            raise FocusFormatError(
                f"{blob.name}: the file has {size} bytes but {MANIFEST_NAME} says {blob.byte_count} (incomplete copy?)."
            )
        files.append(local)
    if not files and manifest.start_date is None:
        raise FocusFormatError(f"{MANIFEST_NAME}: lists no files and no runInfo period, so there is nothing to import.")
    return files


def _read_export(scope, manifest: ExportManifest, files: list[Path], on_rows: Callable[[int], None]) -> FocusTotals:
    window = (manifest.start_date, manifest.end_date) if manifest.start_date else None
    options = ReadOptions(
        cost_column=cost_column_for(scope.cost_type), window=window, subscription=_subscription_of(scope), on_rows=on_rows
    )
    totals = FocusTotals()
    state = new_reader_state(options, totals)
    for blob, local in zip(manifest.blobs, files, strict=True):
        rows = read_focus_file(local, display=blob.name, options=options, totals=totals, state=state)
        if blob.data_row_count is not None and rows != blob.data_row_count:
            raise FocusFormatError(f"{blob.name}: the file holds {rows} data rows but {MANIFEST_NAME} says {blob.data_row_count}.")
    if manifest.data_row_count is not None and totals.rows != manifest.data_row_count:
        raise FocusFormatError(
            f"{MANIFEST_NAME}: dataRowCount is {manifest.data_row_count} but the files hold {totals.rows} data rows."
        )
    return state.finish()


def focus_import(*, scope: CostScope, path: str | os.PathLike, actor=None, on_progress: Progress | None = None) -> FocusImportResult:
    """Import the FOCUS export at ``path`` (a folder with manifest.json, or the manifest) into ``scope``.

    The export's day window (manifest runInfo, else the days its rows cover) is replaced for the scope.
    ``actor`` is None for the command and the task; a person must be a platform owner or finance of the
    scope's tenant. ``on_progress(rows_done, rows_total, message)`` is called as files are read.
    Raises FileNotFoundError, FocusFormatError (nothing written) or ValidationError (disabled scope).
    """
    return _run(scope=scope, actor=actor, on_progress=on_progress, label=str(path), locate=lambda: Path(path))


def focus_import_from_blob(
    *, scope: CostScope, container_client, manifest_blob: str, actor=None, on_progress: Progress | None = None
) -> FocusImportResult:
    """Download one export run (its manifest.json and the blobs it lists) to a temporary folder and import it."""
    from chargeback.focus.blob import download_export

    with tempfile.TemporaryDirectory(prefix="loom-focus-") as tmp:
        return _run(
            scope=scope, actor=actor, on_progress=on_progress,
            label=f"{container_client.container_name}/{manifest_blob}",
            locate=lambda: download_export(container_client=container_client, manifest_blob=manifest_blob, dest=Path(tmp)),
        )


def _run(*, scope: CostScope, actor, on_progress: Progress | None, label: str, locate: Callable[[], Path]) -> FocusImportResult:
    _check_actor(actor, scope)
    scope.refresh_from_db()
    if not scope.enabled:
        raise ValidationError({"scope": f"The cost scope {scope.name!r} is disabled."})
    job = job_run_start(name=JOB_NAME, tenant=scope.tenant, started_by=actor, message=f"{scope.name}: FOCUS export {label}")
    done = {"rows": 0, "reported": 0, "total": None}

    def on_rows(rows: int) -> None:
        done["rows"] += rows
        if done["rows"] - done["reported"] >= PROGRESS_EVERY:
            job_run_progress(job_run=job, advance=done["rows"] - done["reported"], message=f"{scope.name}: {done['rows']} rows read")
            done["reported"] = done["rows"]
        if on_progress:
            on_progress(done["rows"], done["total"], label)

    try:
        folder, manifest = load_manifest(locate())
        files = check_export(scope, manifest, folder)
        done["total"] = manifest.total_rows
        job_run_progress(job_run=job, total=manifest.total_rows, message=f"{scope.name}: reading {len(files)} files of {label}")
        totals = _read_export(scope, manifest, files, on_rows)
        job_run_progress(job_run=job, advance=done["rows"] - done["reported"])
        date_from = manifest.start_date or totals.first_day
        date_to = manifest.end_date or totals.last_day
        if date_from is None:
            raise FocusFormatError(f"{MANIFEST_NAME}: the files hold no rows and runInfo gives no period; nothing to import.")
        written = IngestResult(scope_id=scope.pk, date_from=date_from, date_to=date_to, pages=len(files))
        with transaction.atomic():
            _write_window(scope=scope, actor=actor, date_from=date_from, date_to=date_to, totals=totals.totals, result=written)
            audit.record(
                actor=actor, action="chargeback.focus_imported", target=scope,
                data={
                    "run_id": manifest.run_id, "files": [b.name for b in manifest.blobs], "rows": totals.rows,
                    "from": date_from.isoformat(), "to": date_to.isoformat(), "records": written.records,
                },
            )
    except Exception as exc:
        job_run_finish(job_run=job, error=f"{type(exc).__name__}: {exc}"[:5000], message=f"{scope.name}: failed, nothing written")
        raise
    result = FocusImportResult(
        scope_id=scope.pk, date_from=date_from, date_to=date_to, rows=totals.rows, files=len(files),
        records=written.records, replaced=written.replaced, run_id=manifest.run_id, unmapped=written.unmapped,
        job_run_id=job.pk,
    )
    job_run_finish(
        job_run=job,
        message=(
            f"{scope.name}: FOCUS export {label}: {result.rows} rows gave {result.records} cost rows for "
            f"{date_from}..{date_to} ({len(result.unmapped)} unmapped tag values)"
        ),
    )
    _evaluate_budgets(scope, date_to)
    return result
