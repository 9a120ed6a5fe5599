"""The PostgreSQL engine, live: entitlement rows + one policy decide what a consumer's role sees."""

from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from marketplace.rls import GrantSpec, Probe, ProtectedTable, ScopeError, engine_for
from marketplace.rls.postgres import PostgresEngine
from tests.conftest import requires_postgres

from .conftest import ORDERS, rows_as

pytestmark = requires_postgres
GOLDEN = Path(__file__).parent / "golden"


def grant(grant_id, role, table, **scope):
    return GrantSpec(grant_id, role, table, {column: tuple(values) for column, values in scope.items()})


def owner_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM sales.orders").fetchone()[0]


def entitlement_rows(conn) -> list[tuple]:
    return conn.execute(
        "SELECT principal, table_name, column_name, value, grant_id FROM loom_rls.entitlement ORDER BY 5, 3, 4"
    ).fetchall()


# --- what a consumer sees ------------------------------------------------------------------


def test_a_consumer_granted_emea_sees_only_emea_rows(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"]))

    assert rows_as(serving, alice) == [1, 2, 3]


def test_a_consumer_without_a_grant_sees_no_rows(serving, engine, orders_table, principal):
    bob = principal("bob")

    assert rows_as(serving, bob) == []


def test_a_scope_on_two_columns_shows_only_rows_matching_both(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA", "APAC"], country=["DE", "JP"]))

    assert rows_as(serving, alice) == [1, 3, 4]


def test_two_grants_of_one_principal_show_the_union_without_mixing_their_columns(
    serving, engine, orders_table, principal
):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"], country=["DE"]))
    engine.apply(grant(2, alice, orders_table, region=["APAC"], country=["JP"]))

    # EMEA/FR (2) stays hidden: no single grant allows both its region and its country.
    assert rows_as(serving, alice) == [1, 3, 4]


def test_a_grant_on_one_column_and_a_grant_on_another_add_up(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["APAC"]))
    engine.apply(grant(2, alice, orders_table, country=["US"]))

    assert rows_as(serving, alice) == [4, 5, 6, 7]


def test_an_all_rows_grant_shows_every_row_even_with_empty_columns(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(GrantSpec(1, alice, orders_table, {}))

    assert rows_as(serving, alice) == [row[0] for row in ORDERS]


def test_one_principals_grant_does_not_reach_another(serving, engine, orders_table, principal):
    alice, bob = principal("alice"), principal("bob")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"]))
    engine.apply(grant(2, bob, orders_table, region=["AMER"]))

    assert (rows_as(serving, alice), rows_as(serving, bob)) == ([1, 2, 3], [6])


def test_a_consumer_reads_only_its_own_entitlement_rows(serving, engine, orders_table, principal):
    alice, bob = principal("alice"), principal("bob")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"]))
    engine.apply(grant(2, bob, orders_table, region=["AMER"]))

    with serving.transaction(force_rollback=True):
        serving.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(bob)))
        principals = serving.execute("SELECT DISTINCT principal FROM loom_rls.entitlement").fetchall()
    assert principals == [(bob,)]


def test_a_login_principal_connects_with_its_password_and_sees_only_its_rows(
    serving, serving_database, engine, orders_table, principal
):
    carol = principal("carol", password="s3cret-for-tests")
    engine.apply(grant(1, carol, orders_table, region=["AMER"]))

    dsn, _ = serving_database
    with psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user=carol, password="s3cret-for-tests")) as conn:
        assert conn.execute("SELECT id FROM sales.orders ORDER BY id").fetchall() == [(6,)]


def test_three_scopable_columns_combine_per_grant(serving, engine, principal):
    table = ProtectedTable("postgres", "serving", "sales", "orders", ("region", "country", "amount"))
    engine.protect(table)
    alice = principal("alice")

    engine.apply(grant(1, alice, table, region=["EMEA"], amount=["10", "30", "70"]))
    engine.apply(grant(2, alice, table, country=["US"], amount=["70"]))

    assert rows_as(serving, alice) == [1, 3, 7]


