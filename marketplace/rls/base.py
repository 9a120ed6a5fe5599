"""What every row-level-security engine shares: the grant shapes, validation, and the entitlement rows.

The engines work on plain dataclasses (no Django models) so the access-request services can hand them a
``GrantSpec`` built from a ``Grant`` and a product's table.

Entitlement design (the same in every engine, see docs/decisions/0003-row-level-security-engines.md):

* one table ``loom_rls.entitlement(principal, table_name, column_name, value, grant_id)``;
* a grant writes one *anchor* row ``column_name = '*'`` whose ``value`` is the number of columns the grant
  scopes (``'0'`` = all rows), plus one row per (scoped column, allowed value);
* a row of the protected table is visible to a principal when, for at least one of its grants on that
  table, every column the grant scopes holds one of the grant's allowed values for that column (AND across
  columns of one grant, OR across the values of one column, OR across grants). Values compare as text.
* the anchor makes a grant's shape checkable: a grant whose value rows were partly deleted behind the
  engine's back no longer matches its anchor's count and hides rows (fails closed) instead of widening.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

ANCHOR = "*"
ENTITLEMENT_SCHEMA = "loom_rls"
ENTITLEMENT_TABLE = "entitlement"
ENTITLEMENT_COLUMNS = ("principal", "table_name", "column_name", "value", "grant_id")

# Identifiers (schemas, tables, columns, Postgres roles) are plain names: a letter or underscore, then letters,
# digits or underscores, at most 63 characters (PostgreSQL's limit, the smallest of the engines). Quoting stays
# in place as a second line of defence, but nothing needing it is ever accepted.
IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
MAX_VALUE_LENGTH = 256
MAX_PRINCIPAL_LENGTH = 128


class ScopeError(ValueError):
    """A table, grant or scope that cannot be enforced safely; the message names what is wrong."""


class EngineNotConnected(RuntimeError):
    """The engine was built without a connection, so it can only generate SQL."""


@dataclass(frozen=True)
class ProtectedTable:
    engine: str
    database: str
    schema: str
    table: str
    scopable_columns: tuple[str, ...]

    @property
    def key(self) -> str:
        """How the entitlement rows name this table: ``schema.table``."""
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class GrantSpec:
    grant_id: int
    principal: str
    table: ProtectedTable
    # column -> allowed values; {} means all rows (when the product allows it).
    scope: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Entitlement:
    principal: str
    table_name: str
    column_name: str
    value: str
    grant_id: int


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    reason: str
    rows_seen: int


@dataclass(frozen=True)
class Probe:
    """What ``verify`` should expect besides the grant itself.

    ``other_grants`` are the principal's other active grants on the same table: rows they allow are
    legitimately visible too, so a probe does not report them as a leak.
    """

    other_grants: tuple[GrantSpec, ...] = ()


@runtime_checkable
class RlsEngine(Protocol):
    name: str

    def protect(self, table: ProtectedTable) -> None:
        """One-time DDL: the entitlements table and the table's policy (idempotent)."""

    def apply(self, grant: GrantSpec) -> None:
        """Write the grant's entitlement rows (idempotent, no DDL)."""

    def revoke(self, grant: GrantSpec) -> None:
        """Delete the grant's entitlement rows (revoking an unknown grant does nothing)."""

    def sql_for(self, grant: GrantSpec) -> str:
        """The SQL a DBA would run to apply the grant."""

    def verify(self, grant: GrantSpec, probe: Probe | None = None) -> VerifyResult:
        """Probe as the consumer: the rows seen must match the scope."""


# --- validation ------------------------------------------------------------


def check_identifier(name: object, what: str) -> str:
    if not isinstance(name, str) or not IDENTIFIER_RE.fullmatch(name):
        raise ScopeError(
            f"{what} {name!r} is not a valid identifier: use a letter or underscore followed by letters, "
            "digits or underscores (at most 63 characters)."
        )
    return name


