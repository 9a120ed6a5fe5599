"""Access fixtures: a real serving PostgreSQL database with ``sales.orders`` and a product that points at it.

The serving database is created once per test session (and dropped after); the consumers' database roles
carry a prefix unique to the session, so parallel runs on one server never share a role.
"""

import os
import uuid

import psycopg
import pytest
from psycopg import sql

from marketplace import services
from tests import factories

ORDERS = [
    (1, "EMEA", "DE", 10),
    (2, "EMEA", "FR", 20),
    (3, "EMEA", "DE", 30),
    (4, "APAC", "JP", 40),
    (5, "APAC", "AU", 50),
    (6, "AMER", "US", 60),
]
ORDER_COLUMNS = [
    {"name": "id", "data_type": "integer"},
    {"name": "region", "data_type": "text", "is_scopable": True},
    {"name": "country", "data_type": "text", "is_scopable": True},
    {"name": "amount", "data_type": "numeric", "classification": "financial"},
]


def _conninfo(dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(os.environ["DATABASE_URL"], dbname=dbname)


def _url(dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(_conninfo(dbname))
    return "postgres://{user}:{password}@{host}:{port}/{dbname}".format(**{"password": "", "port": 5432, **info})


@pytest.fixture(scope="session")
def serving_database():
    """A fresh serving database for the session and the role prefix of its consumers."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL (make test)")
    suffix = uuid.uuid4().hex[:8]
    name = f"loom_serving_{suffix}"
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name, f"srv_{suffix}_u"
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        for (role,) in admin.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)",
                                     (f"srv_{suffix}_u",)).fetchall():
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def serving(serving_database, settings):
    """The serving database configured as ``sales`` with ``sales.orders`` freshly filled; yields an owner's
    connection for the test to look at (or tamper with) what the engine wrote."""
    name, prefix = serving_database
    settings.SERVING_DATABASES = {"sales": _url(name)}
    settings.RLS_PRINCIPAL_PREFIX = prefix
    with psycopg.connect(_conninfo(name), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS sales CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS loom_rls CASCADE")
        conn.execute("CREATE SCHEMA sales")
        conn.execute("CREATE TABLE sales.orders (id int PRIMARY KEY, region text, country text, amount numeric)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO sales.orders VALUES (%s, %s, %s, %s)", ORDERS)
        yield conn


@pytest.fixture
def orders_product(serving, platform_owner, domain):
    """A published General product served by the live PostgreSQL engine."""
    product = services.product_create(
        actor=platform_owner, domain=domain, name="Sales orders", sensitivity="general",
        source_engine="postgres", source_database="sales", source_schema="sales", source_table="orders",
        columns=ORDER_COLUMNS,
    )
    return services.product_publish(actor=platform_owner, product=product)


@pytest.fixture
def product_steward(tenant, platform_owner, orders_product):
    from marketplace.choices import ProductRole

    user = factories.make_user(tenant, "orders.steward@contoso.example")
    services.product_assign_role(actor=platform_owner, product=orders_product, user=user, role=ProductRole.STEWARD)
    return user


def rows_seen_by(conn, principal: str) -> list[tuple]:
    """What ``principal`` sees in sales.orders (a rolled-back transaction with SET ROLE)."""
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(principal)))
        return conn.execute("SELECT id, region FROM sales.orders ORDER BY id").fetchall()
