"""manage.py costs_import_focus PATH --scope <id or name>: a progress bar on stderr, clear errors, nothing half-written."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from chargeback import services
from chargeback.models import CostRecord
from tests.chargeback.conftest import SUBSCRIPTION, day
from tests.chargeback.focus_exports import focus_row, write_export

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("costs_import_focus", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_by_scope_name_and_draws_a_progress_bar(tmp_path, cost_scope, workspace):
    folder = write_export(
        tmp_path / "e",
        [focus_row(day(1), "2", tags={"loomWorkspaceId": "contoso-fin-ledger"}), focus_row(day(2), "3")],
        [focus_row(day(2), "4", tags={"loomWorkspaceId": "ws-unknown"})],
    )

    out, err = run(str(folder), "--scope", "contoso PRODUCTION")

    assert "Contoso production: 3 FOCUS rows from 2 files gave 3 cost rows for 2026-10-01..2026-10-31" in out
    assert "unmapped loomWorkspaceId: ws-unknown" in out
    assert "[##############################] 100% 3/3 rows" in err
    assert CostRecord.objects.filter(scope=cost_scope).count() == 3


def test_the_scope_may_be_given_by_id(tmp_path, cost_scope):
    out, _ = run(str(write_export(tmp_path / "e", [focus_row(day(3), "1")])), "--scope", str(cost_scope.pk), "--no-progress")

    assert "1 FOCUS rows from 1 files gave 1 cost rows" in out


def test_a_path_without_an_export_is_a_clear_error(tmp_path, cost_scope):
    with pytest.raises(CommandError, match=r"no such export \(expected a folder with manifest\.json"):
        run(str(tmp_path / "nowhere"), "--scope", str(cost_scope.pk))


def test_an_unknown_scope_is_a_clear_error(tmp_path, cost_scope):
    with pytest.raises(CommandError, match="--scope: no cost scope with id or name 'Fabrikam'"):
        run(str(write_export(tmp_path / "e", [focus_row(day(3), "1")])), "--scope", "Fabrikam")


def test_a_name_shared_by_two_tenants_asks_for_the_id(tmp_path, cost_scope, other_platform_owner):
    services.cost_scope_create(
        actor=other_platform_owner, name="Contoso production", scope=SUBSCRIPTION, history_start=day(1)
    )

    with pytest.raises(CommandError, match="2 cost scopes are named 'Contoso production'; give the id instead"):
        run(str(write_export(tmp_path / "e", [focus_row(day(3), "1")])), "--scope", "Contoso production")


def test_a_malformed_file_is_refused_with_line_and_column_and_nothing_is_written(tmp_path, cost_scope):
    run(str(write_export(tmp_path / "ok", [focus_row(day(1), "100")])), "--scope", str(cost_scope.pk))
    bad = write_export(tmp_path / "bad", [focus_row(day(1), "1"), focus_row(day(2), "abc")])

    with pytest.raises(CommandError) as caught:
        run(str(bad), "--scope", str(cost_scope.pk))

    assert str(caught.value) == (
        "Refused, nothing was imported: focus/loom-focus-daily/20261001-20261031/2b0c7a9e-5f3d-4a61-9f0e-7d1c2b3a4e5f/"
        "part_0_0001.csv, line 3, column BilledCost: 'abc' is not a number."
    )
    assert list(CostRecord.objects.values_list("usage_date", "cost")) == [(day(1), Decimal("100"))]


def test_a_malformed_manifest_is_refused(tmp_path, cost_scope):
    folder = write_export(tmp_path / "e", [focus_row(day(1), "1")])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["blobCount"] = 3
    (folder / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="Refused, nothing was imported: manifest.json: blobCount is 3 but 1 blobs"):
        run(str(folder), "--scope", str(cost_scope.pk))
    assert CostRecord.objects.count() == 0


def test_a_disabled_scope_is_a_clear_error(tmp_path, platform_owner):
    scope = services.cost_scope_create(
        actor=platform_owner, name="Old", scope=SUBSCRIPTION, history_start=day(1), enabled=False
    )

    with pytest.raises(CommandError, match="Old: The cost scope 'Old' is disabled."):
        run(str(write_export(tmp_path / "e", [focus_row(day(1), "1")])), "--scope", str(scope.pk))
    assert CostRecord.objects.count() == 0
