"""PostgreSQL only: pg_trgm, a GIN index on the weighted search vector and a trigram GIN index.

On SQLite (the embedded demo) this migration does nothing; the catalog search falls back to icontains.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS marketplace_product_search_gin ON marketplace_dataproduct USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS marketplace_product_document_trgm ON marketplace_dataproduct "
    "USING gin (search_document gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS marketplace_product_document_trgm",
    "DROP INDEX IF EXISTS marketplace_product_search_gin",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
