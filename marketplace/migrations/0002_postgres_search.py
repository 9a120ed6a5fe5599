"""PostgreSQL only: pg_trgm, a GIN index on the weighted search vector and a trigram GIN index.

On SQLite (the embedded demo) this migration does nothing; the catalog search falls back to icontains.
"""

from django.db import migrations

from marketplace.migrations._postgres import postgres_only

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


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(postgres_only(FORWARD), postgres_only(BACKWARD), elidable=False)]
