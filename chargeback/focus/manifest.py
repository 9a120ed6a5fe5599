"""``manifest.json`` of a Cost Management export run: what files it wrote and what they should hold.

The shape (exports API 2023-07-01-preview and later) is::

    {"manifestVersion": "2024-04-01", "byteCount": 160769, "blobCount": 1, "dataRowCount": 136,
     "exportConfig": {"exportName": "...", "resourceId": "<scope>/providers/Microsoft.CostManagement/exports/<name>",
                      "dataVersion": "1.0", "type": "FocusCost", "timeFrame": "MonthToDate", "granularity": "Daily"},
     "deliveryConfig": {"fileFormat": "Csv", "compressionMode": "None", ...},
     "runInfo": {"runId": "...", "startDate": "2026-10-01T00:00:00", "endDate": "2026-10-31T00:00:00", ...},
     "blobs": [{"blobName": "<root>/<export>/<yyyymmdd-yyyymmdd>/<runId>/part_0_0001.csv",
                "byteCount": 160769, "dataRowCount": 136}]}

Only ``blobs[].blobName`` is required; every other field, when present, is checked.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from chargeback.services import CostDataError

MANIFEST_NAME = "manifest.json"
FOCUS_EXPORT_TYPE = "focuscost"
EXPORTS_SEGMENT = "/providers/microsoft.costmanagement/exports/"


class FocusFormatError(CostDataError):
    """An export (its manifest or one of its files) is malformed; the import was refused and nothing was written."""


@dataclass(frozen=True)
class BlobEntry:
    name: str
    byte_count: int | None
    data_row_count: int | None

    @property
    def relative_path(self) -> PurePosixPath:
        return PurePosixPath(self.name)


@dataclass(frozen=True)
class ExportManifest:
    blobs: tuple[BlobEntry, ...]
    data_row_count: int | None
    export_type: str
    data_version: str
    resource_id: str
    run_id: str
    start_date: dt.date | None
    end_date: dt.date | None

    @property
    def export_scope(self) -> str:
        """The ARM scope the export was defined at (from ``exportConfig.resourceId``), or ''."""
        lowered = self.resource_id.lower()
        cut = lowered.find(EXPORTS_SEGMENT)
        return self.resource_id[:cut] if cut >= 0 else ""

    @property
    def total_rows(self) -> int | None:
        if self.data_row_count is not None:
            return self.data_row_count
        counts = [b.data_row_count for b in self.blobs]
        return sum(counts) if counts and None not in counts else None


def _fail(message: str):
    raise FocusFormatError(f"{MANIFEST_NAME}: {message}")


def _count(value, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(f"{field} is {value!r}, expected a whole number of at least 0.")
    return value


def _text(obj: dict, key: str, field: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(f"{field} is {value!r}, expected a string.")
    return value.strip()


def _day(obj: dict, key: str, field: str) -> dt.date | None:
    text = _text(obj, key, field)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        _fail(f"{field} is {text!r}, expected a date (YYYY-MM-DD...).")


def _blob(index: int, entry) -> BlobEntry:
    where = f"blobs[{index}]"
    if not isinstance(entry, dict):
        _fail(f"{where} is {entry!r}, expected an object with blobName.")
    name = _text(entry, "blobName", f"{where}.blobName")
    if not name:
        _fail(f"{where}.blobName is missing.")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        _fail(f"{where}.blobName {name!r} must be a relative path without '..'.")
    return BlobEntry(
        name=name,
        byte_count=_count(entry.get("byteCount"), f"{where}.byteCount"),
        data_row_count=_count(entry.get("dataRowCount"), f"{where}.dataRowCount"),
    )


def parse_manifest(raw: bytes) -> ExportManifest:
    """Parse and check ``manifest.json``; raises FocusFormatError naming the field that is wrong."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        _fail("is not UTF-8 text.")
    except json.JSONDecodeError as exc:
        _fail(f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).")
    if not isinstance(data, dict):
        _fail("is not a JSON object.")
    for key in ("exportConfig", "runInfo", "deliveryConfig"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            _fail(f"{key} is {data[key]!r}, expected an object.")
    config = data.get("exportConfig") or {}
    run = data.get("runInfo") or {}
    blobs = data.get("blobs")
    if not isinstance(blobs, list):
        _fail("has no blobs list.")
    entries = tuple(_blob(i, entry) for i, entry in enumerate(blobs))
    names = [e.name.lower() for e in entries]
    if len(set(names)) != len(names):
        _fail("lists the same blob twice.")
    blob_count = _count(data.get("blobCount"), "blobCount")
    if blob_count is not None and blob_count != len(entries):
        _fail(f"blobCount is {blob_count} but {len(entries)} blobs are listed.")
    data_row_count = _count(data.get("dataRowCount"), "dataRowCount")
    per_blob = [e.data_row_count for e in entries]
    if data_row_count is not None and entries and None not in per_blob and sum(per_blob) != data_row_count:
        _fail(f"dataRowCount is {data_row_count} but the blobs add up to {sum(per_blob)}.")
    export_type = _text(config, "type", "exportConfig.type")
    if export_type and export_type.lower() != FOCUS_EXPORT_TYPE:
        _fail(f"exportConfig.type is {export_type!r}; only FocusCost exports can be imported.")
    start = _day(run, "startDate", "runInfo.startDate")
    end = _day(run, "endDate", "runInfo.endDate")
    if (start is None) != (end is None):
        _fail("runInfo has only one of startDate and endDate.")
    if start and end and start > end:
        _fail(f"runInfo.startDate {start} is after runInfo.endDate {end}.")
    return ExportManifest(
        blobs=entries,
        data_row_count=data_row_count,
        export_type=export_type,
        data_version=_text(config, "dataVersion", "exportConfig.dataVersion"),
        resource_id=_text(config, "resourceId", "exportConfig.resourceId"),
        run_id=_text(run, "runId", "runInfo.runId"),
        start_date=start,
        end_date=end,
    )
