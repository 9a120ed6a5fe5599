"""Onboarding a product from its source: PostgreSQL introspection through a separate connection."""

from __future__ import annotations

import psycopg
from django.core.exceptions import ValidationError
from django.db import transaction

from loom_portal import audit, authz
from marketplace.choices import ProductKind, SourceEngine
from marketplace.models import DataProduct
from marketplace.services.products import product_create

# --- Onboarding from a PostgreSQL source -----------------------------------------------

_TABLE_SQL = """
SELECT t.table_type, c.oid
FROM information_schema.tables t
JOIN pg_catalog.pg_namespace n ON n.nspname = t.table_schema
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
WHERE t.table_schema = %s AND t.table_name = %s
"""
_COLUMNS_SQL = """
SELECT column_name, data_type, udt_name, character_maximum_length, numeric_precision, numeric_scale,
       is_nullable, pg_catalog.col_description(%s, ordinal_position)
FROM information_schema.columns
WHERE table_schema = %s AND table_name = %s
ORDER BY ordinal_position
"""


def _pg_type(data_type, udt_name, length, precision, scale) -> str:
    if data_type in ("character varying", "character") and length:
        return f"{data_type}({length})"
    if data_type == "numeric" and precision is not None:
        return f"numeric({precision},{scale or 0})"
    if data_type == "ARRAY":
        return f"{udt_name.lstrip('_')}[]"
    if data_type == "USER-DEFINED":
        return udt_name
    return data_type


def introspect_postgres(*, dsn: str, schema: str, table: str) -> dict:
    """Read a table's or view's kind, comment and columns from the source's catalog (read-only session)."""
    errors = {}
    if not (dsn or "").strip():
        errors["dsn"] = "Give the connection string of the source database."
    if not (schema or "").strip():
        errors["schema"] = "Give the schema of the table."
    if not (table or "").strip():
        errors["table"] = "Give the table or view name."
    if errors:
        raise ValidationError(errors)
    try:
        psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ValidationError({"dsn": f"The connection string is malformed: {str(exc).splitlines()[0]}"}) from exc
    try:
        with psycopg.connect(dsn, connect_timeout=5, autocommit=False) as conn:
            conn.read_only = True
            with conn.cursor() as cur:
                cur.execute(_TABLE_SQL, (schema, table))
                found = cur.fetchone()
                if found is None:
                    raise ValidationError({"table": f"No table or view {schema}.{table} in database {conn.info.dbname}."})
                table_type, oid = found
                cur.execute("SELECT pg_catalog.obj_description(%s, 'pg_class')", (oid,))
                comment = cur.fetchone()[0] or ""
                cur.execute(_COLUMNS_SQL, (oid, schema, table))
                rows = cur.fetchall()
            database = conn.info.dbname
    except psycopg.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["connection failed"])[-1]
        raise ValidationError({"dsn": f"Could not connect to the source database: {first}"}) from exc
    except psycopg.Error as exc:
        raise ValidationError({"table": f"Could not read the table's columns: {str(exc).splitlines()[0]}"}) from exc
    columns = [
        {
            "name": name,
            "data_type": _pg_type(data_type, udt, length, precision, scale),
            "is_nullable": nullable == "YES",
            "description": description or "",
        }
        for name, data_type, udt, length, precision, scale, nullable, description in rows
    ]
    return {
        "kind": ProductKind.VIEW if table_type == "VIEW" else ProductKind.TABLE,
        "database": database,
        "comment": comment,
        "columns": columns,
    }


@transaction.atomic
def product_register_from_postgres(
    *,
    actor,
    domain,
    dsn: str,
    schema: str,
    table: str,
    name: str = "",
    scopable_columns=(),
    classifications: dict | None = None,
    **fields,
) -> DataProduct:
    """Register a draft product whose schema is read from a PostgreSQL table or view."""
    if not authz.can(actor, "marketplace.add_dataproduct"):
        raise PermissionError("Only platform owners and the owners or stewards of a domain register data products.")
    found = introspect_postgres(dsn=dsn, schema=schema, table=table)
    names = {c["name"] for c in found["columns"]}
    unknown = [c for c in list(scopable_columns) + list(classifications or {}) if c not in names]
    if unknown:
        raise ValidationError({"scopable_columns": f"{schema}.{table} has no column {unknown[0]!r}."})
    for column in found["columns"]:
        column["is_scopable"] = column["name"] in scopable_columns
        column["classification"] = (classifications or {}).get(column["name"], "")
    fields.setdefault("description", found["comment"])
    product = product_create(
        actor=actor,
        domain=domain,
        name=name or table.replace("_", " ").capitalize(),
        kind=found["kind"],
        source_engine=SourceEngine.POSTGRES,
        source_database=found["database"],
        source_schema=schema,
        source_table=table,
        columns=found["columns"],
        **fields,
    )
    audit.record(actor=actor, action="product.registered_from_postgres", target=product,
                 data={"database": found["database"], "schema": schema, "table": table, "columns": len(found["columns"])})
    return product
