"""Registering a product by introspecting a real PostgreSQL table through its own connection (DSN)."""

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from psycopg import sql

from loom_portal.models import AuditEvent
from marketplace import services
from marketplace.choices import ProductKind, SourceEngine
from marketplace.models import DataProduct
from tests.conftest import requires_postgres

SCHEMA = "catalog_src"


def _dsn() -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    )


@pytest.fixture
def source_table(db):
    """A schema, table and view committed in the test database through a separate connection."""
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL(
            "CREATE TABLE {}.sales_orders (order_id bigint PRIMARY KEY, region varchar(40) NOT NULL, "
            "country char(2), amount numeric(12,2), tags text[], ordered_at timestamptz)"
        ).format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL("COMMENT ON TABLE {}.sales_orders IS 'One row per customer order.'").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL("COMMENT ON COLUMN {}.sales_orders.region IS 'Sales region'").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL("CREATE VIEW {}.orders_by_region AS SELECT region, count(*) AS orders FROM {}.sales_orders GROUP BY region")
                     .format(sql.Identifier(SCHEMA), sql.Identifier(SCHEMA)))
    yield _dsn()
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))


@requires_postgres
@pytest.mark.django_db
def test_a_table_is_registered_with_its_columns_types_and_comments(source_table, platform_owner, domain):
    product = services.product_register_from_postgres(
        actor=platform_owner, domain=domain, dsn=source_table, schema=SCHEMA, table="sales_orders",
        scopable_columns=["region", "country"], classifications={"amount": "financial"},
    )
    assert (product.name, product.kind, product.source_engine) == ("Sales orders", ProductKind.TABLE, SourceEngine.POSTGRES)
    assert product.location == f"{settings.DATABASES['default']['NAME']}.{SCHEMA}.sales_orders"
    assert product.description == "One row per customer order."
    columns = [(c.name, c.data_type, c.is_nullable, c.is_scopable, c.classification, c.description)
               for c in product.columns.all()]
    assert columns == [
        ("order_id", "bigint", False, False, "", ""),
        ("region", "character varying(40)", False, True, "", "Sales region"),
        ("country", "character(2)", True, True, "", ""),
        ("amount", "numeric(12,2)", True, False, "financial", ""),
        ("tags", "text[]", True, False, "", ""),
        ("ordered_at", "timestamp with time zone", True, False, "", ""),
    ]
    event = AuditEvent.objects.get(action="product.registered_from_postgres")
    assert event.data["columns"] == 6 and event.data["table"] == "sales_orders"


@requires_postgres
@pytest.mark.django_db
def test_a_view_is_registered_as_a_view(source_table, platform_owner, domain):
    product = services.product_register_from_postgres(
        actor=platform_owner, domain=domain, dsn=source_table, schema=SCHEMA, table="orders_by_region", name="Orders by region"
    )
    assert product.kind == ProductKind.VIEW
    assert list(product.columns.values_list("name", "data_type")) == [("region", "character varying(40)"), ("orders", "bigint")]


@requires_postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({"table": "no_such_table"}, "table", "No table or view catalog_src.no_such_table"),
        ({"schema": ""}, "schema", "Give the schema"),
        ({"dsn": "host=127.0.0.1 port=1 dbname=x connect_timeout=2"}, "dsn", "Could not connect"),
        ({"dsn": "this is = not a = dsn"}, "dsn", "malformed"),
        ({"scopable_columns": ["postcode"]}, "scopable_columns", "no column 'postcode'"),
    ],
)
def test_a_bad_source_is_refused_naming_the_field_and_nothing_is_saved(
    source_table, platform_owner, domain, kwargs, field, says
):
    values = {"dsn": source_table, "schema": SCHEMA, "table": "sales_orders", **kwargs}
    with pytest.raises(ValidationError) as refused:
        services.product_register_from_postgres(actor=platform_owner, domain=domain, **values)
    assert says in refused.value.message_dict[field][0]
    assert not DataProduct.objects.exists()


@requires_postgres
@pytest.mark.django_db
def test_a_consumer_cannot_register_from_a_source(source_table, consumer, domain):
    with pytest.raises(PermissionError):
        services.product_register_from_postgres(actor=consumer, domain=domain, dsn=source_table, schema=SCHEMA, table="sales_orders")
    assert not DataProduct.objects.exists()
