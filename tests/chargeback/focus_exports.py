"""Build Cost Management FOCUS export folders (manifest.json + CSV, gzip CSV or Parquet parts) for tests."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.chargeback.conftest import SUBSCRIPTION

#: The FOCUS 1.0 columns of a Cost Management FocusCost export (a representative subset, in export order).
FOCUS_COLUMNS = [
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType", "ConsumedQuantity", "ConsumedUnit",
    "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName", "ListCost", "ListUnitPrice",
    "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName",
    "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "SkuId", "SkuPriceId",
    "SubAccountId", "SubAccountName", "SubAccountType", "Tags",
]
RUN_ID = "2b0c7a9e-5f3d-4a61-9f0e-7d1c2b3a4e5f"
EXPORT_NAME = "loom-focus-daily"


def focus_row(day: dt.date, billed, *, effective=None, currency="USD", tags: dict | None = None,
              subscription: str = SUBSCRIPTION, **columns) -> dict:
    """One FOCUS row; ``tags`` becomes the Tags JSON object. Extra keyword arguments override columns."""
    end = day + dt.timedelta(days=1)
    row = {
        "BilledCost": str(billed), "EffectiveCost": str(billed if effective is None else effective),
        "BillingAccountId": "/providers/Microsoft.Billing/billingAccounts/8611537", "BillingAccountName": "Contoso",
        "BillingAccountType": "Billing Account", "BillingCurrency": currency,
        "BillingPeriodStart": f"{day:%Y-%m}-01T00:00:00Z", "BillingPeriodEnd": f"{end:%Y-%m}-01T00:00:00Z",
        "ChargeCategory": "Usage", "ChargeDescription": "D4s v5", "ChargeFrequency": "Usage-Based",
        "ChargePeriodStart": f"{day.isoformat()}T00:00:00Z", "ChargePeriodEnd": f"{end.isoformat()}T00:00:00Z",
        "ConsumedQuantity": "24", "ConsumedUnit": "Hours", "InvoiceIssuerName": "Microsoft", "ProviderName": "Microsoft",
        "PublisherName": "Microsoft", "RegionId": "eastus", "RegionName": "East US",
        "ResourceId": f"{subscription}/resourceGroups/rg-loom/providers/Microsoft.Compute/virtualMachines/vm1",
        "ResourceName": "vm1", "ResourceType": "Virtual machine", "ServiceCategory": "Compute",
        "ServiceName": "Virtual Machines", "SubAccountId": subscription, "SubAccountName": "Contoso production",
        "SubAccountType": "Subscription", "Tags": json.dumps(tags or {}),
    }
    row.update(columns)
    return {name: row.get(name, "") for name in dict.fromkeys([*FOCUS_COLUMNS, *row])}


def csv_text(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or list(rows[0]) if rows else (columns or FOCUS_COLUMNS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def part_name(index: int, fmt: str) -> str:
    ext = {"csv": "csv", "csv.gz": "csv.gz", "parquet": "parquet"}[fmt]
    return f"focus/{EXPORT_NAME}/20261001-20261031/{RUN_ID}/part_{index}_0001.{ext}"


def write_part(folder: Path, name: str, rows: list[dict] | None = None, *, fmt: str = "csv", raw: str | None = None,
               table: pa.Table | None = None) -> tuple[int, int]:
    """Write one part file at ``name`` (its blob path) below ``folder``; returns (bytes, data rows)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        table = table if table is not None else pa.Table.from_pylist(rows)
        pq.write_table(table, path)
        count = table.num_rows
    else:
        text = raw if raw is not None else csv_text(rows)
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if fmt == "csv.gz" else data)
        count = len(rows) if rows is not None and raw is None else max(0, text.count("\n") - 1)
    return path.stat().st_size, count


def write_manifest(folder: Path, parts: list[tuple[str, int, int]], *, scope: str = SUBSCRIPTION,
                   start: dt.date | None = dt.date(2026, 10, 1), end: dt.date | None = dt.date(2026, 10, 31),
                   fmt: str = "csv", **overrides) -> Path:
    manifest = {
        "manifestVersion": "2024-04-01",
        "byteCount": sum(p[1] for p in parts),
        "blobCount": len(parts),
        "dataRowCount": sum(p[2] for p in parts),
        "exportConfig": {
            "exportName": EXPORT_NAME,
            "resourceId": f"{scope}/providers/Microsoft.CostManagement/exports/{EXPORT_NAME}",
            "dataVersion": "1.0", "apiVersion": "2023-07-01-preview", "type": "FocusCost",
            "timeFrame": "MonthToDate", "granularity": "Daily",
        },
        "deliveryConfig": {
            "partitionData": True, "dataOverwriteBehavior": "OverwritePreviousReport",
            "fileFormat": "Parquet" if fmt == "parquet" else "Csv",
            "compressionMode": "gzip" if fmt == "csv.gz" else ("snappy" if fmt == "parquet" else "None"),
            "containerUri": "/subscriptions/.../storageAccounts/loomcosts", "rootFolderPath": "focus",
        },
        "runInfo": {
            "executionType": "Scheduled", "submittedTime": "2026-11-01T04:12:33.1032074Z", "runId": RUN_ID,
            **({"startDate": f"{start.isoformat()}T00:00:00"} if start else {}),
            **({"endDate": f"{end.isoformat()}T00:00:00"} if end else {}),
        },
        "blobs": [{"blobName": name, "byteCount": size, "dataRowCount": count} for name, size, count in parts],
    }
    manifest.update(overrides)
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path


def write_export(folder: Path, *files: list[dict], fmt: str = "csv", **manifest) -> Path:
    """An export folder: one part per ``files`` entry, in ``fmt``, and its manifest. Returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for index, rows in enumerate(files):
        name = part_name(index, fmt)
        parts.append((name, *write_part(folder, name, rows, fmt=fmt)))
    write_manifest(folder, parts, fmt=fmt, **manifest)
    return folder
