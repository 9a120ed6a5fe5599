"""GET /api/v1/chargeback/costs keeps its OpenAPI promise when fuzzed as finance (who may call it).

The tenant-wide contract test signs in as a plain consumer, who gets 403 here by design.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from loom_portal import tokens

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.django_db(transaction=True)
def test_the_cost_report_honours_its_schema_for_finance(live_server, finance):
    token = tokens.api_token_create(actor=finance, name="schemathesis").plaintext
    result = subprocess.run(
        [
            str(SCHEMATHESIS), "run", f"{live_server.url}/api/schema/",
            "--header", f"Authorization: Bearer {token}",
            "--include-path-regex", "^/api/v1/chargeback/",
            "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--max-examples", "15", "--seed", "20261124", "--generation-database", "none",
            "--phases", "examples,coverage,fuzzing", "--no-color",
        ],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"Operations:\s+1 selected", result.stdout), result.stdout[-3000:]
    assert "No issues found" in result.stdout, result.stdout[-3000:]
