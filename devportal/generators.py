"""Code generated from a product's schema: snippets that call its data API, and DTOs for its rows.

Every generator takes plain values (``ProductSpec``), so they are pure functions of the schema and
the target (base URL and key header). Types come from ``marketplace.apim.openapi.json_type``, the
same mapping the OpenAPI document uses, so every artefact agrees with the data API's JSON: integers
and floats are numbers, exact decimals are strings, dates and times ISO 8601 strings.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass

from marketplace.apim.openapi import DEFAULT_LIMIT, json_type, rows_path, schema_name


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    is_nullable: bool = True
    is_scopable: bool = False
    description: str = ""


@dataclass(frozen=True)
class ProductSpec:
    name: str
    slug: str
    columns: tuple[Column, ...]
    row_type: str
    path: str

    @classmethod
    def of(cls, product) -> ProductSpec:
        columns = tuple(
            Column(c.name, c.data_type, c.is_nullable, c.is_scopable, c.description) for c in product.columns.all()
        )
        return cls(product.name, product.slug, columns, schema_name(product), rows_path(product))

    @property
    def page_type(self) -> str:
        return self.row_type[: -len("Row")] + "Page" if self.row_type.endswith("Row") else self.row_type + "Page"

    @property
    def first_filter(self) -> Column | None:
        return next((c for c in self.columns if c.is_scopable), None)


@dataclass(frozen=True)
class Target:
    """Where the snippets send their calls: the portal's data API or the APIM gateway."""

    base_url: str
    key_header: str = "X-Api-Key"
    label: str = "Loom data API"


@dataclass(frozen=True)
class Artefact:
    filename: str
    content_type: str
    text: str
    label: str
    language: str


# --- identifiers ----------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", name) or ["value"]


def python_name(name: str) -> str:
    ident = "_".join(w.lower() for w in _words(name))
    if ident[0].isdigit():
        ident = "f_" + ident
    if keyword.iskeyword(ident) or ident in {"model_config", "model_fields"}:
        ident += "_"
    return ident


def pascal_name(name: str) -> str:
    ident = "".join(w[:1].upper() + w[1:] for w in _words(name))
    return "F" + ident if ident[0].isdigit() else ident


_TS_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _ts_key(name: str) -> str:
    return name if _TS_IDENT.match(name) else json.dumps(name)


def _js_string(value: str) -> str:
    return json.dumps(value)


