"""Where a product's rows are served from, and the RLS engine that guards them.

A product names its serving database in ``source_database``; ``settings.SERVING_DATABASES`` maps that name to
a URL. A ``postgres://`` URL gets the live PostgreSQL engine (policies in the database); a ``sqlite:///folder``
URL gets the embedded engine (the demo: the data API adds the entitlements as a WHERE clause). Products on
SQL Server / Synapse or Databricks get the SQL-generating engines: a DBA runs the SQL and a steward confirms.
Everything else (Power BI, ADX, ADLS, no scopable column) has no row-level engine: a steward grants it by hand.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
from django.conf import settings
from psycopg_pool import ConnectionPool, PoolTimeout

from marketplace.choices import SourceEngine
from marketplace.rls import GrantSpec, ProtectedTable, ScopeError, engine_for
from marketplace.rls.base import check_identifier
from marketplace.rls.postgres import policy_name


class ServingError(RuntimeError):
    """The serving database cannot be reached or is misconfigured; the message says which and why."""


class ServingUnavailable(ServingError):
    """A transient failure (connection refused, timeout): worth retrying."""


@dataclass(frozen=True)
class ServingTarget:
    """How a product's table is enforced: ``engine`` is postgres, embedded, sqlserver or databricks."""

    engine: str
    table: ProtectedTable
    url: str = ""

    @property
    def connected(self) -> bool:
        """Whether the portal enforces and verifies grants itself (otherwise a DBA applies generated SQL)."""
        return self.engine in ("postgres", "embedded")


def principal_for(user) -> str:
    """The consumer's identity in the engines: a database role name derived from the user's id."""
    return check_identifier(f"{settings.RLS_PRINCIPAL_PREFIX}{user.pk}", "Principal")


def target_for(product) -> ServingTarget | None:
    """The engine and table behind ``product``, or None when no row-level engine applies."""
    scopable = tuple(c.name for c in product.columns.all() if c.is_scopable)
    if not scopable or not product.source_table:
        return None
    url = settings.SERVING_DATABASES.get(product.source_database, "")
    scheme = urlsplit(url).scheme if url else ""
    table_args = (product.source_database or "default", product.source_schema or "main", product.source_table)
    if scheme == "sqlite":
        engine = "embedded"
    elif product.source_engine == SourceEngine.POSTGRES and scheme.startswith("postgres"):
        engine = "postgres"
    elif product.source_engine in (SourceEngine.SQLSERVER, SourceEngine.DATABRICKS):
        engine, url = product.source_engine, ""
    else:
        return None
    try:
        table = ProtectedTable(engine, *table_args, scopable)
    except ScopeError:
        return None
    return ServingTarget(engine, table, url)


def grant_spec(grant, target: ServingTarget) -> GrantSpec:
    return GrantSpec(grant.pk, grant.principal, target.table, {c: tuple(v) for c, v in (grant.scope or {}).items()})


# --- Connections -----------------------------------------------------------------------------------------


