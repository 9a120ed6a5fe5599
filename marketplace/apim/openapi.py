"""The OpenAPI 3 document of a product's data API, generated from its columns.

``GET /data/v1/products/{slug}/rows`` with ``limit`` (1..1000, default 100), an opaque ``cursor`` and
one optional equality filter per scopable column; JSON (``{"product", "rows", "next_cursor"}``) or
CSV. The row schema comes from the columns, with SQL types mapped to JSON Schema by ``json_type``.
The same mapping feeds the devportal generators, so every artefact agrees on the types.
"""

from __future__ import annotations

import hashlib
import json
import re

ROWS_PATH = "/data/v1/products/{slug}/rows"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

_INTEGER = re.compile(r"^(big|small|tiny|medium)?int(eger)?\d*\b|^(big|small)?serial\b|^long\b|^short\b|^byte\b")
# Exact decimals travel as strings ("10.50") so no precision is lost; binary floats as JSON numbers.
_DECIMAL = re.compile(r"^(numeric|decimal|number|money|smallmoney)\b")
_NUMBER = re.compile(r"^(float\d*|double( precision)?|real)\b")
_BINARY = re.compile(r"^(bytea|binary|varbinary|blob|image)\b")
_BOOLEAN = re.compile(r"^(bool(ean)?|bit)\b")
_DATE = re.compile(r"^date$")
_DATETIME = re.compile(r"^(timestamp|datetime\d*|datetimeoffset|smalldatetime|timestamptz)\b")
_TIME = re.compile(r"^time\b")
_UUID = re.compile(r"^(uuid|uniqueidentifier)\b")
_JSON = re.compile(r"^(json|jsonb|variant|object|map|struct)\b")
_ARRAY = re.compile(r"(^array\b|\[\]$)")


def json_type(data_type: str) -> dict:
    """JSON Schema for a SQL column type, as the data API serialises it: integers and floats as numbers,
    exact decimals as strings, dates and times as ISO 8601 strings, binary as hex. Unknown types are strings."""
    t = (data_type or "").strip().lower()
    if _ARRAY.search(t):
        return {"type": "array", "items": {}}
    if _INTEGER.match(t):
        return {"type": "integer", "format": "int64"}
    if _DECIMAL.match(t):
        return {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
    if _NUMBER.match(t):
        return {"type": "number"}
    if _BINARY.match(t):
        return {"type": "string", "format": "hex"}
    if _BOOLEAN.match(t):
        return {"type": "boolean"}
    if _DATETIME.match(t):
        return {"type": "string", "format": "date-time"}
    if _DATE.match(t):
        return {"type": "string", "format": "date"}
    if _TIME.match(t):
        return {"type": "string", "format": "time"}
    if _UUID.match(t):
        return {"type": "string", "format": "uuid"}
    if _JSON.match(t):
        return {"type": "object"}
    return {"type": "string"}


def column_schema(column) -> dict:
    schema = dict(json_type(column.data_type))
    if column.description:
        schema["description"] = column.description
    if column.is_nullable:
        schema["nullable"] = True
    return schema


def row_schema(columns) -> dict:
    """The schema of one row: every column, required when not nullable."""
    columns = list(columns)
    schema = {
        "type": "object",
        "properties": {c.name: column_schema(c) for c in columns},
        "additionalProperties": False,
    }
    required = [c.name for c in columns if not c.is_nullable]
    if required:
        schema["required"] = required
    return schema


def schema_name(product) -> str:
    """A PascalCase identifier for the product's row type (GeneralLedgerEntriesRow)."""
    words = re.findall(r"[A-Za-z0-9]+", product.name) or ["Product"]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if name[0].isdigit():
        name = "P" + name
    return f"{name}Row"


def rows_path(product) -> str:
    return ROWS_PATH.replace("{slug}", product.slug)


def product_openapi(product, *, server_url: str, key_header: str = "X-Api-Key") -> dict:
    """The OpenAPI 3.0 document of ``product``'s data API (columns from ``product.columns``)."""
    columns = list(product.columns.all())
    scopable = [c for c in columns if c.is_scopable]
    row = schema_name(product)
    parameters = [
        {"name": "limit", "in": "query", "required": False, "description": "Rows per page.",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        {"name": "cursor", "in": "query", "required": False,
         "description": "The next_cursor of the previous page (opaque).", "schema": {"type": "string"}},
    ] + [
        {"name": c.name, "in": "query", "required": False,
         "description": f"Only rows whose {c.name} equals this value.", "schema": json_type(c.data_type)}
        for c in scopable
    ]
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{product.name} data API",
            "version": str(product.version),
            "description": (product.description or "").strip()[:2000] or f"Rows of the {product.name} data product.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            rows_path(product): {
                "get": {
                    "operationId": "listRows",
                    "summary": f"Rows of {product.name} you are entitled to",
                    "parameters": parameters,
                    "responses": {
                        "200": {
                            "description": "A page of rows.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/RowsPage"}},
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "400": {"description": "A parameter is invalid.", **error},
                        "401": {"description": "No credentials were sent.", **error},
                        "403": {"description": "No active grant on this product.", **error},
                        "404": {"description": "No such product.", **error},
                        "429": {"description": "Rate limit or quota exceeded."},
                    },
                }
            }
        },
        "components": {
            "schemas": {
                row: row_schema(columns),
                "RowsPage": {
                    "type": "object",
                    "required": ["product", "rows", "next_cursor"],
                    "properties": {
                        "product": {"type": "string", "example": product.slug},
                        "rows": {"type": "array", "items": {"$ref": f"#/components/schemas/{row}"}},
                        "next_cursor": {"type": "string", "nullable": True},
                    },
                },
                "Error": {"type": "object", "properties": {"detail": {"type": "string"}}},
            },
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": key_header}},
        },
        "security": [{"apiKey": []}],
    }


def document_bytes(document: dict) -> bytes:
    """The canonical serialisation (sorted keys) that is imported and hashed."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def document_sha256(document: dict) -> str:
    return hashlib.sha256(document_bytes(document)).hexdigest()
