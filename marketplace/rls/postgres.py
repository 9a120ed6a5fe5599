"""PostgreSQL row-level security: one entitlements table, one policy per protected table, rows per grant.

The engine connects to the *serving* database as the owner of the protected tables (owners bypass their
tables' policies, so the engine can count what the consumer should see). Consumers are database roles; the
data API runs their queries after ``SET ROLE``. Every identifier goes through ``sql.Identifier`` and every
value through ``sql.Literal`` or a query parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

import psycopg
from psycopg import sql

from .base import (
    ANCHOR,
    ENTITLEMENT_COLUMNS,
    ENTITLEMENT_SCHEMA,
    ENTITLEMENT_TABLE,
    Entitlement,
    GrantSpec,
    Probe,
    ProtectedTable,
    ScopeError,
    VerifyResult,
    check_grant,
    check_identifier,
    check_table,
    entitlements_for,
)

ENTITLEMENT = sql.Identifier(ENTITLEMENT_SCHEMA, ENTITLEMENT_TABLE)
OWN_ROWS_POLICY = "loom_rls_own_rows"


def policy_name(table: ProtectedTable) -> str:
    return ("loom_rls_" + table.table)[:63]


def _table_ident(table: ProtectedTable) -> sql.Identifier:
    return sql.Identifier(table.schema, table.table)


# --- statement builders (shared by execution and by sql_for / protect_sql) ----------


def entitlement_ddl() -> list[sql.Composed]:
    """The entitlements table, readable by every principal for its own rows only."""
    return [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(ENTITLEMENT_SCHEMA)),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (principal text NOT NULL, table_name text NOT NULL, "
            "column_name text NOT NULL, value text NOT NULL, grant_id bigint NOT NULL, "
            "PRIMARY KEY (principal, table_name, column_name, value, grant_id))"
        ).format(ENTITLEMENT),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (grant_id)").format(
            sql.Identifier("entitlement_grant_id_idx"), ENTITLEMENT
        ),
        sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(ENTITLEMENT),
        sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(OWN_ROWS_POLICY), ENTITLEMENT),
        sql.SQL("CREATE POLICY {} ON {} FOR SELECT USING (principal = (CAST(current_user AS text) COLLATE \"default\"))").format(
            sql.Identifier(OWN_ROWS_POLICY), ENTITLEMENT
        ),
    ]


MAX_POLICY_COLUMNS = 5


def column_sets(columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every non-empty subset of the scopable columns, smallest first, in the table's column order."""
    return [subset for size in range(1, len(columns) + 1) for subset in combinations(columns, size)]


def _grants_scoping(table: ProtectedTable, subset: tuple[str, ...]) -> sql.Composed:
    """The anchors of ``current_user``'s grants on the table that scope exactly ``subset`` (none for ``()``).

    A grant qualifies when its anchor counts ``len(subset)`` columns and it has no value row for any other
    column; ``_allowed_tuples`` then requires a value row for each column of the subset. A grant whose rows
    were partly deleted or added behind the engine's back therefore matches no subset: it fails closed.
    """
    return sql.SQL(
        "FROM {entitlement} AS a{joins} WHERE a.principal = (CAST(current_user AS text) COLLATE \"default\") AND a.table_name = {key} "
        "AND a.column_name = {anchor} AND a.value = {count} AND NOT EXISTS (SELECT 1 FROM {entitlement} AS x "
        "WHERE x.principal = a.principal AND x.table_name = a.table_name AND x.grant_id = a.grant_id "
        "AND x.column_name NOT IN ({allowed}))"
    ).format(
        entitlement=ENTITLEMENT,
        joins=sql.SQL("").join(
            sql.SQL(
                " JOIN {entitlement} AS {v} ON {v}.principal = a.principal AND {v}.table_name = a.table_name "
                "AND {v}.grant_id = a.grant_id AND {v}.column_name = {column}"
            ).format(entitlement=ENTITLEMENT, v=sql.Identifier(f"v{i}"), column=sql.Literal(column))
            for i, column in enumerate(subset)
        ),
        key=sql.Literal(table.key),
        anchor=sql.Literal(ANCHOR),
        count=sql.Literal(str(len(subset))),
        allowed=sql.SQL(", ").join(sql.Literal(c) for c in (ANCHOR, *subset)),
    )


