"""A serving PostgreSQL database of its own (created per test session, dropped after) with ``sales.orders``."""

import os
import uuid

import psycopg
import pytest
from psycopg import sql

from marketplace.rls import ProtectedTable
from marketplace.rls.postgres import PostgresEngine

ORDERS = [
    (1, "EMEA", "DE", 10),
    (2, "EMEA", "FR", 20),
    (3, "EMEA", "DE", 30),
    (4, "APAC", "JP", 40),
    (5, "APAC", "AU", 50),
    (6, "AMER", "US", 60),
    (7, None, "US", 70),
]


def _conninfo(dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(os.environ["DATABASE_URL"], dbname=dbname)


@pytest.fixture(scope="session")
def serving_database():
    """A fresh database (and a prefix for the cluster-wide roles the tests create), removed at the end."""
    suffix = uuid.uuid4().hex[:8]
    name, role_prefix = f"loom_rls_serving_{suffix}", f"rls_{suffix}_"
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield _conninfo(name), role_prefix
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        roles = admin.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (role_prefix,)).fetchall()
        for (role,) in roles:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def serving(serving_database):
    """An owner's connection to the serving database with ``sales.orders`` freshly created and filled."""
    dsn, _ = serving_database
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS sales CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS loom_rls CASCADE")
        conn.execute("CREATE SCHEMA sales")
        conn.execute("CREATE TABLE sales.orders (id int PRIMARY KEY, region text, country text, amount numeric)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO sales.orders VALUES (%s, %s, %s, %s)", ORDERS)
        yield conn


@pytest.fixture
def orders_table(serving_database):
    return ProtectedTable("postgres", "serving", "sales", "orders", ("region", "country"))


@pytest.fixture
def engine(serving, orders_table):
    engine = PostgresEngine(serving)
    engine.protect(orders_table)
    return engine


@pytest.fixture
def principal(serving_database, engine, orders_table):
    """``principal("alice")`` creates a consumer role (unique to this test session) that may read orders."""
    _, prefix = serving_database

    def make(name: str, **kwargs) -> str:
        role = prefix + name
        engine.ensure_principal(role, orders_table, **kwargs)
        return role

    return make


def rows_as(conn, role: str) -> list[int]:
    """The order ids ``role`` sees, queried after SET ROLE like the data API does."""
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        ids = [row[0] for row in conn.execute("SELECT id FROM sales.orders ORDER BY id").fetchall()]
        conn.execute("RESET ROLE")
    return ids
