"""A malformed FOCUS file is refused whole, naming the file, the line (or Parquet row) and the column; nothing is written."""

import json
from decimal import Decimal

import pyarrow as pa
import pytest

from chargeback.focus.manifest import FocusFormatError
from chargeback.focus.service import focus_import
from chargeback.models import CostRecord, UnmappedTagValue
from tests.chargeback.conftest import day
from tests.chargeback.focus_exports import (
    csv_text,
    focus_row,
    part_name,
    write_export,
    write_manifest,
    write_part,
)

pytestmark = pytest.mark.django_db

GOOD = [focus_row(day(2), "1", tags={"loomWorkspaceId": "ws-new"}), focus_row(day(3), "2")]


@pytest.fixture
def imported(tmp_path, cost_scope):
    focus_import(scope=cost_scope, path=write_export(tmp_path / "earlier", [focus_row(day(1), "100")]))
    return cost_scope


def export_with(tmp_path, text: str | None = None, *, rows=None, fmt="csv"):
    """An export whose second file is ``text`` (raw CSV) or ``rows``, after a first file that is fine."""
    folder = tmp_path / "bad"
    folder.mkdir()
    parts = []
    first = part_name(0, fmt)
    parts.append((first, *write_part(folder, first, GOOD, fmt=fmt)))
    second = part_name(1, fmt)
    parts.append((second, *write_part(folder, second, rows, fmt=fmt, raw=text)))
    write_manifest(folder, [(n, s, c) for n, s, c in parts], fmt=fmt)
    return folder


def refused(scope, folder, message: str):
    with pytest.raises(FocusFormatError) as caught:
        focus_import(scope=scope, path=folder)
    assert str(caught.value) == message
    assert list(CostRecord.objects.values_list("usage_date", "cost")) == [(day(1), Decimal("100"))]
    assert not UnmappedTagValue.objects.exists()


PART_1 = part_name(1, "csv")


def parquet_export(tmp_path, table: pa.Table):
    folder, name = tmp_path / "pq", part_name(0, "parquet")
    folder.mkdir()
    write_manifest(folder, [(name, *write_part(folder, name, fmt="parquet", table=table))], fmt="parquet")
    return folder, name


def test_a_cost_that_is_not_a_number_names_line_and_column(tmp_path, imported):
    rows = [focus_row(day(4), "3"), focus_row(day(4), "3"), focus_row(day(5), "12,50")]

    refused(imported, export_with(tmp_path, rows=rows), f"{PART_1}, line 4, column BilledCost: '12,50' is not a number.")


def test_an_empty_cost_is_refused(tmp_path, imported):
    refused(imported, export_with(tmp_path, rows=[focus_row(day(4), "")]), f"{PART_1}, line 2, column BilledCost: '' is not a number.")


def test_a_cost_out_of_range_is_refused(tmp_path, imported):
    rows = [focus_row(day(4), "1"), focus_row(day(4), "1e15")]

    refused(imported, export_with(tmp_path, rows=rows), f"{PART_1}, line 3, column BilledCost: '1e15' is out of range.")


def test_a_bad_charge_period_names_line_and_column(tmp_path, imported):
    rows = [focus_row(day(4), "1"), focus_row(day(4), "1", ChargePeriodStart="31/10/2026")]

    refused(
        imported, export_with(tmp_path, rows=rows),
        f"{PART_1}, line 3, column ChargePeriodStart: '31/10/2026' is not a date or timestamp "
        "(expected e.g. 2026-10-01T00:00:00Z).",
    )


def test_a_missing_currency_is_refused(tmp_path, imported):
    refused(
        imported, export_with(tmp_path, rows=[focus_row(day(4), "1", currency=" ")]),
        f"{PART_1}, line 2, column BillingCurrency: ' ' is not a currency code.",
    )


def test_tags_that_are_not_a_json_object_are_refused(tmp_path, imported):
    rows = [focus_row(day(4), "1"), focus_row(day(4), "1", Tags="[1, 2]")]

    refused(imported, export_with(tmp_path, rows=rows), f"{PART_1}, line 3, column Tags: '[1, 2]' is not a JSON object of tags.")


