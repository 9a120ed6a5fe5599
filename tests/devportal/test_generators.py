"""Snippets and DTOs generated from a product's schema are valid code that matches the data API's output."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest

from devportal import generators
from devportal.generators import Column, ProductSpec, Target

TRICKY = ProductSpec(
    name="Sales orders",
    slug="sales-orders",
    row_type="SalesOrdersRow",
    path="/data/v1/products/sales-orders/rows",
    columns=(
        Column("id", "integer", is_nullable=False),
        Column("region", "text", is_scopable=True),
        Column("amount", "numeric(12,2)"),
        Column("ratio", "double precision"),
        Column("ordered_at", "timestamp with time zone"),
        Column("ship date", "date", description="When it left */ the warehouse"),
        Column("class", "boolean"),
        Column("1st_choice", "varchar(20)"),
        Column("attrs", "jsonb"),
    ),
)
SAMPLE = {
    "id": 7, "region": "EMEA", "amount": "10.50", "ratio": 0.25, "ordered_at": "2026-11-24T10:00:00+00:00",
    "ship date": "2026-11-25", "class": True, "1st_choice": "blue", "attrs": {"gift": True},
}
TARGET = Target("https://portal.contoso.example")


def _artefact(kind):
    return generators.dto(kind, TRICKY, base_url="https://portal.contoso.example")


def test_the_pydantic_model_imports_and_validates_a_sample_row(tmp_path):
    module_path = tmp_path / "sales_orders_row.py"
    module_path.write_text(_artefact("pydantic").text)
    spec = importlib.util.spec_from_file_location("sales_orders_row", module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["sales_orders_row"] = module
    try:
        spec.loader.exec_module(module)
        page = module.SalesOrdersPage.model_validate({"product": "sales-orders", "rows": [SAMPLE], "next_cursor": None})
        row = page.rows[0]
        assert (row.id, row.region, str(row.amount), row.ship_date.isoformat(), row.class_, row.f_1st_choice) == (
            7, "EMEA", "10.50", "2026-11-25", True, "blue")
        with pytest.raises(Exception, match="id"):
            module.SalesOrdersRow.model_validate({**SAMPLE, "id": "not a number"})
        with pytest.raises(Exception, match="extra"):
            module.SalesOrdersRow.model_validate({**SAMPLE, "unexpected": 1})
    finally:
        sys.modules.pop("sales_orders_row", None)


def test_the_json_schema_is_valid_and_validates_a_sample_page():
    schema = json.loads(_artefact("jsonschema").text)
    jsonschema.Draft202012Validator.check_schema(schema)
    page = {"product": "sales-orders", "rows": [SAMPLE, {**SAMPLE, "region": None, "amount": None}], "next_cursor": "abc"}
    jsonschema.validate(page, schema, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**page, "rows": [{**SAMPLE, "amount": 10.5}]}, schema,
                            cls=jsonschema.Draft202012Validator)


def _tsc():
    node_bin = os.environ.get("LOOM_NODE_BIN", "")
    tsc = os.path.join(node_bin, "tsc")
    if not (node_bin and os.path.exists(tsc)):
        pytest.skip("tsc is not installed (tests/npm; make test installs it)")
    return tsc


def test_the_typescript_interface_and_fetch_snippet_compile_with_tsc(tmp_path):
    tsc = _tsc()
    (tmp_path / "row.ts").write_text(_artefact("typescript").text)
    (tmp_path / "snippet.ts").write_text(generators.snippet("typescript", TRICKY, TARGET).text)
    (tmp_path / "use.ts").write_text(
        'import type { SalesOrdersRow } from "./row";\n'
        f"const row: SalesOrdersRow = {json.dumps(SAMPLE)};\n"
        "export const region: string | null = row.region;\n"
    )
    result = subprocess.run(
        [tsc, "--strict", "--noEmit", "--target", "es2022", "--module", "es2022", "--lib", "es2022,dom",
         "row.ts", "snippet.ts", "use.ts"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typescript_compiler_rejects_a_row_of_the_wrong_shape(tmp_path):
    tsc = _tsc()
    (tmp_path / "row.ts").write_text(_artefact("typescript").text)
    (tmp_path / "bad.ts").write_text(
        'import type { SalesOrdersRow } from "./row";\n'
        f"export const row: SalesOrdersRow = {json.dumps({**SAMPLE, 'id': 'seven'})};\n"
    )
    result = subprocess.run([tsc, "--strict", "--noEmit", "row.ts", "bad.ts"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "Type 'string' is not assignable to type 'number'" in result.stdout


def test_the_python_and_curl_snippets_are_valid_code(tmp_path):
    python = generators.snippet("python", TRICKY, TARGET).text
    compile(python, "sales_orders.py", "exec")
    assert "X-Api-Key" in python and "/data/v1/products/sales-orders/rows" in python

    curl = tmp_path / "sales_orders.sh"
    curl.write_text(generators.snippet("curl", TRICKY, TARGET).text)
    result = subprocess.run(["sh", "-n", str(curl)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_sql_ddl_creates_a_table_in_postgresql(db, django_db_blocker):
    from django.db import connection

    ddl = _artefact("sql").text
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS devportal_ddl_test")
        cursor.execute("SET LOCAL search_path TO devportal_ddl_test")
        cursor.execute(ddl)
        cursor.execute(
            "SELECT column_name, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'devportal_ddl_test' AND table_name = 'sales_orders' ORDER BY ordinal_position"
        )
        columns = cursor.fetchall()
    assert [name for name, _ in columns] == [c.name for c in TRICKY.columns]
    assert dict(columns)["id"] == "NO"


def test_the_csharp_record_and_powershell_snippet_name_every_column():
    record = _artefact("csharp").text
    assert 'JsonPropertyName("ship date")] DateOnly? ShipDate' in record
    assert "long Id" in record and "AllowReadingFromString" in record
    powershell = generators.snippet("powershell", TRICKY, TARGET).text
    assert "Invoke-RestMethod" in powershell and "'X-Api-Key'" in powershell


@pytest.mark.skipif(shutil.which("pwsh") is None, reason="PowerShell is not installed")
def test_the_powershell_snippet_parses(tmp_path):
    script = tmp_path / "s.ps1"
    script.write_text(generators.snippet("powershell", TRICKY, TARGET).text)
    command = f"$null = [System.Management.Automation.Language.Parser]::ParseFile('{script}', [ref]$null, [ref]$e); exit $e.Count"
    assert subprocess.run(["pwsh", "-NoProfile", "-Command", command]).returncode == 0
