"""Databricks Unity Catalog: a row-filter SQL function over the shared entitlements, generated as text.

* ``<catalog>.loom_rls.entitlement`` holds the rows (the catalog is the protected table's ``database``).
* One SQL UDF per protected table, ``RETURN EXISTS(...)`` over the entitlements, attached with
  ``ALTER TABLE ... SET ROW FILTER fn ON (cols)``; grants only insert/delete entitlement rows.
* A principal is a user (``current_user()``, the e-mail) or an account group
  (``is_account_group_member(principal)``), so a grant to a group reaches all its members.
* Identifiers: backticks with backticks doubled (and validated first). Values: ``'...'`` with ``\\`` and
  ``'`` escaped by a backslash. Quote doubling is NOT an escape in Spark SQL: ``'a''b'`` is two adjacent
  literals concatenated into ``ab``.
* The function's parameters are ``STRING`` and prefixed ``p_`` so a column called like an entitlement column
  (``value``) cannot be captured inside the subquery; scopable columns of other types are compared as text.
* With a connection, ``verify`` must be given the *consumer's* connection: Unity Catalog cannot switch
  identity inside a session, so the probe runs as whoever the connection authenticated.
"""

from __future__ import annotations

from .base import ANCHOR, ENTITLEMENT_SCHEMA, ENTITLEMENT_TABLE, ProtectedTable, object_name
from .compose import DATABRICKS, SQL, Composable, Identifier, Literal
from .generated import GeneratedSqlEngine


class DatabricksEngine(GeneratedSqlEngine):
    name = "databricks"
    dialect = DATABRICKS

    def text_type(self) -> Composable:
        return SQL("STRING")

    def entitlement_table(self, table: ProtectedTable) -> Identifier:
        return Identifier(table.database, ENTITLEMENT_SCHEMA, ENTITLEMENT_TABLE)

    def data_table(self, table: ProtectedTable) -> Identifier:
        return Identifier(table.database, table.schema, table.table)

    def function_name(self, table: ProtectedTable) -> Identifier:
        return Identifier(table.database, ENTITLEMENT_SCHEMA, object_name("rf", table))

    def protect_composed(self, table: ProtectedTable) -> list[Composable]:
        entitlement = self.entitlement_table(table)
        names = ("principal", "table_name", "column_name", "value", "grant_id")
        col = {name: SQL("e.{}").format(Identifier(name)) for name in names}
        param = {
            column: Identifier("p_" + column if len(column) <= 61 else f"p{i}")
            for i, column in enumerate(table.scopable_columns)
        }
        matches = SQL(" OR ").join(
            SQL("({column_name} = {name} AND {value} = {param})").format(
                column_name=col["column_name"], name=Literal(column), value=col["value"], param=param[column]
            )
            for column in table.scopable_columns
        )
        function = SQL(
            "CREATE OR REPLACE FUNCTION {fn}({params})\n"
            "RETURNS BOOLEAN\n"
            "RETURN EXISTS (SELECT 1 FROM {entitlement} AS e\n"
            "  WHERE ({principal} = current_user() OR is_account_group_member({principal}))\n"
            "    AND {table_name} = {key}\n"
            "    AND ({column_name} = {anchor} OR {matches})\n"
            "  GROUP BY {grant_id}\n"
            "  HAVING CAST(SUM(CASE WHEN {column_name} <> {anchor} THEN 1 ELSE 0 END) AS STRING)\n"
            "    = MAX(CASE WHEN {column_name} = {anchor} THEN {value} END))"
        ).format(
            fn=self.function_name(table),
            params=SQL(", ").join(SQL("{} STRING").format(param[c]) for c in table.scopable_columns),
            entitlement=entitlement,
            key=Literal(table.key),
            anchor=Literal(ANCHOR),
            matches=matches,
            **col,
        )
        return [
            SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(table.database, ENTITLEMENT_SCHEMA)),
            SQL(
                "CREATE TABLE IF NOT EXISTS {entitlement} ({principal} STRING NOT NULL, {table_name} STRING NOT NULL, "
                "{column_name} STRING NOT NULL, {value} STRING NOT NULL, {grant_id} BIGINT NOT NULL)"
            ).format(entitlement=entitlement, **{name: Identifier(name) for name in names}),
            function,
            SQL("ALTER TABLE {} SET ROW FILTER {} ON ({})").format(
                self.data_table(table),
                self.function_name(table),
                SQL(", ").join(Identifier(column) for column in table.scopable_columns),
            ),
        ]
