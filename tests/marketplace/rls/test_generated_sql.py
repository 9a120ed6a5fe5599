"""SQL Server and Databricks engines: generated SQL, golden-tested and checked by parsing with sqlglot."""

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from marketplace.rls import EngineNotConnected, GrantSpec, Probe, ProtectedTable, ScopeError, engine_for
from marketplace.rls.compose import DATABRICKS, TSQL

GOLDEN = Path(__file__).parent / "golden"
DIALECT = {"sqlserver": "tsql", "databricks": "databricks"}
# DDL sqlglot has no grammar for: it must still come back as exactly one (opaque) statement.
OPAQUE_PREFIXES = ("CREATE SECURITY POLICY", "DROP SECURITY POLICY", "ALTER TABLE")
ENGINES = pytest.mark.parametrize("name", ["sqlserver", "databricks"])

INJECTIONS = [
    "EMEA' OR '1'='1",
    "x'); DROP TABLE [loom_rls].[entitlement]; --",
    "x\\'); DROP TABLE `loom_rls`.`entitlement`; --",
    "ends with a backslash \\",
    "O''Brien",
    "N'EMEA'",
    "two\nlines",
]


def orders(name):
    return ProtectedTable(name, "main", "sales", "orders", ("region", "country"))


def golden_grant(name):
    return GrantSpec(42, "alice@contoso.example", orders(name), {"region": ("EMEA", "O'Brien"), "country": ("DE",)})


def parse_one(statement: str, name: str) -> exp.Expression:
    expressions = sqlglot.parse(statement, read=DIALECT[name])
    assert len(expressions) == 1, statement
    expression = expressions[0]
    if isinstance(expression, exp.Command):
        assert statement.startswith(OPAQUE_PREFIXES), f"sqlglot could not parse: {statement}"
    return expression


def string_values(expression: exp.Expression) -> list[str]:
    """Every string literal's value (T-SQL N'...' literals are National nodes)."""
    return [
        node.this for node in expression.walk()
        if isinstance(node, exp.National) or (isinstance(node, exp.Literal) and node.is_string)
    ]


# --- golden files ------------------------------------------------------------------------------


@ENGINES
def test_the_protect_script_matches_the_golden_file(name):
    assert engine_for(name).protect_sql(orders(name)) == (GOLDEN / f"{name}_protect.sql").read_text()


@ENGINES
def test_the_apply_script_matches_the_golden_file(name):
    assert engine_for(name).sql_for(golden_grant(name)) == (GOLDEN / f"{name}_apply.sql").read_text()


@ENGINES
def test_the_revoke_script_matches_the_golden_file(name):
    assert engine_for(name).revoke_sql(golden_grant(name)) == (GOLDEN / f"{name}_revoke.sql").read_text()


@ENGINES
def test_the_probe_queries_match_the_golden_file(name):
    engine = engine_for(name)
    other = GrantSpec(43, "alice@contoso.example", orders(name), {"country": ("US",)})

    script = engine.script(engine.probe_statements(golden_grant(name), Probe(other_grants=(other,))))

    assert script == (GOLDEN / f"{name}_probe.sql").read_text()


def test_the_sqlserver_predicate_compares_the_principal_with_user_name_under_schemabinding():
    function = engine_for("sqlserver").protect_statements(orders("sqlserver"))[3]

    assert "WITH SCHEMABINDING" in function
    assert "e.[principal] = USER_NAME()" in function


def test_the_databricks_filter_matches_a_user_or_an_account_group():
    function = engine_for("databricks").protect_statements(orders("databricks"))[2]

    assert "e.`principal` = current_user() OR is_account_group_member(e.`principal`)" in function


# --- every statement parses -----------------------------------------------------------------------


@ENGINES
def test_every_generated_statement_parses(name):
    engine = engine_for(name)
    statements = (
        engine.protect_statements(orders(name))
        + engine.apply_statements(golden_grant(name))
        + engine.revoke_statements(golden_grant(name))
        + engine.probe_statements(golden_grant(name))
    )

    kinds = [type(parse_one(statement, name)).__name__ for statement in statements]

    assert kinds[-6:] == ["Delete", "Insert", "Delete", "Select", "Select", "Select"]