def test_a_grant_missing_the_rows_of_one_of_its_columns_hides_rows_instead_of_widening(
    serving, engine, orders_table, principal
):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"], country=["DE"]))
    serving.execute("DELETE FROM loom_rls.entitlement WHERE column_name = 'country'")

    assert rows_as(serving, alice) == []


def test_a_grant_with_a_row_added_behind_the_engine_hides_rows_instead_of_widening(
    serving, engine, orders_table, principal
):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["APAC"]))
    serving.execute(
        "INSERT INTO loom_rls.entitlement VALUES (%s, 'sales.orders', 'country', 'US', 1)", (alice,)
    )

    assert rows_as(serving, alice) == []


def test_a_table_with_too_many_scopable_columns_is_refused(engine):
    wide = ProtectedTable("postgres", "serving", "sales", "orders", ("a", "b", "c", "d", "e", "f"))

    with pytest.raises(ScopeError, match="has 6 scopable columns: the PostgreSQL policy supports at most 5"):
        engine.protect(wide)


# --- apply / revoke --------------------------------------------------------------------------


def test_after_revoke_the_consumer_sees_no_rows(serving, engine, orders_table, principal):
    alice = principal("alice")
    emea = grant(1, alice, orders_table, region=["EMEA"])
    engine.apply(emea)

    engine.revoke(emea)

    assert rows_as(serving, alice) == []
    assert entitlement_rows(serving) == []