def test_a_loom_tag_value_that_is_not_text_is_refused(tmp_path, imported):
    rows = [focus_row(day(4), "1", Tags=json.dumps({"loomWorkspaceId": 42}))]

    refused(
        imported, export_with(tmp_path, rows=rows),
        f"{PART_1}, line 2, column Tags: tag loomWorkspaceId: 42 is not a tag value (expected a string or null).",
    )


def test_a_row_with_too_few_fields_names_its_line(tmp_path, imported):
    text = csv_text([focus_row(day(4), "1"), focus_row(day(4), "2")])
    lines = text.splitlines(keepends=True)
    lines.insert(2, "2026-10-04,oops\n")

    refused(imported, export_with(tmp_path, "".join(lines)), f"{PART_1}, line 3: expected 45 columns, got 2.")


def test_line_numbers_count_the_physical_lines_of_multi_line_values(tmp_path, imported):
    rows = [focus_row(day(4), "1", ChargeDescription="first line\nsecond line"), focus_row(day(4), "x")]

    refused(imported, export_with(tmp_path, rows=rows), f"{PART_1}, line 4, column BilledCost: 'x' is not a number.")


def test_a_missing_required_column_is_refused(tmp_path, imported):
    rows = [{k: v for k, v in focus_row(day(4), "1").items() if k != "BillingCurrency"}]

    with pytest.raises(FocusFormatError, match=rf"^{PART_1}: no BillingCurrency column \(columns: AvailabilityZone, BilledCost"):
        focus_import(scope=imported, path=export_with(tmp_path, rows=rows))
    assert CostRecord.objects.count() == 1


def test_an_empty_file_is_refused(tmp_path, imported):
    refused(imported, export_with(tmp_path, ""), f"{PART_1}: the file is empty (no header line).")


def test_usage_in_another_subscription_is_refused(tmp_path, imported):
    other = "/subscriptions/00000000-0000-0000-0000-0000000000ff"
    rows = [focus_row(day(4), "1"), focus_row(day(4), "1", subscription=other)]

    refused(
        imported, export_with(tmp_path, rows=rows),
        f"{PART_1}, line 3, column SubAccountId: '{other}' is outside the cost scope's subscription "
        "/subscriptions/00000000-0000-0000-0000-000000000001.",
    )


def test_a_parquet_row_with_no_cost_names_its_row(tmp_path, imported):
    table = pa.table({
        "ChargePeriodStart": ["2026-10-04T00:00:00Z"] * 3,
        "BilledCost": pa.array([1.0, None, 2.0], pa.float64()),
        "BillingCurrency": ["USD"] * 3,
        "Tags": ["{}"] * 3,
    })
    folder, name = parquet_export(tmp_path, table)

    refused(imported, folder, f"{name}, row 2, column BilledCost: the value is empty.")


def test_a_parquet_cost_that_is_not_finite_is_refused(tmp_path, imported):
    table = pa.table({
        "ChargePeriodStart": ["2026-10-04"] * 2,
        "BilledCost": pa.array([1.0, float("nan")], pa.float64()),
        "BillingCurrency": ["USD"] * 2,
    })
    folder, name = parquet_export(tmp_path, table)

    refused(imported, folder, f"{name}, row 2, column BilledCost: nan is not a finite number.")


def test_a_file_that_is_not_parquet_is_refused(tmp_path, imported):
    folder = tmp_path / "pq"
    folder.mkdir()
    name = part_name(0, "parquet")
    (folder / name).parent.mkdir(parents=True)
    (folder / name).write_bytes(b"PAR1 not really")
    write_manifest(folder, [(name, 15, 0)], fmt="parquet")

    with pytest.raises(FocusFormatError, match=rf"^{name}: not a readable Parquet file"):
        focus_import(scope=imported, path=folder)
    assert CostRecord.objects.count() == 1


def test_line_numbers_are_found_inside_gzip_files_too(tmp_path, imported):
    rows = [focus_row(day(4), "1"), focus_row(day(4), "2"), focus_row(day(4), "1,5")]
    name = part_name(1, "csv.gz")

    refused(imported, export_with(tmp_path, rows=rows, fmt="csv.gz"), f"{name}, line 4, column BilledCost: '1,5' is not a number.")