def check_table(table: ProtectedTable, *, engine: str | None = None) -> ProtectedTable:
    if engine is not None and table.engine != engine:
        raise ScopeError(f"Table {table.key!r} is served by engine {table.engine!r}, not {engine!r}.")
    check_identifier(table.database, "Database")
    check_identifier(table.schema, "Schema")
    check_identifier(table.table, "Table")
    if not table.scopable_columns:
        raise ScopeError(f"Table {table.key!r} has no scopable columns: mark at least one column as scopable.")
    for column in table.scopable_columns:
        check_identifier(column, "Column")
    if len(set(table.scopable_columns)) != len(table.scopable_columns):
        raise ScopeError(f"Table {table.key!r} lists a scopable column twice.")
    return table


def check_principal(principal: object) -> str:
    if not isinstance(principal, str) or not principal.strip():
        raise ScopeError("The grant's principal is empty.")
    if len(principal) > MAX_PRINCIPAL_LENGTH or any(ord(ch) < 32 for ch in principal):
        raise ScopeError(f"Principal {principal[:40]!r} is too long or contains control characters.")
    return principal


def check_grant(grant: GrantSpec, *, engine: str | None = None) -> GrantSpec:
    """Refuse anything the engines could not enforce exactly; returns the grant with a normalised scope."""
    if not isinstance(grant.grant_id, int) or isinstance(grant.grant_id, bool) or grant.grant_id <= 0:
        raise ScopeError(f"Grant id {grant.grant_id!r} must be a positive integer.")
    check_principal(grant.principal)
    table = check_table(grant.table, engine=engine)
    scope: dict[str, tuple[str, ...]] = {}
    for column, values in dict(grant.scope).items():
        if column not in table.scopable_columns:
            check_identifier(column, "Column")
            raise ScopeError(
                f"Column {column!r} is not scopable on {table.key}: scopable columns are "
                f"{', '.join(table.scopable_columns)}."
            )
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise ScopeError(f"Column {column!r}: the allowed values must be a list of strings.")
        values = tuple(values)
        if not values:
            raise ScopeError(f"Column {column!r} has no allowed values: give at least one, or drop the column.")
        for value in values:
            if not isinstance(value, str):
                raise ScopeError(f"Column {column!r}: value {value!r} is not a string.")
            if "\x00" in value or len(value) > MAX_VALUE_LENGTH:
                raise ScopeError(
                    f"Column {column!r}: a value is longer than {MAX_VALUE_LENGTH} characters or contains NUL."
                )
        scope[column] = tuple(sorted(set(values)))
    return GrantSpec(grant.grant_id, grant.principal, table, scope)


def entitlements_for(grant: GrantSpec) -> list[Entitlement]:
    """The rows a (checked) grant writes: the anchor first, then one row per column and value, sorted."""
    rows = [Entitlement(grant.principal, grant.table.key, ANCHOR, str(len(grant.scope)), grant.grant_id)]
    for column in sorted(grant.scope):
        for value in grant.scope[column]:
            rows.append(Entitlement(grant.principal, grant.table.key, column, value, grant.grant_id))
    return rows


def object_name(prefix: str, table: ProtectedTable) -> str:
    """A readable, unique name for an object generated for ``table`` (a predicate function, a policy):
    the prefix and table name, plus a hash of ``schema.table`` so that ``a_b.c`` and ``a.b_c`` differ."""
    digest = hashlib.sha256(table.key.encode()).hexdigest()[:8]
    return f"{prefix}_{table.schema}_{table.table}"[:54] + "_" + digest


def scope_matches(scope: Mapping[str, tuple[str, ...]], row: Mapping[str, object]) -> bool:
    """Whether a row (column -> value) lies inside a scope, compared as text like the policies do."""
    for column, values in scope.items():
        value = row.get(column)
        if value is None or str(value) not in values:
            return False
    return True