def test_revoking_one_grant_keeps_the_others(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"]))
    amer = grant(2, alice, orders_table, region=["AMER"])
    engine.apply(amer)

    engine.revoke(amer)

    assert rows_as(serving, alice) == [1, 2, 3]


def test_revoking_an_unknown_grant_changes_nothing(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"]))
    before = entitlement_rows(serving)

    engine.revoke(grant(999, alice, orders_table, region=["EMEA"]))

    assert entitlement_rows(serving) == before


def test_applying_a_grant_twice_leaves_the_same_rows(serving, engine, orders_table, principal):
    alice = principal("alice")
    emea = grant(1, alice, orders_table, region=["EMEA", "APAC"])
    engine.apply(emea)
    once = entitlement_rows(serving)

    engine.apply(emea)

    assert entitlement_rows(serving) == once
    assert once == [
        (alice, "sales.orders", "*", "1", 1),
        (alice, "sales.orders", "region", "APAC", 1),
        (alice, "sales.orders", "region", "EMEA", 1),
    ]


def test_reapplying_a_grant_with_a_narrower_scope_replaces_its_rows(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA", "APAC"]))

    engine.apply(grant(1, alice, orders_table, region=["APAC"]))

    assert rows_as(serving, alice) == [4, 5]


def test_protecting_a_table_twice_is_harmless(serving, engine, orders_table, principal):
    alice = principal("alice")
    engine.apply(grant(1, alice, orders_table, region=["EMEA"]))

    engine.protect(orders_table)

    assert rows_as(serving, alice) == [1, 2, 3]


def test_engine_for_builds_the_postgres_engine_from_a_dsn(serving_database, serving, orders_table, principal):
    dsn, _ = serving_database
    engine = engine_for("postgres", dsn)
    alice = principal("alice")

    engine.apply(grant(1, alice, orders_table, country=["FR"]))

    assert isinstance(engine, PostgresEngine)
    assert rows_as(serving, alice) == [2]


# --- verify ----------------------------------------------------------------------------------


def test_verify_passes_when_the_consumer_sees_exactly_the_scope(engine, orders_table, principal):
    alice = principal("alice")
    emea = grant(1, alice, orders_table, region=["EMEA"])
    engine.apply(emea)

    result = engine.verify(emea)

    assert (result.ok, result.rows_seen) == (True, 3)


def test_verify_fails_with_a_reason_when_an_entitlement_row_is_deleted_behind_the_engine(
    serving, engine, orders_table, principal
):
    alice = principal("alice")
    scope = grant(1, alice, orders_table, region=["EMEA", "APAC"])
    engine.apply(scope)
    serving.execute("DELETE FROM loom_rls.entitlement WHERE column_name = 'region' AND value = 'APAC'")

    result = engine.verify(scope)

    assert result.ok is False
    assert result.reason == "The consumer sees 3 of the 5 row(s) the grant covers."
    assert result.rows_seen == 3


def test_verify_fails_when_the_policy_is_switched_off_behind_the_engine(serving, engine, orders_table, principal):
    alice = principal("alice")
    emea = grant(1, alice, orders_table, region=["EMEA"])
    engine.apply(emea)
    serving.execute("ALTER TABLE sales.orders DISABLE ROW LEVEL SECURITY")

    result = engine.verify(emea)

    assert (result.ok, result.reason, result.rows_seen) == (
        False, "4 visible row(s) lie outside the grant's scope.", 7
    )


def test_verify_reports_drifted_entitlement_rows_that_change_no_visible_row(
    serving, engine, orders_table, principal
):
    alice = principal("alice")
    scope = grant(1, alice, orders_table, region=["EMEA", "LATAM"])  # no LATAM orders exist
    engine.apply(scope)
    serving.execute("DELETE FROM loom_rls.entitlement WHERE value = 'LATAM'")

    result = engine.verify(scope)

    assert (result.ok, result.reason) == (False, "The entitlement rows drifted from the grant; missing: region=LATAM.")


def test_verify_accepts_rows_that_the_principals_other_grants_allow(engine, orders_table, principal):
    alice = principal("alice")
    emea, amer = grant(1, alice, orders_table, region=["EMEA"]), grant(2, alice, orders_table, region=["AMER"])
    engine.apply(emea)
    engine.apply(amer)

    assert engine.verify(emea).ok is False
    result = engine.verify(emea, Probe(other_grants=(amer,)))
    assert (result.ok, result.rows_seen) == (True, 4)


def test_verify_fails_with_a_reason_when_the_principal_may_not_read_the_table(
    serving_database, engine, orders_table
):
    _, prefix = serving_database
    dave = prefix + "dave"
    engine.ensure_principal(dave)  # a role, but no SELECT on sales.orders
    emea = grant(1, dave, orders_table, region=["EMEA"])
    engine.apply(emea)

    result = engine.verify(emea)

    assert (result.ok, result.rows_seen) == (False, 0)
    assert result.reason == f"Principal {dave} cannot read sales.orders: permission denied for schema sales"


def test_verify_fails_with_a_reason_when_the_principal_does_not_exist(serving_database, engine, orders_table):
    _, prefix = serving_database
    ghost = grant(1, prefix + "ghost", orders_table, region=["EMEA"])
    engine.apply(ghost)

    result = engine.verify(ghost)

    assert result.ok is False
    assert result.reason == f'Principal {prefix}ghost cannot read sales.orders: role "{prefix}ghost" does not exist'


# --- bad input and injection ------------------------------------------------------------------


def test_an_injection_attempt_in_a_scope_value_stays_a_value(serving, engine, orders_table, principal):
    alice = principal("alice")
    attempt = "EMEA' OR '1'='1"

    engine.apply(grant(1, alice, orders_table, region=[attempt]))

    assert rows_as(serving, alice) == []
    assert owner_count(serving) == len(ORDERS)
    assert (alice, "sales.orders", "region", attempt, 1) in entitlement_rows(serving)


@pytest.mark.parametrize(
    "column", ['region"; DROP TABLE sales.orders; --', "region) OR (TRUE", "Region ", ""]
)
def test_an_injection_attempt_in_a_column_name_is_refused_and_changes_nothing(
    serving, engine, orders_table, principal, column
):
    alice = principal("alice")

    with pytest.raises(ScopeError, match="not a valid identifier"):
        engine.apply(GrantSpec(1, alice, orders_table, {column: ("EMEA",)}))

    assert owner_count(serving) == len(ORDERS)
    assert entitlement_rows(serving) == []


def test_an_injection_attempt_in_a_principal_is_refused(serving, engine, orders_table):
    with pytest.raises(ScopeError, match="Principal"):
        engine.apply(grant(1, 'alice"; DROP ROLE loom; --', orders_table, region=["EMEA"]))
    with pytest.raises(ScopeError, match="Principal"):
        engine.ensure_principal("x; DROP TABLE sales.orders", orders_table)

    assert entitlement_rows(serving) == []


def test_an_injection_attempt_in_a_table_name_is_refused(serving, engine):
    bad = ProtectedTable("postgres", "serving", "sales", "orders; DROP TABLE sales.orders", ("region",))

    with pytest.raises(ScopeError, match="Table 'orders; DROP TABLE sales.orders' is not a valid identifier"):
        engine.protect(bad)

    assert owner_count(serving) == len(ORDERS)


def test_a_scope_on_a_column_that_is_not_scopable_is_refused(serving, engine, orders_table, principal):
    alice = principal("alice")

    with pytest.raises(ScopeError, match="Column 'amount' is not scopable on sales.orders"):
        engine.apply(grant(1, alice, orders_table, amount=["10"]))

    assert entitlement_rows(serving) == []


def test_an_empty_list_of_values_is_refused(serving, engine, orders_table, principal):
    alice = principal("alice")

    with pytest.raises(ScopeError, match="Column 'region' has no allowed values"):
        engine.apply(grant(1, alice, orders_table, region=[]))

    assert entitlement_rows(serving) == []


def test_applying_to_a_table_that_was_never_protected_is_refused(serving, principal, engine):
    serving.execute("CREATE TABLE sales.returns (id int, region text)")
    returns = ProtectedTable("postgres", "serving", "sales", "returns", ("region",))

    with pytest.raises(ScopeError, match="sales.returns is not protected yet"):
        engine.apply(grant(1, principal("alice"), returns, region=["EMEA"]))


def test_protecting_a_table_without_the_scopable_column_is_refused(serving, engine):
    with pytest.raises(ScopeError, match="Column 'channel' does not exist on sales.orders"):
        engine.protect(ProtectedTable("postgres", "serving", "sales", "orders", ("region", "channel")))


def test_a_scopable_column_named_like_an_entitlement_column_is_compared_with_the_row(serving, principal):
    serving.execute("CREATE TABLE sales.notes (id int, value text)")
    serving.execute("INSERT INTO sales.notes VALUES (1, 'keep'), (2, 'other')")
    notes = ProtectedTable("postgres", "serving", "sales", "notes", ("value",))
    engine = PostgresEngine(serving)
    engine.protect(notes)
    alice = principal("alice")
    engine.ensure_principal(alice, notes)

    engine.apply(grant(1, alice, notes, value=["keep"]))

    with serving.transaction(force_rollback=True):
        serving.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(alice)))
        assert serving.execute("SELECT id FROM sales.notes").fetchall() == [(1,)]


# --- the SQL a DBA would run ---------------------------------------------------------------


def test_the_sql_for_protect_and_a_grant_matches_the_golden_files(engine, orders_table):
    scoped = grant(42, "alice", orders_table, region=["EMEA", "O'Brien"], country=["DE"])

    assert engine.protect_sql(orders_table) == (GOLDEN / "postgres_protect.sql").read_text()
    assert engine.sql_for(scoped) == (GOLDEN / "postgres_apply.sql").read_text()
    assert engine.revoke_sql(scoped) == "DELETE FROM \"loom_rls\".\"entitlement\" WHERE grant_id = 42;\n"
