"""The embedded engine for the SQLite demo: the data API's WHERE clause applies the same entitlements."""

import sqlite3

import pytest

from marketplace.rls import GrantSpec, Probe, ProtectedTable, ScopeError, engine_for
from marketplace.rls.embedded import EmbeddedEngine

from .conftest import ORDERS


@pytest.fixture
def demo():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, region TEXT, country TEXT, amount INTEGER)")
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
    conn.commit()
    yield conn
    conn.close()


@pytest.fixture
def table():
    return ProtectedTable("embedded", "demo", "main", "orders", ("region", "country"))


@pytest.fixture
def engine(demo, table):
    engine = engine_for("embedded", demo)
    engine.protect(table)
    return engine


def visible_ids(engine, demo, table, principal):
    query, params = engine.select_visible(table, principal, ["id"])
    return [row[0] for row in demo.execute(query + " ORDER BY id", params)]


def test_a_consumer_granted_emea_sees_only_emea_rows(engine, demo, table):
    engine.apply(GrantSpec(1, "alice", table, {"region": ("EMEA",)}))

    assert visible_ids(engine, demo, table, "alice") == [1, 2, 3]
    assert visible_ids(engine, demo, table, "bob") == []


def test_two_columns_and_two_grants_combine_like_the_postgres_policy(engine, demo, table):
    engine.apply(GrantSpec(1, "alice", table, {"region": ("EMEA",), "country": ("DE",)}))
    engine.apply(GrantSpec(2, "alice", table, {"region": ("APAC",), "country": ("JP",)}))

    assert visible_ids(engine, demo, table, "alice") == [1, 3, 4]


def test_an_all_rows_grant_shows_every_row(engine, demo, table):
    engine.apply(GrantSpec(1, "alice", table, {}))

    assert visible_ids(engine, demo, table, "alice") == [row[0] for row in ORDERS]


def test_after_revoke_the_consumer_sees_no_rows_and_revoking_again_is_harmless(engine, demo, table):
    emea = GrantSpec(1, "alice", table, {"region": ("EMEA",)})
    engine.apply(emea)

    engine.revoke(emea)
    engine.revoke(emea)

    assert visible_ids(engine, demo, table, "alice") == []
    assert engine.entitlements(1) == set()


def test_applying_twice_leaves_the_same_rows(engine, table):
    emea = GrantSpec(1, "alice", table, {"region": ("EMEA", "APAC")})
    engine.apply(emea)
    once = engine.entitlements(1)

    engine.apply(emea)

    assert engine.entitlements(1) == once
    assert {(e.column_name, e.value) for e in once} == {("*", "1"), ("region", "APAC"), ("region", "EMEA")}


def test_the_where_clause_is_parameterised(engine, table):
    clause, params = engine.where_for(table, "alice' OR '1'='1")

    assert "alice" not in clause
    assert params == ["alice' OR '1'='1", "main.orders", "*", "region", "country", "*", "*"]


def test_a_django_cursor_gets_format_placeholders(demo, table):
    clause, params = EmbeddedEngine(demo, paramstyle="format").where_for(table, "alice")

    assert clause.count("%s") == len(params) and "?" not in clause


def test_an_injection_attempt_in_a_scope_value_stays_a_value(engine, demo, table):
    engine.apply(GrantSpec(1, "alice", table, {"region": ("EMEA' OR '1'='1",)}))

    assert visible_ids(engine, demo, table, "alice") == []
    assert demo.execute("SELECT count(*) FROM orders").fetchone()[0] == len(ORDERS)


def test_an_injection_attempt_in_a_column_name_is_refused(engine, table):
    with pytest.raises(ScopeError, match="not a valid identifier"):
        engine.apply(GrantSpec(1, "alice", table, {'region" OR 1=1 --': ("EMEA",)}))


def test_verify_passes_after_apply_and_fails_when_a_row_is_deleted_behind_the_engine(engine, demo, table):
    grant = GrantSpec(1, "alice", table, {"region": ("EMEA", "APAC")})
    engine.apply(grant)
    assert engine.verify(grant).ok is True

    demo.execute("DELETE FROM loom_rls_entitlement WHERE value = 'APAC'")

    result = engine.verify(grant)
    assert (result.ok, result.reason, result.rows_seen) == (
        False, "The consumer sees 3 of the 5 row(s) the grant covers.", 3
    )


def test_verify_accepts_rows_of_the_principals_other_grants(engine, table):
    emea = GrantSpec(1, "alice", table, {"region": ("EMEA",)})
    amer = GrantSpec(2, "alice", table, {"region": ("AMER",)})
    engine.apply(emea)
    engine.apply(amer)

    assert engine.verify(emea).reason == "1 visible row(s) lie outside the grant's scope."
    assert engine.verify(emea, Probe(other_grants=(amer,))).ok is True


def test_protecting_a_table_without_the_scopable_column_is_refused(engine):
    with pytest.raises(ScopeError, match="Column 'channel' does not exist on main.orders"):
        engine.protect(ProtectedTable("embedded", "demo", "main", "orders", ("channel",)))


def test_the_sql_for_a_grant_is_readable_and_quoted(engine, table):
    sql = engine.sql_for(GrantSpec(1, "alice", table, {"region": ("O'Brien",)}))

    assert sql == (
        'DELETE FROM "loom_rls_entitlement" WHERE grant_id = 1;\n'
        'INSERT OR IGNORE INTO "loom_rls_entitlement" ("principal", "table_name", "column_name", "value", "grant_id") '
        "VALUES ('alice', 'main.orders', '*', '1', 1),\n  ('alice', 'main.orders', 'region', 'O''Brien', 1);\n"
    )