def test_the_sqlserver_protect_script_has_one_batch_per_statement():
    engine = engine_for("sqlserver")
    batches = (GOLDEN / "sqlserver_protect.sql").read_text().split("\nGO\n")

    assert [b for b in batches if b] == engine.protect_statements(orders("sqlserver"))


# --- injection ---------------------------------------------------------------------------------


@ENGINES
@pytest.mark.parametrize("attempt", INJECTIONS)
def test_an_injection_attempt_in_a_scope_value_stays_one_literal(name, attempt):
    engine = engine_for(name)
    grant = GrantSpec(7, "alice@contoso.example", orders(name), {"region": (attempt,)})

    statements = sqlglot.parse(engine.sql_for(grant), read=DIALECT[name])

    assert [type(s).__name__ for s in statements] == ["Delete", "Insert"]
    assert string_values(statements[1]) == [
        "alice@contoso.example", "sales.orders", "*", "1",
        "alice@contoso.example", "sales.orders", "region", attempt,
    ]


@ENGINES
@pytest.mark.parametrize("attempt", INJECTIONS)
def test_an_injection_attempt_stays_a_literal_in_the_probe_queries(name, attempt):
    engine = engine_for(name)
    grant = GrantSpec(7, "alice@contoso.example", orders(name), {"region": (attempt,)})

    queries = sqlglot.parse(engine.script(engine.probe_statements(grant)), read=DIALECT[name])

    assert len(queries) == 3
    assert string_values(queries[1]) == [attempt]


@ENGINES
def test_a_principal_with_a_quote_stays_a_literal(name):
    engine = engine_for(name)
    grant = GrantSpec(7, "o'neil@contoso.example", orders(name), {})

    insert = sqlglot.parse(engine.sql_for(grant), read=DIALECT[name])[1]

    assert string_values(insert)[0] == "o'neil@contoso.example"


@ENGINES
@pytest.mark.parametrize("column", ["region]; DROP TABLE x; --", "region`; DROP TABLE x; --", "region' --"])
def test_an_injection_attempt_in_a_column_name_is_refused(name, column):
    engine = engine_for(name)
    table = ProtectedTable(name, "main", "sales", "orders", ("region", column))

    with pytest.raises(ScopeError, match="not a valid identifier"):
        engine.protect_sql(table)
    with pytest.raises(ScopeError, match="not a valid identifier"):
        engine.sql_for(GrantSpec(7, "alice", orders(name), {column: ("EMEA",)}))


@ENGINES
def test_an_injection_attempt_in_a_catalog_schema_or_table_name_is_refused(name):
    engine = engine_for(name)
    for field in ("database", "schema", "table"):
        parts = {"engine": name, "database": "main", "schema": "sales", "table": "orders", "scopable_columns": ("region",)}
        parts[field] = "x]; DROP TABLE y; --"
        with pytest.raises(ScopeError, match="not a valid identifier"):
            engine.protect_sql(ProtectedTable(**parts))


@ENGINES
def test_a_principal_with_control_characters_is_refused(name):
    with pytest.raises(ScopeError, match="control characters"):
        engine_for(name).sql_for(GrantSpec(7, "alice\n; DROP", orders(name), {}))


def test_identifiers_are_quoted_with_the_closing_character_doubled():
    assert TSQL.quote_identifier("a]b") == "[a]]b]"
    assert DATABRICKS.quote_identifier("a`b") == "`a``b`"
    assert sqlglot.parse_one("SELECT 1 FROM [a]]b]", read="tsql").find(exp.Table).name == "a]b"
    assert sqlglot.parse_one("SELECT 1 FROM `a``b`", read="databricks").find(exp.Table).name == "a`b"


def test_databricks_escapes_quotes_with_backslashes_because_doubling_concatenates():
    value = "O'Brien"

    assert DATABRICKS.quote_string(value) == "'O\\'Brien'"
    assert string_values(sqlglot.parse_one(f"SELECT {DATABRICKS.quote_string(value)}", read="databricks")) == [value]


# --- validation and connections -------------------------------------------------------------------


