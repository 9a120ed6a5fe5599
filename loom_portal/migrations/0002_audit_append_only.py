"""On PostgreSQL, a trigger makes the audit log append-only: UPDATE and DELETE are refused.

TRUNCATE stays possible for the table's owner (test database flushes, a
documented retention job); the portal's code never issues it.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION loom_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'loom_portal_auditevent is append-only: %% refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER loom_audit_append_only
    BEFORE UPDATE OR DELETE ON loom_portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION loom_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS loom_audit_append_only ON loom_portal_auditevent;
DROP FUNCTION IF EXISTS loom_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("loom_portal", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
