"""The SQLite demo: SQLite has no row-level security, so the data API adds a WHERE clause built here.

The entitlements live in a table ``loom_rls_entitlement`` beside the data (the same rows as the other
engines), and ``where_for`` returns the predicate the PostgreSQL policy uses, parameterised: the principal,
the table key and the column names are driver parameters; identifiers are validated and double-quoted.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from typing import Any

from .base import (
    ANCHOR,
    ENTITLEMENT_COLUMNS,
    Entitlement,
    GrantSpec,
    Probe,
    ProtectedTable,
    ScopeError,
    VerifyResult,
    check_grant,
    check_principal,
    check_table,
    entitlements_for,
)
from .compose import SQL, SQLITE, Composable, Identifier, Literal, Placeholder

ENTITLEMENT = Identifier("loom_rls_entitlement")
P = Placeholder()


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, connection: sqlite3.Connection | Any, *, paramstyle: str = "qmark"):
        """``connection``: a DB-API connection to the SQLite database (``paramstyle`` ``qmark`` for sqlite3,
        ``format`` for a Django cursor)."""
        if paramstyle not in ("qmark", "format"):
            raise ValueError("paramstyle must be 'qmark' or 'format'.")
        self.conn = connection
        self.dialect = SQLITE if paramstyle == "qmark" else dataclasses.replace(SQLITE, placeholder="%s")

    def _sql(self, composed: Composable) -> str:
        return composed.as_string(self.dialect)

    @staticmethod
    def _table(table: ProtectedTable) -> Identifier:
        return Identifier(table.schema, table.table)

    # -- the clause the data API applies ---------------------------------------------------

    def where_clause(self, table: ProtectedTable, principal: str) -> tuple[Composable, list[Any]]:
        table = check_table(table, engine=self.name)
        check_principal(principal)
        matches = SQL(" OR ").join(
            SQL("(e.column_name = {} AND e.value = CAST({} AS TEXT))").format(P, Identifier(table.table, column))
            for column in table.scopable_columns
        )
        clause = SQL(
            "EXISTS (SELECT 1 FROM {entitlement} AS e WHERE e.principal = {p} AND e.table_name = {p} "
            "AND (e.column_name = {p} OR {matches}) GROUP BY e.grant_id "
            "HAVING CAST(SUM(CASE WHEN e.column_name <> {p} THEN 1 ELSE 0 END) AS TEXT) "
            "= MAX(CASE WHEN e.column_name = {p} THEN e.value END))"
        ).format(entitlement=ENTITLEMENT, p=P, matches=matches)
        params = [principal, table.key, ANCHOR, *table.scopable_columns, ANCHOR, ANCHOR]
        return clause, params

    def where_for(self, table: ProtectedTable, principal: str) -> tuple[str, list[Any]]:
        """The clause that keeps the rows ``principal`` may see in ``SELECT ... FROM "schema"."table"``
        (the table must not be aliased), and its parameters."""
        clause, params = self.where_clause(table, principal)
        return self._sql(clause), params

    def select_visible(
        self, table: ProtectedTable, principal: str, columns: Sequence[str] = ()
    ) -> tuple[str, list[Any]]:
        """``SELECT columns FROM table WHERE <entitlements>`` (all columns when none are named)."""
        selected = SQL(", ").join(Identifier(c) for c in columns) if columns else SQL("*")
        clause, params = self.where_clause(table, principal)
        return self._sql(SQL("SELECT {} FROM {} WHERE {}").format(selected, self._table(table), clause)), params

    # -- DDL and grants ----------------------------------------------------------------

    def _execute(self, composed: Composable, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.conn.cursor()
        try:
            cur.execute(self._sql(composed), tuple(params))
            return cur.fetchall()
        finally:
            cur.close()

    def protect(self, table: ProtectedTable) -> None:
        table = check_table(table, engine=self.name)
        rows = self._execute(SQL("SELECT name FROM pragma_table_info({}, {})").format(P, P), (table.table, table.schema))
        existing = {row[0] for row in rows}
        if not existing:
            raise ScopeError(f"Table {table.key!r} does not exist in the demo database.")
        for column in table.scopable_columns:
            if column not in existing:
                raise ScopeError(f"Column {column!r} does not exist on {table.key}.")
        self._execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (principal TEXT NOT NULL, table_name TEXT NOT NULL, "
                "column_name TEXT NOT NULL, value TEXT NOT NULL, grant_id INTEGER NOT NULL, "
                "PRIMARY KEY (principal, table_name, column_name, value, grant_id))"
            ).format(ENTITLEMENT)
        )
        self.conn.commit()

    def _apply_composed(self, grant: GrantSpec, values: Composable) -> Composable:
        return SQL("INSERT OR IGNORE INTO {} ({}) VALUES {}").format(
            ENTITLEMENT, SQL(", ").join(map(Identifier, ENTITLEMENT_COLUMNS)), values
        )

    def sql_for(self, grant: GrantSpec) -> str:
        grant = check_grant(grant, engine=self.name)
        rows = SQL(",\n  ").join(
            SQL("({})").format(SQL(", ").join(Literal(getattr(row, c)) for c in ENTITLEMENT_COLUMNS))
            for row in entitlements_for(grant)
        )
        delete = SQL("DELETE FROM {} WHERE grant_id = {}").format(ENTITLEMENT, Literal(grant.grant_id))
        return self._sql(delete) + ";\n" + self._sql(self._apply_composed(grant, rows)) + ";\n"

    def apply(self, grant: GrantSpec) -> None:
        grant = check_grant(grant, engine=self.name)
        one_row = SQL("({})").format(SQL(", ").join([P] * len(ENTITLEMENT_COLUMNS)))
        cur = self.conn.cursor()
        try:
            cur.execute(self._sql(SQL("DELETE FROM {} WHERE grant_id = {}").format(ENTITLEMENT, P)), (grant.grant_id,))
            cur.executemany(
                self._sql(self._apply_composed(grant, one_row)),
                [tuple(getattr(row, c) for c in ENTITLEMENT_COLUMNS) for row in entitlements_for(grant)],
            )
            self.conn.commit()
        except Exception:
            self.conn.rollback()
            raise
        finally:
            cur.close()

    def revoke(self, grant: GrantSpec) -> None:
        if not isinstance(grant.grant_id, int) or isinstance(grant.grant_id, bool) or grant.grant_id <= 0:
            raise ScopeError(f"Grant id {grant.grant_id!r} must be a positive integer.")
        self._execute(SQL("DELETE FROM {} WHERE grant_id = {}").format(ENTITLEMENT, P), (grant.grant_id,))
        self.conn.commit()

    def entitlements(self, grant_id: int) -> set[Entitlement]:
        rows = self._execute(
            SQL("SELECT {} FROM {} WHERE grant_id = {}").format(
                SQL(", ").join(map(Identifier, ENTITLEMENT_COLUMNS)), ENTITLEMENT, P
            ),
            (grant_id,),
        )
        return {Entitlement(*row) for row in rows}

    # -- verification ------------------------------------------------------------------

    def _scope_condition(self, scope, params: list) -> Composable:
        if not scope:
            return SQL("1 = 1")
        parts = []
        for column in sorted(scope):
            parts.append(
                SQL("CAST({} AS TEXT) IN ({})").format(Identifier(column), SQL(", ").join([P] * len(scope[column])))
            )
            params.extend(scope[column])
        return SQL("({})").format(SQL(" AND ").join(parts))

    def _count(self, where: Composable, table: ProtectedTable, params: list) -> int:
        return self._execute(SQL("SELECT COUNT(*) FROM {} WHERE {}").format(self._table(table), where), params)[0][0]

    def verify(self, grant: GrantSpec, probe: Probe | None = None) -> VerifyResult:
        """Counts what the data API would return for the principal: every row must lie inside the grant (or
        the principal's other grants in ``probe``) and every row the grant covers must be there."""
        grant = check_grant(grant, engine=self.name)
        others = [check_grant(g, engine=self.name) for g in (probe.other_grants if probe else ())]
        visible, visible_params = self.where_clause(grant.table, grant.principal)
        scope_params: list = []
        in_scope = self._scope_condition(grant.scope, scope_params)
        union_params: list = []
        union = SQL(" OR ").join(self._scope_condition(g.scope, union_params) for g in [grant, *others])

        expected = self._count(in_scope, grant.table, scope_params)
        seen = self._count(visible, grant.table, visible_params)
        seen_in_scope = self._count(
            SQL("{} AND {}").format(visible, in_scope), grant.table, visible_params + scope_params
        )
        outside = self._count(
            SQL("{} AND CASE WHEN {} THEN 1 ELSE 0 END = 0").format(visible, union),
            grant.table,
            visible_params + union_params,
        )
        if outside:
            return VerifyResult(False, f"{outside} visible row(s) lie outside the grant's scope.", seen)
        if seen_in_scope < expected:
            return VerifyResult(
                False, f"The consumer sees {seen_in_scope} of the {expected} row(s) the grant covers.", seen
            )
        return VerifyResult(True, f"The consumer sees {seen} row(s), all {expected} covered rows included.", seen)
