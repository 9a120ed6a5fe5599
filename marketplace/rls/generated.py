"""Shared machinery for the engines whose SQL we generate as text (SQL Server family, Databricks).

A dialect supplies quoting and the DDL; this class supplies the entitlement statements, running them over an
optional DB-API 2 connection, and the verification probe. Statements are composed with ``compose`` (constant
templates, validated-and-quoted identifiers, quoted literals), never by pasting strings.
"""

from __future__ import annotations

from typing import Any

from .base import (
    ENTITLEMENT_COLUMNS,
    EngineNotConnected,
    GrantSpec,
    Probe,
    ProtectedTable,
    ScopeError,
    VerifyResult,
    check_grant,
    check_table,
    entitlements_for,
)
from .compose import SQL, Composable, Dialect, Identifier, Literal


class GeneratedSqlEngine:
    name = ""
    dialect: Dialect
    # How the protect script separates statements for a person pasting it into a console.
    separator = ";\n"

    def __init__(self, connection: Any = None):
        """``connection``: a DB-API 2 connection to the warehouse (pyodbc, databricks-sql-connector), or
        ``None`` to only generate SQL."""
        self.connection = connection

    # -- dialect hooks -------------------------------------------------------------------

    def entitlement_table(self, table: ProtectedTable) -> Identifier:  # pragma: no cover - abstract
        raise NotImplementedError

    def protect_composed(self, table: ProtectedTable) -> list[Composable]:  # pragma: no cover - abstract
        raise NotImplementedError

    def text_type(self) -> Composable:  # pragma: no cover - abstract
        raise NotImplementedError

    def data_table(self, table: ProtectedTable) -> Identifier:
        return Identifier(table.schema, table.table)

    def run_as(self, principal: str) -> tuple[list[Composable], list[Composable]]:
        """Statements that switch to the consumer before the probe and back after it."""
        return [], []

    # -- generated statements ----------------------------------------------------------------

    def render(self, statements: list[Composable]) -> list[str]:
        return [statement.as_string(self.dialect) for statement in statements]

    def protect_statements(self, table: ProtectedTable) -> list[str]:
        return self.render(self.protect_composed(check_table(table, engine=self.name)))

    def _revoke(self, grant: GrantSpec) -> list[Composable]:
        if not isinstance(grant.grant_id, int) or isinstance(grant.grant_id, bool) or grant.grant_id <= 0:
            raise ScopeError(f"Grant id {grant.grant_id!r} must be a positive integer.")
        return [
            SQL("DELETE FROM {} WHERE {} = {}").format(
                self.entitlement_table(grant.table), Identifier("grant_id"), Literal(grant.grant_id)
            )
        ]

    def revoke_statements(self, grant: GrantSpec) -> list[str]:
        return self.render(self._revoke(grant))

    def apply_statements(self, grant: GrantSpec) -> list[str]:
        grant = check_grant(grant, engine=self.name)
        rows = SQL(",\n  ").join(
            SQL("({})").format(SQL(", ").join(Literal(getattr(row, c)) for c in ENTITLEMENT_COLUMNS))
            for row in entitlements_for(grant)
        )
        insert = SQL("INSERT INTO {} ({}) VALUES\n  {}").format(
            self.entitlement_table(grant.table), SQL(", ").join(map(Identifier, ENTITLEMENT_COLUMNS)), rows
        )
        return self.render(self._revoke(grant) + [insert])

    def scope_condition(self, scope) -> Composable:
        if not scope:
            return SQL("1 = 1")
        parts = [
            SQL("CAST({} AS {}) IN ({})").format(
                Identifier(column), self.text_type(), SQL(", ").join(Literal(v) for v in scope[column])
            )
            for column in sorted(scope)
        ]
        return SQL("({})").format(SQL(" AND ").join(parts))

    def probe_statements(self, grant: GrantSpec, probe: Probe | None = None) -> list[str]:
        """Three counts to run as the consumer: rows seen, rows seen inside the grant's scope, and rows seen
        outside every scope the principal holds (must be 0)."""
        grant = check_grant(grant, engine=self.name)
        others = [check_grant(g, engine=self.name) for g in (probe.other_grants if probe else ())]
        table = self.data_table(grant.table)
        union = SQL(" OR ").join(self.scope_condition(g.scope) for g in [grant, *others])
        return self.render(
            [
                SQL("SELECT COUNT(*) FROM {}").format(table),
                SQL("SELECT COUNT(*) FROM {} WHERE {}").format(table, self.scope_condition(grant.scope)),
                SQL("SELECT COUNT(*) FROM {} WHERE CASE WHEN {} THEN 1 ELSE 0 END = 0").format(table, union),
            ]
        )

    # -- text for people ---------------------------------------------------------------------

    @staticmethod
    def script(statements: list[str], separator: str = ";\n") -> str:
        return "".join(statement + separator for statement in statements)

    def protect_sql(self, table: ProtectedTable) -> str:
        return self.script(self.protect_statements(table), self.separator)

    def sql_for(self, grant: GrantSpec) -> str:
        return self.script(self.apply_statements(grant))

    def revoke_sql(self, grant: GrantSpec) -> str:
        return self.script(self.revoke_statements(grant))

    # -- execution over a DB-API connection ------------------------------------------------------

    def _run(self, statements: list[str]) -> list[Any]:
        if self.connection is None:
            raise EngineNotConnected(
                f"The {self.name} engine has no connection: hand the generated SQL to a DBA instead."
            )
        results = []
        cursor = self.connection.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
                if statement.startswith("SELECT COUNT(*)"):
                    results.append(cursor.fetchone()[0])
            self.connection.commit()
        except Exception:
            self.connection.rollback()
            raise
        finally:
            cursor.close()
        return results

    def protect(self, table: ProtectedTable) -> None:
        self._run(self.protect_statements(table))

    def apply(self, grant: GrantSpec) -> None:
        self._run(self.apply_statements(grant))

    def revoke(self, grant: GrantSpec) -> None:
        self._run(self.revoke_statements(grant))

    def verify(self, grant: GrantSpec, probe: Probe | None = None) -> VerifyResult:
        """Run the probe as the consumer. These warehouses filter their owners too, so the probe cannot
        compare with an unfiltered count: it proves that no row outside the scope shows and that rows of the
        scope do."""
        before, after = self.run_as(grant.principal)
        statements = self.render(before) + self.probe_statements(grant, probe) + self.render(after)
        seen, in_scope, outside = self._run(statements)
        if outside:
            return VerifyResult(False, f"{outside} visible row(s) lie outside the grant's scope.", seen)
        if not in_scope:
            return VerifyResult(False, "The consumer sees none of the rows the grant covers.", seen)
        return VerifyResult(True, f"The consumer sees {seen} row(s), {in_scope} inside the grant's scope.", seen)
