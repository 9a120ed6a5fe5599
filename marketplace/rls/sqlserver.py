"""SQL Server family (Azure SQL, Synapse, Fabric warehouse): generated T-SQL over the shared entitlements.

* ``[loom_rls].[entitlement]`` holds the rows; consumers get no permission on it: the predicate function is
  ``WITH SCHEMABINDING`` and owned by the schema owner, so ownership chaining lets the policy read it.
* One inline table-valued predicate function per protected table and one ``SECURITY POLICY`` with a
  ``FILTER PREDICATE``; grants only insert/delete entitlement rows.
* The principal is compared with ``USER_NAME()``: the database user the query runs as. Consumers who query
  directly are matched by their own (Entra) database user; the data API uses
  ``EXECUTE AS USER = N'<principal>'`` (a contained user ``WITHOUT LOGIN``), mirroring PostgreSQL's
  ``SET ROLE``. ``SESSION_CONTEXT`` was not chosen: anything holding the service connection could set it.
* Identifiers: ``[...]`` with ``]`` doubled (and validated first); values: ``N'...'`` with ``'`` doubled.
* ``flavor="warehouse"`` (Fabric warehouse, Synapse dedicated pool): ``VARCHAR`` instead of ``NVARCHAR``
  (Fabric has no ``NVARCHAR`` columns) and no primary key (these engines do not enforce one); ``apply``'s
  delete-then-insert keeps the rows unique there.
* Statements that must start a batch (``CREATE FUNCTION``, ``CREATE SECURITY POLICY``) are separate
  statements; the protect script a DBA sees separates them with ``GO``.
"""

from __future__ import annotations

from .base import ANCHOR, ENTITLEMENT_SCHEMA, ENTITLEMENT_TABLE, ProtectedTable, object_name
from .compose import SQL, TSQL, Composable, Identifier, Literal, Variable
from .generated import GeneratedSqlEngine

FLAVORS = ("azure_sql", "warehouse")


class SqlServerEngine(GeneratedSqlEngine):
    name = "sqlserver"
    dialect = TSQL
    separator = "\nGO\n"

    def __init__(self, connection=None, *, flavor: str = "azure_sql"):
        if flavor not in FLAVORS:
            raise ValueError(f"Unknown SQL Server flavor {flavor!r}: choose one of {', '.join(FLAVORS)}.")
        super().__init__(connection)
        self.flavor = flavor

    def _string(self, length: int) -> Composable:
        text = "VARCHAR({})" if self.flavor == "warehouse" else "NVARCHAR({})"
        return SQL(text).format(Literal(length))

    def text_type(self) -> Composable:
        return self._string(4000)

    def entitlement_table(self, table: ProtectedTable) -> Identifier:
        return Identifier(ENTITLEMENT_SCHEMA, ENTITLEMENT_TABLE)

    def run_as(self, principal: str) -> tuple[list[Composable], list[Composable]]:
        return [SQL("EXECUTE AS USER = {}").format(Literal(principal))], [SQL("REVERT")]

    def function_name(self, table: ProtectedTable) -> Identifier:
        return Identifier(ENTITLEMENT_SCHEMA, object_name("fn", table))

    def policy_name(self, table: ProtectedTable) -> Identifier:
        return Identifier(ENTITLEMENT_SCHEMA, object_name("policy", table))

    def protect_composed(self, table: ProtectedTable) -> list[Composable]:
        entitlement = self.entitlement_table(table)
        col = {name: SQL("e.{}").format(Identifier(name)) for name in ("principal", "table_name", "column_name", "value", "grant_id")}
        params = SQL(", ").join(
            SQL("{} {}").format(Variable(column), self.text_type()) for column in table.scopable_columns
        )
        matches = SQL(" OR ").join(
            SQL("({column_name} = {name} AND {value} = {var})").format(
                column_name=col["column_name"], name=Literal(column), value=col["value"], var=Variable(column)
            )
            for column in table.scopable_columns
        )
        function = SQL(
            "CREATE OR ALTER FUNCTION {fn}({params})\n"
            "RETURNS TABLE\nWITH SCHEMABINDING\nAS\nRETURN SELECT 1 AS [fn_result]\n"
            "FROM {entitlement} AS e\n"
            "WHERE {principal} = USER_NAME() AND {table_name} = {key}\n"
            "  AND ({column_name} = {anchor} OR {matches})\n"
            "GROUP BY {grant_id}\n"
            "HAVING CAST(SUM(CASE WHEN {column_name} <> {anchor} THEN 1 ELSE 0 END) AS {count_type})\n"
            "  = MAX(CASE WHEN {column_name} = {anchor} THEN {value} END)"
        ).format(
            fn=self.function_name(table),
            params=params,
            entitlement=entitlement,
            key=Literal(table.key),
            anchor=Literal(ANCHOR),
            matches=matches,
            count_type=self._string(20),
            **col,
        )
        key = SQL("")
        if self.flavor == "azure_sql":
            key = SQL(
                ", CONSTRAINT {pk} PRIMARY KEY NONCLUSTERED ({principal}, {table_name}, {column_name}, {value}, {grant_id})"
            ).format(pk=Identifier("pk_loom_rls_entitlement"), **{name: Identifier(name) for name in col})
        create_table = SQL(
            "IF OBJECT_ID({name}, N'U') IS NULL CREATE TABLE {entitlement} ("
            "{principal} {s128} NOT NULL, {table_name} {s260} NOT NULL, "
            "{column_name} {s128} NOT NULL, {value} {s256} NOT NULL, {grant_id} BIGINT NOT NULL{key})"
        ).format(
            name=Literal(entitlement.as_string(TSQL)),
            entitlement=entitlement,
            s128=self._string(128),
            s260=self._string(260),
            s256=self._string(256),
            key=key,
            **{name: Identifier(name) for name in col},
        )
        return [
            SQL("IF SCHEMA_ID({}) IS NULL EXEC({})").format(
                Literal(ENTITLEMENT_SCHEMA),
                Literal(SQL("CREATE SCHEMA {}").format(Identifier(ENTITLEMENT_SCHEMA)).as_string(TSQL)),
            ),
            create_table,
            SQL("DROP SECURITY POLICY IF EXISTS {}").format(self.policy_name(table)),
            function,
            SQL(
                "CREATE SECURITY POLICY {policy}\nADD FILTER PREDICATE {fn}({args}) ON {table}\n"
                "WITH (STATE = ON, SCHEMABINDING = ON)"
            ).format(
                policy=self.policy_name(table),
                fn=self.function_name(table),
                args=SQL(", ").join(Identifier(column) for column in table.scopable_columns),
                table=self.data_table(table),
            ),
        ]
