"""Benchmark (make bench): import 1,000,000 FOCUS rows and compare with a raw COPY of the same file.

Prints rows/s for the raw ``COPY ... FROM STDIN (FORMAT csv)`` of the export's CSV
into a bare table of text columns on the same server, rows/s for
``focus_import`` of the same export (read, check every row, aggregate, replace
the window), and the ratio of the two (target >= 0.5).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pytest
from django.db import connection
from psycopg import sql

from chargeback import services
from chargeback.focus.service import focus_import
from chargeback.models import CostRecord
from tests import factories
from tests.chargeback.focus_exports import FOCUS_COLUMNS, part_name, write_manifest

ROWS = int(os.environ.get("LOOM_BENCH_FOCUS_ROWS", "1000000"))
WORKSPACES = 400
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-0000000000b1"
RAW_TABLE = "bench_focus_raw_copy"

pytestmark = pytest.mark.django_db(transaction=True)


def _pick(values: list[str], index: pa.Array) -> pa.Array:
    return pc.take(pa.array(values, pa.string()), index)


def focus_table(rows: int) -> pa.Table:
    """``rows`` FOCUS rows over October 2026: 400 workspaces in 8 domains, some untagged, two currencies."""
    n = pa.array(range(rows), pa.int64())

    def mod(k: int) -> pa.Array:
        return pc.cast(pc.subtract(n, pc.multiply(pc.divide(n, k), k)), pa.int64())

    day = mod(31)
    days = [dt.date(2026, 10, d + 1) for d in range(31)]
    tags = [json.dumps({"env": "prod", "loomWorkspaceId": f"ws-{w:04d}", "loomDomain": f"domain-{w % 8}"}) for w in range(WORKSPACES)]
    tags += ["{}", json.dumps({"env": "dev", "costCenter": "4711"})]
    costs = [f"{(i * 7919) % 100000 / 1000:.6f}" for i in range(997)]
    resources = [f"{SUBSCRIPTION}/resourceGroups/rg-{i % 50}/providers/Microsoft.Compute/virtualMachines/vm-{i}" for i in range(1009)]
    columns = {name: _pick([""], pc.multiply(n, 0)) for name in FOCUS_COLUMNS}
    columns.update({
        "BilledCost": _pick(costs, mod(997)),
        "EffectiveCost": _pick(costs, mod(991)),
        "BillingAccountId": _pick(["/providers/Microsoft.Billing/billingAccounts/8611537"], mod(1)),
        "BillingAccountName": _pick(["Contoso"], mod(1)),
        "BillingCurrency": _pick(["USD"] * 19 + ["EUR"], mod(20)),
        "BillingPeriodStart": _pick(["2026-10-01T00:00:00Z"], mod(1)),
        "BillingPeriodEnd": _pick(["2026-11-01T00:00:00Z"], mod(1)),
        "ChargeCategory": _pick(["Usage", "Usage", "Usage", "Purchase"], mod(4)),
        "ChargeDescription": _pick(["D4s v5", "P10 LRS Disk", "Standard Data Transfer Out", "Log Analytics ingestion"], mod(4)),
        "ChargeFrequency": _pick(["Usage-Based"], mod(1)),
        "ChargePeriodStart": _pick([f"{d.isoformat()}T00:00:00Z" for d in days], day),
        "ChargePeriodEnd": _pick([f"{(d + dt.timedelta(days=1)).isoformat()}T00:00:00Z" for d in days], day),
        "ConsumedQuantity": _pick([str(q) for q in range(1, 25)], mod(24)),
        "ConsumedUnit": _pick(["Hours", "GB"], mod(2)),
        "ListCost": _pick(costs, mod(983)),
        "ProviderName": _pick(["Microsoft"], mod(1)),
        "RegionId": _pick(["eastus", "westeurope", "usgovvirginia"], mod(3)),
        "ResourceId": _pick(resources, mod(1009)),
        "ResourceName": _pick([f"vm-{i}" for i in range(1009)], mod(1009)),
        "ServiceName": _pick(["Virtual Machines", "Storage", "Bandwidth", "Log Analytics"], mod(4)),
        "SubAccountId": _pick([SUBSCRIPTION], mod(1)),
        "SubAccountName": _pick(["Contoso production"], mod(1)),
        "Tags": _pick(tags, mod(len(tags))),
    })
    return pa.table(columns)


@pytest.fixture
def export(tmp_path) -> tuple[Path, Path]:
    table = focus_table(ROWS)
    folder = tmp_path / "export"
    name = part_name(0, "csv")
    path = folder / name
    path.parent.mkdir(parents=True)
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
    write_manifest(folder, [(name, path.stat().st_size, table.num_rows)], scope=SUBSCRIPTION)
    return folder, path


def raw_copy_seconds(path: Path) -> float:
    """Seconds to COPY the CSV file into a bare table of text columns (no constraints, no indexes)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(RAW_TABLE)))
        cursor.execute(
            sql.SQL("CREATE TABLE {} ({})").format(
                sql.Identifier(RAW_TABLE),
                sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in FOCUS_COLUMNS),
            )
        )
        started = time.perf_counter()
        with path.open("rb") as handle, cursor.cursor.copy(
            sql.SQL("COPY {} FROM STDIN (FORMAT csv, HEADER true)").format(sql.Identifier(RAW_TABLE))
        ) as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(RAW_TABLE)))
        copied = cursor.fetchone()[0]
        cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(RAW_TABLE)))
    assert copied == ROWS
    return elapsed


def test_focus_import_throughput_against_raw_copy(export, platform_owner):
    folder, path = export
    scope = services.cost_scope_create(
        actor=platform_owner, name="Bench subscription", scope=SUBSCRIPTION, history_start=dt.date(2026, 10, 1)
    )
    domains = [factories.make_domain(platform_owner, f"Domain {d}", slug=f"domain-{d}") for d in range(8)]
    for w in range(0, WORKSPACES, 2):  # half the workspaces exist; the rest are listed as unmapped
        factories.make_workspace(platform_owner, domains[w % 8], f"ws-{w:04d}")

    copy_seconds = raw_copy_seconds(path)
    started = time.perf_counter()
    result = focus_import(scope=scope, path=folder)
    import_seconds = time.perf_counter() - started

    assert result.rows == ROWS
    assert CostRecord.objects.filter(scope=scope).count() == result.records
    copy_rate, import_rate = ROWS / copy_seconds, ROWS / import_seconds
    ratio = import_rate / copy_rate
    size_mb = path.stat().st_size / 1e6
    print(
        f"\nFOCUS import bench: {ROWS:,} rows, {len(FOCUS_COLUMNS)} columns, {size_mb:.0f} MB CSV\n"
        f"  raw COPY into a bare table: {copy_seconds:6.2f} s  {copy_rate:12,.0f} rows/s\n"
        f"  focus_import (checked, aggregated to {result.records:,} cost rows, window replaced): "
        f"{import_seconds:6.2f} s  {import_rate:12,.0f} rows/s\n"
        f"  ratio import/COPY: {ratio:.2f} (target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})"
    )