def _ps_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _cs_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sh_single(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _url(target: Target, spec: ProductSpec) -> str:
    return target.base_url.rstrip("/") + spec.path


# --- snippets --------------------------------------------------------------------------------


def snippet_curl(spec: ProductSpec, target: Target) -> str:
    example = spec.first_filter
    filter_line = (
        f"# Only some rows: add ?{example.name}=<value> (any scopable column), e.g. &{example.name}=...\n"
        if example else ""
    )
    return (
        "#!/bin/sh\n"
        f"# {spec.name}: the rows your grant allows, as JSON ({target.label}).\n"
        "# Set LOOM_API_KEY to your key; LOOM_BASE_URL overrides the address.\n"
        f"{filter_line}"
        "set -eu\n"
        f"BASE_URL=\"${{LOOM_BASE_URL:-{target.base_url.rstrip('/')}}}\"\n"
        f"curl --fail-with-body -sS \\\n"
        f"  -H \"{target.key_header}: $LOOM_API_KEY\" \\\n"
        "  -H 'Accept: application/json' \\\n"
        f"  \"$BASE_URL{spec.path}?limit={DEFAULT_LIMIT}\"\n"
    )


def snippet_python(spec: ProductSpec, target: Target) -> str:
    example = spec.first_filter
    hint = f"    # e.g. fetch_rows({python_name(example.name)}=...) filters on {example.name}\n" if example else ""
    return f'''"""{spec.name}: the rows your grant allows ({target.label}). Needs: pip install requests."""

import os

import requests

BASE_URL = os.environ.get("LOOM_BASE_URL", {json.dumps(target.base_url.rstrip("/"))})
API_KEY = os.environ["LOOM_API_KEY"]
ROWS_URL = BASE_URL + {json.dumps(spec.path)}


def fetch_rows(limit={DEFAULT_LIMIT}, **filters):
    """Yield every row, page after page (filters: column=value on scopable columns)."""
    params = {{"limit": limit, **filters}}
    while True:
        response = requests.get(
            ROWS_URL,
            headers={{{json.dumps(target.key_header)}: API_KEY, "Accept": "application/json"}},
            params=params,
            timeout=30,
        )
        response.raise_for_status()
        page = response.json()
        yield from page["rows"]
        if not page["next_cursor"]:
            return
        params["cursor"] = page["next_cursor"]


if __name__ == "__main__":
{hint}    for row in fetch_rows():
        print(row)
'''


def snippet_typescript(spec: ProductSpec, target: Target) -> str:
    fields = "\n".join(f"  {_ts_key(c.name)}: {_ts_type(c)};" for c in spec.columns)
    return f"""// {spec.name}: the rows your grant allows ({target.label}).
// Node 18+ or a browser; set LOOM_API_KEY (and optionally LOOM_BASE_URL).
declare const process: {{ env: Record<string, string | undefined> }};

export interface {spec.row_type} {{
{fields}
}}

export interface {spec.page_type} {{
  product: string;
  rows: {spec.row_type}[];
  next_cursor: string | null;
}}

const BASE_URL: string = process.env.LOOM_BASE_URL ?? {_js_string(target.base_url.rstrip("/"))};
const API_KEY: string = process.env.LOOM_API_KEY ?? "";

export async function* fetchRows(
  filters: Record<string, string> = {{}},
  limit = {DEFAULT_LIMIT},
): AsyncGenerator<{spec.row_type}> {{
  let cursor: string | null = null;
  do {{
    const params = new URLSearchParams({{ ...filters, limit: String(limit) }});
    if (cursor) params.set("cursor", cursor);
    const response = await fetch(`${{BASE_URL}}{spec.path}?${{params}}`, {{
      headers: {{ {_js_string(target.key_header)}: API_KEY, Accept: "application/json" }},
    }});
    if (!response.ok) throw new Error(`${{response.status}} ${{await response.text()}}`);
    const page = (await response.json()) as {spec.page_type};
    for (const row of page.rows) yield row;
    cursor = page.next_cursor;
  }} while (cursor);
}}

export async function main(): Promise<void> {{
  for await (const row of fetchRows()) console.log(row);
}}
"""


def snippet_powershell(spec: ProductSpec, target: Target) -> str:
    return f"""# {spec.name}: the rows your grant allows ({target.label}).
# Set $env:LOOM_API_KEY first; $env:LOOM_BASE_URL overrides the address.
$BaseUrl = if ($env:LOOM_BASE_URL) {{ $env:LOOM_BASE_URL }} else {{ {_ps_string(target.base_url.rstrip("/"))} }}
$Headers = @{{ {_ps_string(target.key_header)} = $env:LOOM_API_KEY; 'Accept' = 'application/json' }}
$Query = @{{ limit = {DEFAULT_LIMIT} }}
do {{
    $Page = Invoke-RestMethod -Method Get -Uri ($BaseUrl + {_ps_string(spec.path)}) -Headers $Headers -Body $Query
    $Page.rows | ForEach-Object {{ $_ }}
    $Query['cursor'] = $Page.next_cursor
}} while ($Page.next_cursor)
"""


def snippet_csharp(spec: ProductSpec, target: Target) -> str:
    return f"""// {spec.name}: the rows your grant allows ({target.label}). .NET 8: dotnet run
// Set LOOM_API_KEY (and optionally LOOM_BASE_URL).
using System.Net.Http.Json;
using System.Text.Json;

var baseUrl = Environment.GetEnvironmentVariable("LOOM_BASE_URL") ?? {_cs_string(target.base_url.rstrip("/"))};
using var http = new HttpClient();
http.DefaultRequestHeaders.Add({_cs_string(target.key_header)}, Environment.GetEnvironmentVariable("LOOM_API_KEY"));
http.DefaultRequestHeaders.Add("Accept", "application/json");

string? cursor = null;
do
{{
    var url = $"{{baseUrl}}{spec.path}?limit={DEFAULT_LIMIT}" + (cursor is null ? "" : $"&cursor={{Uri.EscapeDataString(cursor)}}");
    var page = await http.GetFromJsonAsync<JsonElement>(url);
    foreach (var row in page.GetProperty("rows").EnumerateArray())
        Console.WriteLine(row);
    cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.String
        ? page.GetProperty("next_cursor").GetString()
        : null;
}} while (cursor is not null);
"""


# --- DTOs --------------------------------------------------------------------------------------


def _python_type(column: Column) -> str:
    schema = json_type(column.data_type)
    kind, fmt = schema["type"], schema.get("format")
    base = {
        ("integer", "int64"): "int",
        ("number", None): "float",
        ("boolean", None): "bool",
        ("string", "decimal"): "Decimal",
        ("string", "date-time"): "datetime.datetime",
        ("string", "date"): "datetime.date",
        ("string", "time"): "datetime.time",
        ("string", "uuid"): "uuid.UUID",
        ("object", None): "dict[str, Any]",
        ("array", None): "list[Any]",
    }.get((kind, fmt), "str")
    return f"Optional[{base}]" if column.is_nullable else base


def dto_pydantic(spec: ProductSpec) -> str:
    lines = []
    for c in spec.columns:
        ident = python_name(c.name)
        annotation = _python_type(c)
        args = []
        if c.is_nullable:
            args.append("default=None")
        if ident != c.name:
            args.append(f"alias={json.dumps(c.name)}")
        if c.description:
            args.append(f"description={json.dumps(c.description)}")
        value = f" = Field({', '.join(args)})" if args else ""
        lines.append(f"    {ident}: {annotation}{value}")
    body = "\n".join(lines) or "    pass"
    return f'''"""Rows of {spec.name} as returned by the Loom data API (generated by Loom Portal; pydantic 2)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field


class {spec.row_type}(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

{body}


class {spec.page_type}(BaseModel):
    product: str
    rows: list[{spec.row_type}]
    next_cursor: Optional[str] = None
'''


def _ts_type(column: Column) -> str:
    kind = json_type(column.data_type)["type"]
    base = {"integer": "number", "number": "number", "boolean": "boolean", "object": "Record<string, unknown>",
            "array": "unknown[]"}.get(kind, "string")
    return f"{base} | null" if column.is_nullable else base


def dto_typescript(spec: ProductSpec) -> str:
    fields = []
    for c in spec.columns:
        if c.description:
            fields.append(f"  /** {c.description.replace('*/', '* /')} */")
        fields.append(f"  {_ts_key(c.name)}: {_ts_type(c)};")
    return f"""/** Rows of {spec.name} as returned by the Loom data API (generated by Loom Portal). */
export interface {spec.row_type} {{
{chr(10).join(fields)}
}}

export interface {spec.page_type} {{
  product: string;
  rows: {spec.row_type}[];
  next_cursor: string | null;
}}
"""


def _cs_type(column: Column) -> tuple[str, str]:
    """(type, extra attribute) for a C# property."""
    schema = json_type(column.data_type)
    kind, fmt = schema["type"], schema.get("format")
    if (kind, fmt) == ("string", "decimal"):
        return "decimal", "[property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] "
    base = {
        ("integer", "int64"): "long",
        ("number", None): "double",
        ("boolean", None): "bool",
        ("string", "date-time"): "DateTimeOffset",
        ("string", "date"): "DateOnly",
        ("string", "time"): "TimeOnly",
        ("string", "uuid"): "Guid",
        ("object", None): "JsonElement",
        ("array", None): "JsonElement",
    }.get((kind, fmt), "string")
    return base, ""


def dto_csharp(spec: ProductSpec) -> str:
    params = []
    for c in spec.columns:
        cs_type, extra = _cs_type(c)
        nullable = "?" if c.is_nullable else ""
        params.append(f"    {extra}[property: JsonPropertyName({_cs_string(c.name)})] {cs_type}{nullable} {pascal_name(c.name)}")
    return f"""// Rows of {spec.name} as returned by the Loom data API (generated by Loom Portal; System.Text.Json).
using System.Text.Json;
using System.Text.Json.Serialization;

public sealed record {spec.row_type}(
{("," + chr(10)).join(params)}
);

public sealed record {spec.page_type}(
    [property: JsonPropertyName("product")] string Product,
    [property: JsonPropertyName("rows")] IReadOnlyList<{spec.row_type}> Rows,
    [property: JsonPropertyName("next_cursor")] string? NextCursor
);
"""


def _json_schema_column(column: Column) -> dict:
    schema = dict(json_type(column.data_type))
    if column.is_nullable:
        schema["type"] = [schema["type"], "null"]
    if column.description:
        schema["description"] = column.description
    return schema


def json_schema(spec: ProductSpec, *, base_url: str = "") -> dict:
    """JSON Schema (2020-12) of one page of the data API, the row under ``$defs``."""
    row = {
        "type": "object",
        "properties": {c.name: _json_schema_column(c) for c in spec.columns},
        "required": [c.name for c in spec.columns if not c.is_nullable],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url.rstrip('/')}/developers/apis/{spec.slug}/dto/jsonschema",
        "title": f"{spec.name}: a page of rows",
        "type": "object",
        "required": ["product", "rows", "next_cursor"],
        "properties": {
            "product": {"const": spec.slug},
            "rows": {"type": "array", "items": {"$ref": f"#/$defs/{spec.row_type}"}},
            "next_cursor": {"type": ["string", "null"]},
        },
        "additionalProperties": False,
        "$defs": {spec.row_type: row},
    }


