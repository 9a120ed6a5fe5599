"""The audit log is append-only: the model refuses changes, and on PostgreSQL so does the database."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from loom_portal import audit
from loom_portal.models import AuditEvent
from tests.conftest import requires_postgres


@pytest.mark.django_db
def test_services_record_who_did_what(platform_owner, domain):
    event = AuditEvent.objects.get(action="domain.created")
    assert (event.actor, event.tenant, event.target_repr) == (platform_owner, domain.tenant, "Finance")


@pytest.mark.django_db
def test_the_model_refuses_to_update_or_delete_an_event(platform_owner):
    event = audit.record(actor=platform_owner, action="test.happened")
    event.action = "test.rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


@requires_postgres
@pytest.mark.django_db
def test_postgres_refuses_update_and_delete_even_with_raw_sql(platform_owner):
    event = audit.record(actor=platform_owner, action="test.happened")
    for statement in (
        "UPDATE loom_portal_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM loom_portal_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError) as err, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
        assert "append-only" in str(err.value)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


@requires_postgres
@pytest.mark.django_db
def test_bulk_queryset_updates_are_refused_too(platform_owner):
    audit.record(actor=platform_owner, action="test.happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="forged")
    assert not AuditEvent.objects.filter(action="forged").exists()
