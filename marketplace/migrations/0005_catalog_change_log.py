"""PostgreSQL only: record which transactions change the catalog, so the in-memory facet index knows when to
read again (marketplace/facet_index.py).

A statement trigger on the product, tag and role tables inserts the transaction's id (once per transaction:
no shared row, so writers never wait on each other). A reader compares the ids with the snapshot its index
was read in; a rolled-back transaction leaves no row.
"""

from django.db import migrations

from marketplace.migrations._postgres import postgres_only

TABLES = ("marketplace_dataproduct", "marketplace_producttag", "marketplace_productuserobjectpermission",
          "marketplace_productgroupobjectpermission")

FORWARD = [
    "CREATE TABLE IF NOT EXISTS marketplace_catalogchange (txid xid8 PRIMARY KEY, "
    "changed_at timestamptz NOT NULL DEFAULT clock_timestamp())",
    "CREATE OR REPLACE FUNCTION marketplace_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO marketplace_catalogchange (txid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING; "
    "RETURN NULL; END $$",
    *(f"CREATE TRIGGER marketplace_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
      "FOR EACH STATEMENT EXECUTE FUNCTION marketplace_catalog_changed()" for table in TABLES),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS marketplace_catalog_changed ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS marketplace_catalog_changed()",
    "DROP TABLE IF EXISTS marketplace_catalogchange",
]


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_search_vocabulary_and_ordering")]

    operations = [migrations.RunPython(postgres_only(FORWARD), postgres_only(BACKWARD), elidable=False)]