@ENGINES
def test_a_grant_for_a_table_of_another_engine_is_refused(name):
    with pytest.raises(ScopeError, match="is served by engine 'postgres'"):
        engine_for(name).sql_for(GrantSpec(7, "alice", orders("postgres"), {}))


@ENGINES
def test_a_scope_on_a_column_that_is_not_scopable_is_refused(name):
    with pytest.raises(ScopeError, match="Column 'amount' is not scopable on sales.orders"):
        engine_for(name).sql_for(GrantSpec(7, "alice", orders(name), {"amount": ("1",)}))


@ENGINES
def test_an_engine_without_a_connection_refuses_to_apply(name):
    with pytest.raises(EngineNotConnected, match="hand the generated SQL to a DBA"):
        engine_for(name).apply(golden_grant(name))


def test_the_warehouse_flavor_uses_varchar_and_no_primary_key_and_parses():
    engine = engine_for("sqlserver", flavor="warehouse")
    table = orders("sqlserver")

    assert engine.protect_sql(table) == (GOLDEN / "sqlserver_warehouse_protect.sql").read_text()
    for statement in engine.protect_statements(table):
        parse_one(statement, "sqlserver")


def test_an_unknown_sqlserver_flavor_is_refused():
    with pytest.raises(ValueError, match="Unknown SQL Server flavor 'oracle'"):
        engine_for("sqlserver", flavor="oracle")


# --- running over a DB-API connection ------------------------------------------------------------


class RecordingConnection:
    """A DB-API 2 connection double: records statements, answers COUNT(*) queries from a script."""

    def __init__(self, counts=(), fail_on=None):
        self.executed, self.counts, self.fail_on = [], list(counts), fail_on
        self.commits = self.rollbacks = 0

    def cursor(self):
        return self

    def execute(self, statement):
        if self.fail_on and statement.startswith(self.fail_on):
            raise RuntimeError("the warehouse refused the statement")
        self.executed.append(statement)

    def fetchone(self):
        return (self.counts.pop(0),)

    def close(self):
        pass

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1


@ENGINES
def test_apply_runs_the_generated_statements_in_one_transaction(name):
    conn = RecordingConnection()
    engine = engine_for(name, conn)

    engine.apply(golden_grant(name))

    assert conn.executed == engine.apply_statements(golden_grant(name))
    assert (conn.commits, conn.rollbacks) == (1, 0)


@ENGINES
def test_a_failing_statement_rolls_the_apply_back(name):
    conn = RecordingConnection(fail_on="INSERT")
    engine = engine_for(name, conn)

    with pytest.raises(RuntimeError, match="refused"):
        engine.apply(golden_grant(name))

    assert (conn.commits, conn.rollbacks) == (0, 1)


def test_sqlserver_verify_probes_as_the_consumer_and_reverts():
    conn = RecordingConnection(counts=[3, 3, 0])
    engine = engine_for("sqlserver", conn)

    result = engine.verify(golden_grant("sqlserver"))

    assert (result.ok, result.rows_seen) == (True, 3)
    assert conn.executed[0] == "EXECUTE AS USER = N'alice@contoso.example'"
    assert conn.executed[-1] == "REVERT"


@ENGINES
def test_verify_fails_with_a_reason_when_rows_outside_the_scope_show(name):
    engine = engine_for(name, RecordingConnection(counts=[9, 3, 6]))

    result = engine.verify(golden_grant(name))

    assert (result.ok, result.reason, result.rows_seen) == (False, "6 visible row(s) lie outside the grant's scope.", 9)


@ENGINES
def test_verify_fails_when_the_consumer_sees_none_of_the_scope(name):
    engine = engine_for(name, RecordingConnection(counts=[0, 0, 0]))

    result = engine.verify(golden_grant(name))

    assert (result.ok, result.reason) == (False, "The consumer sees none of the rows the grant covers.")


@ENGINES
def test_tables_whose_names_join_alike_get_different_predicate_functions(name):
    engine = engine_for(name)
    one = ProtectedTable(name, "main", "a_b", "c", ("region",))
    other = ProtectedTable(name, "main", "a", "b_c", ("region",))

    assert engine.function_name(one).as_string(engine.dialect) != engine.function_name(other).as_string(engine.dialect)
