"""engine_for: one name per serving engine."""

import pytest

from marketplace.rls import ENGINE_NAMES, RlsEngine, UnknownEngine, engine_for
from marketplace.rls.databricks import DatabricksEngine
from marketplace.rls.sqlserver import SqlServerEngine


def test_each_engine_is_found_by_its_name_and_implements_the_interface():
    assert isinstance(engine_for("sqlserver"), SqlServerEngine)
    assert isinstance(engine_for("databricks"), DatabricksEngine)
    assert ENGINE_NAMES == ("postgres", "sqlserver", "databricks", "embedded")
    assert all(isinstance(engine_for(name), RlsEngine) for name in ("sqlserver", "databricks"))


def test_an_unknown_engine_name_is_refused_with_the_known_names():
    with pytest.raises(UnknownEngine, match="Unknown RLS engine 'oracle': choose one of postgres, sqlserver"):
        engine_for("oracle")
