"""The search vocabulary (typo corrections) and the indexes that keep the catalog fast at 100,000 products.

PostgreSQL only, in RunPython: the trigram index on the vocabulary, a covering index so the visibility
filter and the facet counts read the index rather than the wide product rows, the vocabulary filled from the
existing search documents; the row-by-row trigram index on ``search_document`` is no longer used and goes.
"""

import django.db.models.functions.text
from django.db import migrations, models

from marketplace.migrations._postgres import postgres_only

FORWARD = [
    "CREATE INDEX IF NOT EXISTS marketplace_searchword_trgm ON marketplace_searchword USING gin (word gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS marketplace_product_facets ON marketplace_dataproduct (tenant_id, status) "
    "INCLUDE (discoverability, sensitivity, id, domain_id, kind, fresh_until, late_until)",
    "INSERT INTO marketplace_searchword (word) SELECT DISTINCT w FROM marketplace_dataproduct, "
    "regexp_split_to_table(lower(search_document), '[^0-9a-z]+') AS w WHERE length(w) BETWEEN 3 AND 64 "
    "ON CONFLICT DO NOTHING",
    "DROP INDEX IF EXISTS marketplace_product_document_trgm",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS marketplace_product_document_trgm ON marketplace_dataproduct "
    "USING gin (search_document gin_trgm_ops)",
    "DROP INDEX IF EXISTS marketplace_product_facets",
    "DROP INDEX IF EXISTS marketplace_searchword_trgm",
]


class Migration(migrations.Migration):

    dependencies = [
        ('domains', '0002_initial'),
        ('loom_portal', '0004_notification_emailed_at'),
        ('marketplace', '0003_access_grants_keys_usage_apim'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchWord',
            fields=[
                ('word', models.CharField(max_length=64, primary_key=True, serialize=False)),
            ],
        ),
        migrations.AddIndex(
            model_name='dataproduct',
            index=models.Index(models.F('tenant'), django.db.models.functions.text.Lower('name'), models.F('id'), name='product_name_order'),
        ),
        migrations.AddIndex(
            model_name='dataproduct',
            index=models.Index(models.F('tenant'), models.OrderBy(models.F('created_at'), descending=True), models.OrderBy(models.F('id'), descending=True), name='product_newest_order'),
        ),
        migrations.RunPython(postgres_only(FORWARD), postgres_only(BACKWARD), elidable=False),
    ]
