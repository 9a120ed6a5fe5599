"""Read FOCUS cost files (CSV, gzip CSV, Parquet) into daily totals per loom tag pair and currency.

Columns are mapped by name (case-insensitively, any order). Rows are checked and
summed in Arrow batches (checks.py). The first bad value raises FocusFormatError
naming the file, the line (the physical line of a CSV file, the row of a Parquet
file) and the column.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from chargeback.focus.checks import (
    CURRENCY_COLUMN,
    DAY_COLUMN,
    SUB_ACCOUNT_COLUMN,
    TAGS_COLUMN,
    BadValue,
    BatchReader,
    FocusTotals,
    ReadOptions,
    cost_column_for,
)
from chargeback.focus.manifest import FocusFormatError

__all__ = ["FocusTotals", "ReadOptions", "cost_column_for", "file_kind", "new_reader_state", "read_focus_file"]

BLOCK_SIZE = 2 << 20
PARQUET_BATCH_ROWS = 256_000


def file_kind(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".parquet"):
        return "parquet"
    if lowered.endswith((".csv.gz", ".gz")):
        return "csv.gz"
    if lowered.endswith(".csv"):
        return "csv"
    raise FocusFormatError(f"{name}: not a FOCUS file this portal reads (expected .csv, .csv.gz or .parquet).")


def _map_columns(names: list[str], options: ReadOptions, display: str) -> dict[str, str]:
    """{role: the file's column name} for the columns the import reads."""
    by_lower: dict[str, str] = {}
    for name in names:
        clean = name.lstrip("\ufeff").strip()
        if clean.lower() in by_lower:
            raise FocusFormatError(f"{display}: the column {clean} appears twice.")
        by_lower[clean.lower()] = name
    wanted = {"cost": options.cost_column, "day": DAY_COLUMN, "currency": CURRENCY_COLUMN}
    missing = [w for w in wanted.values() if w.lower() not in by_lower]
    if missing:
        shown = ", ".join(n.lstrip("\ufeff") for n in names[:12]) + (", ..." if len(names) > 12 else "")
        raise FocusFormatError(f"{display}: no {' or '.join(missing)} column (columns: {shown}).")
    mapping = {role: by_lower[col.lower()] for role, col in wanted.items()}
    for role, col in (("tags", TAGS_COLUMN), ("account", SUB_ACCOUNT_COLUMN)):
        if col.lower() in by_lower:
            mapping[role] = by_lower[col.lower()]
    return mapping


def _open_text(path: Path, kind: str):
    raw = gzip.open(path, "rb") if kind == "csv.gz" else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _csv_header(path: Path, kind: str, display: str) -> list[str]:
    try:
        with _open_text(path, kind) as text:
            header = next(csv.reader(text), None)
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise FocusFormatError(f"{display}, line 1: cannot read the header ({exc}).") from None
    if not header:
        raise FocusFormatError(f"{display}: the file is empty (no header line).")
    return header


def _csv_line_of(path: Path, kind: str, record: int) -> int:
    """The physical line on which data record ``record`` (0-based, after the header) starts."""
    with _open_text(path, kind) as text:
        reader = csv.reader(text)
        next(reader, None)
        end_of_previous = reader.line_num
        for n, _row in enumerate(reader):
            if n == record:
                return end_of_previous + 1
            end_of_previous = reader.line_num
    return end_of_previous + 1


def _csv_structure_error(path: Path, kind: str, display: str, arrow_message: str) -> FocusFormatError:
    """Find the first record Arrow could not parse (wrong number of fields, bad bytes) with the csv module."""
    try:
        with _open_text(path, kind) as text:
            reader = csv.reader(text)
            header = next(reader)
            end_of_previous = reader.line_num
            for row in reader:
                if len(row) != len(header):
                    return FocusFormatError(
                        f"{display}, line {end_of_previous + 1}: expected {len(header)} columns, got {len(row)}."
                    )
                end_of_previous = reader.line_num
    except UnicodeDecodeError as exc:
        return FocusFormatError(f"{display}: the file is not UTF-8 text ({exc.reason} at byte {exc.start}).")
    except (csv.Error, OSError, EOFError) as exc:
        return FocusFormatError(f"{display}, line {end_of_previous + 1}: {exc}.")
    return FocusFormatError(f"{display}: {arrow_message.splitlines()[0] if arrow_message else 'unreadable CSV'}.")


def _stream_csv(path: Path, kind: str, display: str, reader: BatchReader, mapping: dict, *, newlines: bool) -> None:
    columns = list(dict.fromkeys(mapping.values()))
    convert = pa_csv.ConvertOptions(
        include_columns=columns,
        column_types={name: pa.string() for name in columns},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    offset = 0
    with pa.input_stream(str(path), compression="gzip" if kind == "csv.gz" else None) as source:
        stream = pa_csv.open_csv(
            source,
            read_options=pa_csv.ReadOptions(block_size=BLOCK_SIZE, use_threads=True),
            parse_options=pa_csv.ParseOptions(newlines_in_values=newlines),
            convert_options=convert,
        )
        for batch in stream:
            arrays = {role: batch.column(name) for role, name in mapping.items()}
            try:
                reader.consume(arrays, batch.num_rows)
            except BadValue as bad:
                line = _csv_line_of(path, kind, offset + bad.index)
                raise FocusFormatError(f"{display}, line {line}, column {_shown(mapping, bad)}: {bad.message}") from None
            offset += batch.num_rows


def _read_csv(path: Path, kind: str, display: str, reader: BatchReader) -> None:
    """Parse fast (no line breaks inside quoted values) and, if Arrow stumbles, read the file again allowing them."""
    header = _csv_header(path, kind, display)
    mapping = _map_columns(header, reader.options, display)
    mark = reader.checkpoint()
    try:
        _stream_csv(path, kind, display, reader, mapping, newlines=False)
    except pa.ArrowInvalid:
        reader.rollback(mark)
        try:
            _stream_csv(path, kind, display, reader, mapping, newlines=True)
        except (pa.ArrowInvalid, OSError, EOFError) as exc:
            raise _csv_structure_error(path, kind, display, str(exc)) from None
    except (OSError, EOFError) as exc:
        raise _csv_structure_error(path, kind, display, str(exc)) from None


def _shown(mapping: dict[str, str], bad: BadValue) -> str:
    return mapping[bad.role].lstrip("\ufeff").strip()


def _read_parquet(path: Path, display: str, reader: BatchReader) -> None:
    try:
        parquet = pq.ParquetFile(str(path))
    except (pa.ArrowInvalid, OSError) as exc:
        raise FocusFormatError(f"{display}: not a readable Parquet file ({exc}).") from None
    mapping = _map_columns(parquet.schema_arrow.names, reader.options, display)
    columns = list(dict.fromkeys(mapping.values()))
    offset = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            arrays = {role: batch.column(name) for role, name in mapping.items()}
            for role in ("tags", "account"):
                if role in arrays and not pa.types.is_string(arrays[role].type):
                    arrays[role] = pc.cast(arrays[role], pa.string())
            for role in ("day", "currency", "cost"):
                if pa.types.is_large_string(arrays[role].type):
                    arrays[role] = pc.cast(arrays[role], pa.string())
            if not pa.types.is_string(arrays["currency"].type):
                raise FocusFormatError(f"{display}, column {mapping['currency']}: holds {arrays['currency'].type}, not text.")
            try:
                reader.consume(arrays, batch.num_rows)
            except BadValue as bad:
                raise FocusFormatError(
                    f"{display}, row {offset + bad.index + 1}, column {_shown(mapping, bad)}: {bad.message}"
                ) from None
            offset += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise FocusFormatError(f"{display}: not a readable Parquet file ({exc}).") from None


def read_focus_file(path: Path, *, display: str, options: ReadOptions, totals: FocusTotals, state=None) -> int:
    """Add the rows of one FOCUS file to ``totals``; returns the number of data rows read.

    With a shared ``state`` (new_reader_state) the sums stay in Arrow until ``state.finish()``.
    """
    kind = file_kind(path.name)
    reader = state if state is not None else BatchReader(options, totals)
    before = totals.rows
    if kind == "parquet":
        _read_parquet(path, display, reader)
    else:
        _read_csv(path, kind, display, reader)
    if state is None:
        reader.finish()
    return totals.rows - before


def new_reader_state(options: ReadOptions, totals: FocusTotals) -> BatchReader:
    """Parsing caches shared by the files of one export."""
    return BatchReader(options, totals)
