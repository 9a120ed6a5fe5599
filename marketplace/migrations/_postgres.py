"""Shared by the PostgreSQL-only migrations (Django's migration loader skips modules named with a leading _)."""


def postgres_only(statements):
    """A RunPython function that executes ``statements`` on PostgreSQL and does nothing elsewhere (SQLite)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run