def policy_predicate(table: ProtectedTable) -> sql.Composed:
    """Visible when, for some grant of ``current_user`` on the table, every column it scopes matches.

    One term per set of columns a grant can scope: ``(region, country) IN (SELECT <allowed pairs>)``. The
    subqueries do not depend on the row, so PostgreSQL runs each once per query (InitPlan / hashed SubPlan)
    and a row costs a few hash probes: no per-row lookup of the entitlements table. A grant contributes the
    cartesian product of its value lists to exactly one term, so columns are ANDed within a grant and grants
    are ORed. Outer columns are qualified with the table name so a column called ``value`` is not captured.
    """
    terms = [sql.SQL("EXISTS (SELECT 1 {})").format(_grants_scoping(table, ()))]
    for subset in column_sets(table.scopable_columns):
        row = sql.SQL(", ").join(
            sql.SQL("({})::text").format(sql.Identifier(table.table, column)) for column in subset
        )
        values = sql.SQL(", ").join(sql.SQL("{}.value").format(sql.Identifier(f"v{i}")) for i in range(len(subset)))
        if len(subset) == 1:
            # One column: compare with an array built once per query (cheaper per row than a hash probe).
            terms.append(sql.SQL("{} = ANY (ARRAY(SELECT {} {}))").format(row, values, _grants_scoping(table, subset)))
        else:
            terms.append(sql.SQL("({}) IN (SELECT {} {})").format(row, values, _grants_scoping(table, subset)))
    return sql.SQL("\n  OR ").join(terms)


def protect_statements(table: ProtectedTable) -> list[sql.Composed]:
    table = check_table(table, engine="postgres")
    if len(table.scopable_columns) > MAX_POLICY_COLUMNS:
        raise ScopeError(
            f"Table {table.key!r} has {len(table.scopable_columns)} scopable columns: the PostgreSQL policy "
            f"supports at most {MAX_POLICY_COLUMNS}."
        )
    ident = _table_ident(table)
    policy = sql.Identifier(policy_name(table))
    return entitlement_ddl() + [
        sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(ident),
        sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(policy, ident),
        sql.SQL("CREATE POLICY {} ON {} AS PERMISSIVE FOR SELECT TO PUBLIC USING (\n  {}\n)").format(
            policy, ident, policy_predicate(table)
        ),
    ]


def revoke_statements(grant_id: int) -> list[sql.Composed]:
    return [sql.SQL("DELETE FROM {} WHERE grant_id = {}").format(ENTITLEMENT, sql.Literal(grant_id))]


def apply_statements(grant: GrantSpec) -> list[sql.Composed]:
    """Replace the grant's rows: delete whatever it had, insert what it should have (idempotent)."""
    rows = sql.SQL(",\n  ").join(
        sql.SQL("({})").format(sql.SQL(", ").join(sql.Literal(getattr(row, c)) for c in ENTITLEMENT_COLUMNS))
        for row in entitlements_for(grant)
    )
    insert = sql.SQL("INSERT INTO {} ({}) VALUES\n  {}\nON CONFLICT DO NOTHING").format(
        ENTITLEMENT, sql.SQL(", ").join(map(sql.Identifier, ENTITLEMENT_COLUMNS)), rows
    )
    return revoke_statements(grant.grant_id) + [insert]


def render(statements: Iterable[sql.Composable]) -> str:
    return "".join(statement.as_string() + ";\n" for statement in statements)


def scope_condition(scope, params: list) -> sql.Composable:
    """``col::text = ANY(%s) AND ...`` for one scope (TRUE for all rows); appends its parameters."""
    if not scope:
        return sql.SQL("TRUE")
    parts = []
    for column in sorted(scope):
        parts.append(sql.SQL("({})::text = ANY(%s)").format(sql.Identifier(column)))
        params.append(list(scope[column]))
    return sql.SQL("({})").format(sql.SQL(" AND ").join(parts))


