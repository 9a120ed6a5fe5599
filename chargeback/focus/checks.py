"""Check FOCUS rows in Arrow batches and sum them by day, loom tag pair and currency.

Every row is checked with vectorised Arrow kernels; distinct values of the
low-cardinality columns (ChargePeriodStart, BillingCurrency, Tags, SubAccountId)
are parsed once each. A bad value raises BadValue with the row's index in its
batch and the role of its column; the file readers turn that into a line number.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from chargeback.choices import DOMAIN_TAG, WORKSPACE_TAG, CostType
from chargeback.services import CostDataError, _parse_cost, _parse_tag_value

DAY_COLUMN = "ChargePeriodStart"
CURRENCY_COLUMN = "BillingCurrency"
TAGS_COLUMN = "Tags"
SUB_ACCOUNT_COLUMN = "SubAccountId"
#: Which FOCUS cost column feeds a scope of each cost type.
COST_COLUMNS = {CostType.ACTUAL: "BilledCost", CostType.AMORTIZED: "EffectiveCost"}

WIDE = pa.decimal128(38, 18)
COST = pa.decimal128(38, 10)
COST_LIMIT = pa.scalar(Decimal("1e13"), COST)
#: Partial sums kept before they are summed again (bounds memory on very large exports).
COMPACT_ROWS = 2_000_000
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_WS_KEY, _DOM_KEY = WORKSPACE_TAG.lower(), DOMAIN_TAG.lower()


def cost_column_for(cost_type: str) -> str:
    return COST_COLUMNS[CostType(cost_type)]


@dataclass
class FocusTotals:
    """Daily totals across the files of one export, keyed like CostRecord's natural key."""

    totals: dict[tuple[dt.date, str, str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    rows: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    def see_days(self, first: dt.date, last: dt.date) -> None:
        self.first_day = first if self.first_day is None else min(self.first_day, first)
        self.last_day = last if self.last_day is None else max(self.last_day, last)


@dataclass
class ReadOptions:
    cost_column: str
    window: tuple[dt.date, dt.date] | None = None
    subscription: str = ""  # "/subscriptions/<id>" (lower case) when the scope is inside one subscription
    on_rows: Callable[[int], None] | None = None


class BadValue(Exception):
    """Row ``index`` of a batch holds a bad value in the column playing ``role`` (cost, day, currency, tags, account)."""

    def __init__(self, index: int, role: str, message: str):
        super().__init__(message)
        self.index, self.role, self.message = index, role, message


def _first(mask: pa.Array) -> int | None:
    """Index of the first true value of a boolean array (nulls count as false), or None."""
    if not pc.any(mask).as_py():
        return None
    return pc.indices_nonzero(pc.fill_null(mask, False))[0].as_py()


def _first_null(values: pa.Array) -> int | None:
    return _first(pc.is_null(values)) if values.null_count else None


# --- distinct-value parsers (each distinct value is parsed once per import) -------------------


def _parse_day(value: str) -> dt.date:
    text = value.strip()
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def _parse_currency(value: str) -> str:
    code = value.strip().upper()
    if not code or len(code) > 8 or not code.isalpha():
        raise ValueError(f"{value!r} is not a currency code.")
    return code


def _parse_tags(value: str) -> tuple[str, str]:
    text = value.strip()
    if not text:
        return "", ""
    try:
        tags = json.loads(text)
    except json.JSONDecodeError:
        tags = None
        if not text.startswith("{"):  # older exports write the members without braces
            try:
                tags = json.loads("{" + text + "}")
            except json.JSONDecodeError:
                tags = None
    if tags is None:
        raise ValueError(f"{_short(text)} is not a JSON object of tags.")
    if not isinstance(tags, dict):
        raise ValueError(f"{_short(text)} is not a JSON object of tags.")
    found = {_WS_KEY: "", _DOM_KEY: ""}
    for key, raw in tags.items():
        lowered = key.strip().lower()
        if lowered in found and not found[lowered]:
            try:
                found[lowered] = _parse_tag_value(raw, f"tag {key}")
            except CostDataError as exc:
                raise ValueError(str(exc)) from None
    return found[_WS_KEY], found[_DOM_KEY]


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class _Distinct:
    """Parse each distinct value of a column once; map a batch's dictionary to ids or parsed values."""

    def __init__(self, role: str, parse: Callable[[str], object]):
        self.role, self.parse = role, parse
        self.cache: dict[str, object] = {}

    def parsed(self, values: pa.Array) -> tuple[pa.Array, list]:
        """(dictionary indices per row, parsed value per dictionary entry). Raises BadValue."""
        null_at = _first_null(values)
        if null_at is not None:
            raise BadValue(null_at, self.role, "the value is empty.")
        encoded = pc.dictionary_encode(values)
        parsed = []
        for position, raw in enumerate(encoded.dictionary.to_pylist()):
            if raw not in self.cache:
                try:
                    self.cache[raw] = self.parse(raw)
                except ValueError as exc:
                    raise BadValue(_first(pc.equal(encoded.indices, position)), self.role, str(exc)) from None
            parsed.append(self.cache[raw])
        return encoded.indices, parsed


# --- one batch -----------------------------------------------------------------------------


class BatchReader:
    def __init__(self, options: ReadOptions, totals: FocusTotals):
        self.options, self.totals = options, totals
        self.days = _Distinct("day", self._day)
        self.currencies = _Distinct("currency", _parse_currency)
        self.tags = _Distinct("tags", _parse_tags)
        self.accounts = _Distinct("account", self._account)
        self.tag_pairs: dict[tuple[str, str], int] = {}
        self.pair_list: list[tuple[str, str]] = []
        self.currency_ids: dict[str, int] = {}
        self.currency_list: list[str] = []
        self.partials: list[pa.Table] = []
        self.partial_rows = 0
        self.reported = 0  # rows reported through on_rows (never more than once, even when a file is re-read)

    def _day(self, raw: str) -> dt.date:
        try:
            day = _parse_day(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a date or timestamp (expected e.g. 2026-10-01T00:00:00Z).") from None
        window = self.options.window
        if window and not window[0] <= day <= window[1]:
            raise ValueError(f"{raw!r} is outside the export's period {window[0]}..{window[1]} (manifest.json runInfo).")
        return day

    def _account(self, raw: str) -> bool:
        expected = self.options.subscription
        value = raw.strip().lower()
        if value and expected and value != expected and not value.startswith(expected + "/"):
            raise ValueError(f"{raw!r} is outside the cost scope's subscription {expected}.")
        return True

    def cost(self, values: pa.Array) -> pa.Array:
        column = "cost"
        null_at = _first_null(values)
        if null_at is not None:
            raise BadValue(null_at, column, "the value is empty.")
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            values = pc.utf8_trim_whitespace(values)
        elif pa.types.is_floating(values.type):
            bad = _first(pc.invert(pc.is_finite(values)))
            if bad is not None:
                raise BadValue(bad, column, f"{values[bad].as_py()!r} is not a finite number.")
        elif not (pa.types.is_integer(values.type) or pa.types.is_decimal(values.type)):
            raise BadValue(0, column, f"the column holds {values.type}, not numbers.")
        try:
            wide = pc.cast(values, WIDE, safe=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise self._bad_number(values) from None
        cost = pc.cast(pc.round(wide, ndigits=10, round_mode="half_to_even"), COST)
        over = _first(pc.greater_equal(pc.abs(cost), COST_LIMIT))
        if over is not None:
            raise BadValue(over, column, f"{values[over].as_py()!r} is out of range.")
        return cost

    def _bad_number(self, values: pa.Array) -> BadValue:
        column = "cost"
        for index, value in enumerate(values.to_pylist()):
            try:
                _parse_cost(value, "")
            except CostDataError as exc:
                return BadValue(index, column, str(exc).lstrip(": "))
            if isinstance(value, str) and not NUMBER.match(value):
                return BadValue(index, column, f"{value!r} is not a number.")
        return BadValue(0, column, "a value is not a number.")

    def day_values(self, values: pa.Array) -> pa.Array:
        if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
            null_at = _first_null(values)
            if null_at is not None:
                raise BadValue(null_at, "day", "the value is empty.")
            days = pc.cast(values, pa.date32())
            window = self.options.window
            if window:
                outside = _first(pc.or_(pc.less(days, pa.scalar(window[0])), pc.greater(days, pa.scalar(window[1]))))
                if outside is not None:
                    raise BadValue(
                        outside, "day", f"{days[outside].as_py()} is outside the export's period {window[0]}..{window[1]}."
                    )
            return days
        if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
            raise BadValue(0, "day", f"the column holds {values.type}, not dates.")
        indices, parsed = self.days.parsed(values)
        return pc.take(pa.array(parsed, pa.date32()), indices)

    def pair_ids(self, values: pa.Array | None, rows: int) -> pa.Array:
        if values is None:
            return pa.array([self._pair(("", ""))] * rows, pa.int32())
        if values.null_count:
            values = pc.fill_null(values, "")
        indices, parsed = self.tags.parsed(values)
        return pc.take(pa.array([self._pair(p) for p in parsed], pa.int32()), indices)

    def _currency_id(self, code: str) -> int:
        if code not in self.currency_ids:
            self.currency_ids[code] = len(self.currency_list)
            self.currency_list.append(code)
        return self.currency_ids[code]

    @staticmethod
    def _group(table: pa.Table) -> pa.Table:
        grouped = table.group_by(["d", "p", "c"], use_threads=False).aggregate([("v", "sum")])
        return grouped.select(["d", "p", "c", "v_sum"]).rename_columns(["d", "p", "c", "v"])

    def _add_partial(self, table: pa.Table) -> None:
        """Sum a batch by (day, tag pair, currency) in Arrow; partial sums are summed again when they pile up."""
        self.partials.append(self._group(table))
        self.partial_rows += self.partials[-1].num_rows
        if self.partial_rows > COMPACT_ROWS:
            self.partials = [self._group(pa.concat_tables(self.partials))]
            self.partial_rows = self.partials[0].num_rows

    def finish(self) -> FocusTotals:
        """Move the Arrow partial sums into ``totals`` (one Python pass over the distinct keys)."""
        if self.partials:
            grouped = self._group(pa.concat_tables(self.partials)).to_pydict()
            totals = self.totals.totals
            for day, pair, currency, value in zip(grouped["d"], grouped["p"], grouped["c"], grouped["v"], strict=True):
                ws_tag, dom_tag = self.pair_list[pair]
                totals[(day, ws_tag, dom_tag, self.currency_list[currency])] += value
            self.partials, self.partial_rows = [], 0
        return self.totals

    def _pair(self, pair: tuple[str, str]) -> int:
        if pair not in self.tag_pairs:
            self.tag_pairs[pair] = len(self.pair_list)
            self.pair_list.append(pair)
        return self.tag_pairs[pair]

    def consume(self, batch: dict[str, pa.Array], rows: int) -> None:
        cost = self.cost(batch["cost"])
        days = self.day_values(batch["day"])
        currency_indices, currencies = self.currencies.parsed(batch["currency"])
        pairs = self.pair_ids(batch.get("tags"), rows)
        if batch.get("account") is not None and self.options.subscription:
            account = batch["account"]
            self.accounts.parsed(pc.fill_null(account, "") if account.null_count else account)
        currency_ids = pc.take(pa.array([self._currency_id(c) for c in currencies], pa.int32()), currency_indices)
        self._add_partial(pa.table({"d": days, "p": pairs, "c": currency_ids, "v": cost}))
        if rows:
            bounds = pc.min_max(days).as_py()
            self.totals.see_days(bounds["min"], bounds["max"])
        self.totals.rows += rows
        if self.options.on_rows and self.totals.rows > self.reported:
            self.options.on_rows(self.totals.rows - self.reported)
        self.reported = max(self.reported, self.totals.rows)

    def checkpoint(self) -> tuple:
        """The sums and counters so far, so that a file can be read again from its start (see rollback)."""
        if len(self.partials) > 1:
            self.partials = [self._group(pa.concat_tables(self.partials))]
            self.partial_rows = self.partials[0].num_rows
        return list(self.partials), self.partial_rows, self.totals.rows, self.totals.first_day, self.totals.last_day

    def rollback(self, mark: tuple) -> None:
        """Forget what was read since ``mark``; rows read again are not reported as progress twice."""
        partials, self.partial_rows, self.totals.rows, self.totals.first_day, self.totals.last_day = mark
        self.partials = list(partials)