def _sqlite_folder(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def open_sqlite(url: str, database: str, schemas: tuple[str, ...] = ()) -> sqlite3.Connection:
    """The demo database ``<folder>/<database>.sqlite3`` with each schema attached from ``<database>.<schema>.sqlite3``."""
    folder = _sqlite_folder(url)
    folder.mkdir(parents=True, exist_ok=True)
    check_identifier(database, "Database")
    conn = sqlite3.connect(folder / f"{database}.sqlite3", timeout=30, check_same_thread=False)
    for schema in schemas:
        check_identifier(schema, "Schema")
        conn.execute("ATTACH DATABASE ? AS " + f'"{schema}"', (str(folder / f"{database}.{schema}.sqlite3"),))
    return conn


_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(url: str) -> ConnectionPool:
    """One small pool per serving database and process (opened lazily, so forked workers get their own).
    Reused connections keep PostgreSQL's catalog caches warm: planning the RLS policy on a fresh backend
    costs ~20 ms, on a warm one ~1 ms. Roles are only ever set with SET LOCAL, which ends with the transaction."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            pool = ConnectionPool(url, min_size=0, max_size=8, max_idle=300, open=True, name="loom-serving",
                                  kwargs={"autocommit": True, "connect_timeout": 10},
                                  check=ConnectionPool.check_connection)
            _pools[url] = pool
        return pool


@contextlib.contextmanager
def connect(target: ServingTarget) -> Iterator[psycopg.Connection | sqlite3.Connection]:
    """An owner's connection to the serving database (autocommit for PostgreSQL)."""
    if target.engine == "postgres":
        try:
            with _pool(target.url).connection(timeout=10) as conn:
                yield conn
            return
        except (psycopg.OperationalError, PoolTimeout) as error:
            raise ServingUnavailable(f"Serving database {target.table.database!r} is unreachable: {error}") from None
    if target.engine == "embedded":
        conn = open_sqlite(target.url, target.table.database, (target.table.schema,))
    else:
        raise ServingError(f"The {target.engine} engine has no connection: a DBA applies its SQL.")
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def engine(target: ServingTarget):
    """The target's RLS engine, connected when the portal enforces it, SQL-only otherwise."""
    if not target.connected:
        yield engine_for(target.engine)
        return
    with connect(target) as conn:
        yield engine_for(target.engine, conn)


def ensure_protected(rls_engine, target: ServingTarget, principal: str) -> None:
    """One-time DDL for the table (skipped when the policy is already there) and the consumer's role."""
    if target.engine == "postgres":
        with rls_engine.conn.cursor() as cur:
            cur.execute(
                "SELECT 1 FROM pg_policies WHERE schemaname = %s AND tablename = %s AND policyname = %s",
                (target.table.schema, target.table.table, policy_name(target.table)),
            )
            protected = cur.fetchone() is not None
        if not protected:
            rls_engine.protect(target.table)
        rls_engine.ensure_principal(principal, target.table)
    else:
        rls_engine.protect(target.table)


def entitlement_grant_ids(rls_engine, target: ServingTarget) -> set[int]:
    """The grant ids that have entitlement rows for ``target``'s table in its serving database."""
    if target.engine == "postgres":
        with rls_engine.conn.cursor() as cur:
            cur.execute("SELECT to_regclass('loom_rls.entitlement') IS NOT NULL")
            if not cur.fetchone()[0]:
                return set()
            cur.execute("SELECT DISTINCT grant_id FROM loom_rls.entitlement WHERE table_name = %s", (target.table.key,))
            return {row[0] for row in cur.fetchall()}
    cur = rls_engine.conn.execute(
        "SELECT DISTINCT grant_id FROM loom_rls_entitlement WHERE table_name = ?", (target.table.key,)
    )
    return {row[0] for row in cur.fetchall()}


def spec_for_removal(grant_id: int, target: ServingTarget) -> GrantSpec:
    """Enough of a grant to delete its rows by id (revoke needs nothing else)."""
    return GrantSpec(grant_id, "removed", target.table, {})


# --- Reading rows as the consumer (the data API) --------------------------------------------------------

ROW_BATCH = 2000


def iter_rows(target: ServingTarget, *, principal: str, columns: list[str], filters: dict[str, list[str]],
              offset: int, limit: int) -> Iterator[tuple]:
    """Rows of the product's table as ``principal`` sees them: PostgreSQL runs the query after ``SET ROLE``
    so its policy decides; the embedded engine adds the same entitlements as a WHERE clause.

    ``filters`` compare as text (like the policies); rows come in a stable order (the first columns), read
    with a server-side cursor so large results stream."""
    if target.engine == "postgres":
        yield from _iter_postgres(target, principal, columns, filters, offset, limit)
    elif target.engine == "embedded":
        yield from _iter_embedded(target, principal, columns, filters, offset, limit)
    else:
        raise ServingError(f"The data API does not serve {target.engine} products.")


def _iter_postgres(target, principal, columns, filters, offset, limit):
    from psycopg import sql

    table = sql.Identifier(target.table.schema, target.table.table)
    params: list = []
    conditions = []
    for column, values in filters.items():
        conditions.append(sql.SQL("CAST({} AS text) = ANY(%s)").format(sql.Identifier(column)))
        params.append(list(values))
    where = sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("TRUE")
    order = sql.SQL(", ").join(sql.Literal(i + 1) for i in range(min(len(columns), 3)))
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT %s OFFSET %s").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), table, where, order
    )
    with connect(target) as conn, conn.transaction():
        try:
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(check_identifier(principal, "Principal"))))
        except (psycopg.errors.InvalidParameterValue, psycopg.errors.InsufficientPrivilege) as error:
            raise ServingError(f"The consumer's database role is missing: {error.diag.message_primary}") from None
        with conn.cursor(name="loom_data_api") as cur:
            cur.itersize = ROW_BATCH
            cur.execute(query, [*params, limit, offset])
            yield from cur


def _iter_embedded(target, principal, columns, filters, offset, limit):
    from marketplace.rls import engine_for
    from marketplace.rls.compose import SQL, SQLITE, Identifier, Placeholder

    with connect(target) as conn:
        rls = engine_for("embedded", conn)
        visible, params = rls.where_clause(target.table, principal)
        conditions = [visible]
        for column, values in filters.items():
            holes = SQL(", ").join(Placeholder() for _ in values)
            conditions.append(SQL("CAST({} AS TEXT) IN ({})").format(Identifier(target.table.table, column), holes))
            params.extend(values)
        order = SQL(", ").join(SQL(str(i + 1)) for i in range(min(len(columns), 3)))
        query = SQL("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {} OFFSET {}").format(
            SQL(", ").join(Identifier(target.table.table, c) for c in columns),
            Identifier(target.table.schema, target.table.table), SQL(" AND ").join(conditions), order,
            Placeholder(), Placeholder(),
        )
        cur = conn.execute(query.as_string(SQLITE), [*params, limit, offset])
        while batch := cur.fetchmany(ROW_BATCH):
            yield from batch