class PostgresEngine:
    name = "postgres"

    def __init__(self, connection: psycopg.Connection | str):
        if isinstance(connection, str):
            connection = psycopg.connect(connection, autocommit=True)
        self.conn = connection

    # -- DDL ---------------------------------------------------------------------------

    def protect_sql(self, table: ProtectedTable) -> str:
        return render(protect_statements(table))

    def protect(self, table: ProtectedTable) -> None:
        statements = protect_statements(table)
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                (table.schema, table.table),
            )
            existing = {name for (name,) in cur.fetchall()}
            if not existing:
                raise ScopeError(f"Table {table.key!r} does not exist in the serving database.")
            for column in table.scopable_columns:
                if column not in existing:
                    raise ScopeError(f"Column {column!r} does not exist on {table.key}.")
            for statement in statements:
                cur.execute(statement)

    def ensure_principal(self, role: str, *tables: ProtectedTable, password: str | None = None) -> None:
        """Create the consumer's role (NOLOGIN, or LOGIN with a password) and let it read ``tables``.

        The engine's own role becomes a member so that ``SET ROLE`` works for probes and the data API.
        """
        check_identifier(role, "Principal")
        ident = sql.Identifier(role)
        login = sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL("NOLOGIN")
        with self.conn.transaction(), self.conn.cursor() as cur:
            for statement in entitlement_ddl():
                cur.execute(statement)
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if cur.fetchone() is None:
                try:
                    with self.conn.transaction():
                        cur.execute(sql.SQL("CREATE ROLE {} {}").format(ident, login))
                except psycopg.errors.DuplicateObject:
                    pass  # created concurrently: same outcome
            elif password:
                cur.execute(sql.SQL("ALTER ROLE {} {}").format(ident, login))
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(ENTITLEMENT_SCHEMA), ident))
            cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(ENTITLEMENT, ident))
            for table in tables:
                check_table(table, engine=self.name)
                cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(table.schema), ident))
                cur.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(_table_ident(table), ident))
            cur.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", (role,))
            if not cur.fetchone()[0]:
                cur.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(ident))

    # -- grants ------------------------------------------------------------------------

    def _checked(self, grant: GrantSpec) -> GrantSpec:
        grant = check_grant(grant, engine=self.name)
        check_identifier(grant.principal, "Principal")
        return grant

    def sql_for(self, grant: GrantSpec) -> str:
        return render(apply_statements(self._checked(grant)))

    def revoke_sql(self, grant: GrantSpec) -> str:
        return render(revoke_statements(_grant_id(grant)))

    def apply(self, grant: GrantSpec) -> None:
        grant = self._checked(grant)
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                "SELECT 1 FROM pg_policies WHERE schemaname = %s AND tablename = %s AND policyname = %s",
                (grant.table.schema, grant.table.table, policy_name(grant.table)),
            )
            if cur.fetchone() is None:
                raise ScopeError(f"Table {grant.table.key} is not protected yet: run protect() first.")
            for statement in apply_statements(grant):
                cur.execute(statement)

    def revoke(self, grant: GrantSpec) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                "SELECT to_regclass(%s) IS NOT NULL", (f"{ENTITLEMENT_SCHEMA}.{ENTITLEMENT_TABLE}",)
            )
            if cur.fetchone()[0]:
                for statement in revoke_statements(_grant_id(grant)):
                    cur.execute(statement)

    def entitlements(self, grant_id: int) -> set[Entitlement]:
        """The rows the database holds for a grant (what reconciliation compares)."""
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                sql.SQL("SELECT {} FROM {} WHERE grant_id = %s").format(
                    sql.SQL(", ").join(map(sql.Identifier, ENTITLEMENT_COLUMNS)), ENTITLEMENT
                ),
                (grant_id,),
            )
            return {Entitlement(*row) for row in cur.fetchall()}

    # -- verification ------------------------------------------------------------------

    def verify(self, grant: GrantSpec, probe: Probe | None = None) -> VerifyResult:
        """Count, as the consumer, the rows visible; every one must lie inside the grant (or the principal's
        other grants in ``probe``), and every row the grant covers must be visible."""
        grant = self._checked(grant)
        others = [self._checked(g) for g in (probe.other_grants if probe else ()) if g.grant_id != grant.grant_id]
        table = _table_ident(grant.table)

        scope_params: list = []
        in_scope = scope_condition(grant.scope, scope_params)
        union_params: list = []
        union = sql.SQL(" OR ").join(scope_condition(g.scope, union_params) for g in [grant, *others])

        expected_rows = set(entitlements_for(grant))
        actual_rows = self.entitlements(grant.grant_id)

        with self.conn.transaction(force_rollback=True), self.conn.cursor() as cur:
            # The owner's count runs with row_security off: it fails instead of being silently filtered
            # (an engine that does not own the table is misconfigured, and that error propagates).
            cur.execute("SET LOCAL row_security = off")
            cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(table, in_scope), scope_params)
            expected = cur.fetchone()[0]
        try:
            with self.conn.transaction(force_rollback=True), self.conn.cursor() as cur:
                cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(grant.principal)))
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
                seen = cur.fetchone()[0]
                cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(table, in_scope), scope_params)
                seen_in_scope = cur.fetchone()[0]
                cur.execute(
                    sql.SQL("SELECT count(*) FROM {} WHERE NOT COALESCE(({}), FALSE)").format(table, union),
                    union_params,
                )
                outside = cur.fetchone()[0]
                cur.execute("RESET ROLE")
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidParameterValue) as error:
            # The principal is missing or may not read the table: the grant does not work.
            return VerifyResult(
                False, f"Principal {grant.principal} cannot read {grant.table.key}: {error.diag.message_primary}", 0
            )

        if outside:
            return VerifyResult(False, f"{outside} visible row(s) lie outside the grant's scope.", seen)
        if seen_in_scope < expected:
            return VerifyResult(
                False, f"The consumer sees {seen_in_scope} of the {expected} row(s) the grant covers.", seen
            )
        if actual_rows != expected_rows:
            missing = ", ".join(f"{r.column_name}={r.value}" for r in sorted(expected_rows - actual_rows, key=str))
            extra = ", ".join(f"{r.column_name}={r.value}" for r in sorted(actual_rows - expected_rows, key=str))
            return VerifyResult(
                False,
                "The entitlement rows drifted from the grant"
                + (f"; missing: {missing}" if missing else "")
                + (f"; unexpected: {extra}" if extra else "")
                + ".",
                seen,
            )
        return VerifyResult(True, f"The consumer sees {seen} row(s), all {expected} covered rows included.", seen)


def _grant_id(grant: GrantSpec) -> int:
    if not isinstance(grant.grant_id, int) or isinstance(grant.grant_id, bool) or grant.grant_id <= 0:
        raise ScopeError(f"Grant id {grant.grant_id!r} must be a positive integer.")
    return grant.grant_id
