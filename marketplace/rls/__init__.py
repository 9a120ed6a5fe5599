"""Row-level-security engines: one interface (protect, apply, revoke, sql_for, verify) per serving engine.

Self-contained on purpose (no Django models): the access-request services build a ``GrantSpec`` from a grant
and call ``engine_for(name, ...)``. See docs/decisions/0003-row-level-security-engines.md.
"""

from __future__ import annotations

from typing import Any

from .base import (
    EngineNotConnected,
    Entitlement,
    GrantSpec,
    Probe,
    ProtectedTable,
    RlsEngine,
    ScopeError,
    VerifyResult,
)


class UnknownEngine(LookupError):
    pass


def _registry() -> dict[str, type]:
    from .databricks import DatabricksEngine
    from .embedded import EmbeddedEngine
    from .postgres import PostgresEngine
    from .sqlserver import SqlServerEngine

    return {
        "postgres": PostgresEngine,
        "sqlserver": SqlServerEngine,
        "databricks": DatabricksEngine,
        "embedded": EmbeddedEngine,
    }


ENGINE_NAMES = ("postgres", "sqlserver", "databricks", "embedded")


def engine_for(name: str, *args: Any, **kwargs: Any) -> RlsEngine:
    """The engine called ``name``, built with its connection arguments (``engine_for("postgres", conn)``;
    ``engine_for("sqlserver")`` with no connection only generates SQL)."""
    registry = _registry()
    if name not in registry:
        raise UnknownEngine(f"Unknown RLS engine {name!r}: choose one of {', '.join(ENGINE_NAMES)}.")
    return registry[name](*args, **kwargs)


__all__ = [
    "ENGINE_NAMES",
    "EngineNotConnected",
    "Entitlement",
    "GrantSpec",
    "Probe",
    "ProtectedTable",
    "RlsEngine",
    "ScopeError",
    "UnknownEngine",
    "VerifyResult",
    "engine_for",
]
