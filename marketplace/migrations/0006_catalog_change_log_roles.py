"""PostgreSQL only: changes to who edits which domain (domain roles, group membership) change what a viewer may
see in the catalog (drafts of the domains they steward), and domains' slugs and names are the domain facet's
labels: they are recorded for the facet index too."""

from django.db import migrations

from marketplace.migrations._postgres import postgres_only

TABLES = ("domains_domain", "domains_domainuserobjectpermission", "domains_domaingroupobjectpermission",
          "loom_portal_user_groups")


FORWARD = [f"CREATE TRIGGER marketplace_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
           "FOR EACH STATEMENT EXECUTE FUNCTION marketplace_catalog_changed()" for table in TABLES]
BACKWARD = [f"DROP TRIGGER IF EXISTS marketplace_catalog_changed ON {table}" for table in TABLES]


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0005_catalog_change_log"), ("domains", "0002_initial"),
                    ("loom_portal", "0004_notification_emailed_at")]

    operations = [migrations.RunPython(postgres_only(FORWARD), postgres_only(BACKWARD), elidable=False)]