_SAFE_SQL_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9 _]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?(\[\])?$")


def _sql_type(column: Column) -> str:
    """The column's own type when it is a plain type name; otherwise one derived from the JSON type."""
    if _SAFE_SQL_TYPE.match(column.data_type.strip()):
        return column.data_type.strip()
    schema = json_type(column.data_type)
    return {"integer": "bigint", "number": "double precision", "boolean": "boolean", "object": "jsonb"}.get(
        schema["type"], "text"
    )


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dto_sql(spec: ProductSpec) -> str:
    columns = ",\n".join(
        f"    {_sql_ident(c.name)} {_sql_type(c)}{'' if c.is_nullable else ' NOT NULL'}" for c in spec.columns
    )
    table = spec.slug.replace("-", "_")
    return (
        f"-- Rows of {spec.name} (generated by Loom Portal; PostgreSQL dialect).\n"
        f"CREATE TABLE {_sql_ident(table)} (\n{columns}\n);\n"
    )


# --- the menu ------------------------------------------------------------------------------------

SNIPPETS = {
    "curl": ("curl", "sh", "text/x-shellscript", snippet_curl),
    "python": ("Python (requests)", "py", "text/x-python", snippet_python),
    "typescript": ("TypeScript (fetch)", "ts", "text/plain", snippet_typescript),
    "powershell": ("PowerShell", "ps1", "text/plain", snippet_powershell),
    "csharp": ("C# (HttpClient)", "cs", "text/plain", snippet_csharp),
}

DTOS = {
    "pydantic": ("Pydantic model", "py", "text/x-python"),
    "typescript": ("TypeScript interface", "ts", "text/plain"),
    "csharp": ("C# record", "cs", "text/plain"),
    "jsonschema": ("JSON Schema", "schema.json", "application/schema+json"),
    "sql": ("SQL DDL", "sql", "application/sql"),
}


def snippet(kind: str, spec: ProductSpec, target: Target) -> Artefact:
    label, ext, content_type, build = SNIPPETS[kind]
    return Artefact(f"{spec.slug}.{ext}", content_type, build(spec, target), label, kind)


def dto(kind: str, spec: ProductSpec, *, base_url: str = "") -> Artefact:
    label, ext, content_type = DTOS[kind]
    if kind == "pydantic":
        text = dto_pydantic(spec)
    elif kind == "typescript":
        text = dto_typescript(spec)
    elif kind == "csharp":
        text = dto_csharp(spec)
    elif kind == "jsonschema":
        text = json.dumps(json_schema(spec, base_url=base_url), indent=2) + "\n"
    else:
        text = dto_sql(spec)
    return Artefact(f"{spec.slug.replace('-', '_')}_row.{ext}", content_type, text, label, kind)
