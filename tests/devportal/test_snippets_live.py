"""The generated Python and curl snippets, run as a consumer would run them against the live portal,
return exactly the rows the consumer's grant allows; the JSON Schema validates that real output."""

import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest

from devportal import generators
from marketplace.services import grants as grant_services


@pytest.fixture
def emea_key(transactional_db, consumer, orders_product, grant_for):
    grant = grant_for(consumer, orders_product, {"region": ["EMEA"]})
    return grant_services.api_key_create(actor=consumer, grant=grant).plaintext


def _snippet(kind, product, base_url):
    return generators.snippet(kind, generators.ProductSpec.of(product), generators.Target(base_url)).text


def test_the_python_snippet_runs_and_prints_only_the_consumers_rows(live_server, emea_key, orders_product, tmp_path):
    script = tmp_path / "sales_orders.py"
    script.write_text(_snippet("python", orders_product, "https://nowhere.invalid"))

    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "LOOM_API_KEY": emea_key, "LOOM_BASE_URL": live_server.url})

    assert result.returncode == 0, result.stderr
    printed = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(printed) == 3 and all("'region': 'EMEA'" in line for line in printed), printed


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_snippet_runs_and_gets_only_the_consumers_rows(live_server, emea_key, orders_product, tmp_path):
    script = tmp_path / "sales_orders.sh"
    script.write_text(_snippet("curl", orders_product, live_server.url))

    result = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "LOOM_API_KEY": emea_key})

    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert {row["region"] for row in page["rows"]} == {"EMEA"} and len(page["rows"]) == 3


def test_the_snippets_fail_without_a_valid_key(live_server, emea_key, orders_product, tmp_path):
    script = tmp_path / "sales_orders.py"
    script.write_text(_snippet("python", orders_product, live_server.url))

    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "LOOM_API_KEY": "loom_key_nope"})

    assert result.returncode != 0 and ("401" in result.stderr or "403" in result.stderr)


def test_the_json_schema_validates_the_data_apis_real_output(emea_key, orders_product, client):
    schema = json.loads(generators.dto("jsonschema", generators.ProductSpec.of(orders_product)).text)

    response = client.get(f"/data/v1/products/{orders_product.slug}/rows", HTTP_X_API_KEY=emea_key)

    assert response.status_code == 200
    page = response.json()
    assert len(page["rows"]) == 3
    jsonschema.validate(page, schema, cls=jsonschema.Draft202012Validator)
