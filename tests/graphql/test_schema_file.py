"""schema.graphql at the repository root is what the code serves, so portal developers can diff it."""

from pathlib import Path

from django.core.management import call_command

REGENERATE = ".venv/bin/python manage.py graphql_schema --schema loom_portal.schema.schema --out schema.graphql"
ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_matches_the_code(tmp_path):
    printed = tmp_path / "schema.graphql"
    call_command("graphql_schema", schema="loom_portal.schema.schema", out=str(printed), verbosity=0)
    committed = ROOT / "schema.graphql"
    assert committed.exists(), f"schema.graphql is missing at the repository root: run `{REGENERATE}`"
    assert committed.read_text() == printed.read_text(), (
        f"schema.graphql differs from the schema the code serves: run `{REGENERATE}` and commit the result"
    )
