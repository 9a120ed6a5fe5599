"""Every state change of a grant, through the services, against the live PostgreSQL engine.

pending → active → expired | revoked, pending → failed; renewals, recertification, reconciliation of drift
between the portal and the engine, and the SQL Server / Databricks path where a DBA applies generated SQL.
The on-commit tasks (grant_apply, grant_unapply) run eagerly inside django_capture_on_commit_callbacks.
"""

from datetime import timedelta

import pytest
import sqlglot
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from loom_portal.models import AuditEvent, Notification
from marketplace import services
from marketplace.choices import GrantStatus
from marketplace.models import ApiKey, Grant
from marketplace.services import access, grants
from tests import factories
from tests.conftest import requires_postgres
from tests.marketplace.access.conftest import ORDER_COLUMNS, rows_seen_by

pytestmark = requires_postgres

EMEA = {"region": ["EMEA"]}
PURPOSE = "Quarterly EMEA revenue review"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit tasks of a block eagerly (grant_apply after approval, grant_unapply after an end)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def approve(consumer, steward, run_on_commit):
    """Request ``scope`` of a product as the consumer, approve it as the steward; returns the fresh grant."""

    def approve(product, scope=EMEA, days=30, requester=None):
        request = access.access_request_create(actor=requester or consumer, product=product, purpose=PURPOSE,
                                               scope=scope, duration_days=days)
        with run_on_commit():
            access.access_request_approve(actor=steward, request=request)
        return Grant.objects.get(request=request)

    return approve


def entitlement_rows(conn, grant_id: int) -> list[tuple]:
    return conn.execute(
        "SELECT principal, table_name, column_name, value FROM loom_rls.entitlement WHERE grant_id = %s "
        "ORDER BY column_name, value", (grant_id,)
    ).fetchall()


def events(action: str, grant: Grant) -> int:
    return AuditEvent.objects.filter(action=action, target_id=str(grant.pk)).count()


def services_user(tenant, email):
    return factories.make_user(tenant, email)


def make_product(platform_owner, domain, name, **source):
    product = services.product_create(actor=platform_owner, domain=domain, name=name, sensitivity="general",
                                      columns=ORDER_COLUMNS, **source)
    return services.product_publish(actor=platform_owner, product=product)


# --- revoke and relinquish -------------------------------------------------------------------------------


def test_a_steward_revokes_with_a_reason_and_the_consumer_then_sees_no_rows(
    consumer, steward, orders_product, serving, approve, run_on_commit
):
    grant = approve(orders_product)
    assert len(rows_seen_by(serving, grant.principal)) == 3
    key = grants.api_key_create(actor=consumer, grant=grant, name="notebook").key

    with pytest.raises(ValidationError) as error:
        grants.grant_revoke(actor=steward, grant=grant, reason="  ")
    assert "reason" in error.value.message_dict
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE

    with run_on_commit():
        grants.grant_revoke(actor=steward, grant=grant, reason="Project ended.")

    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert (grant.ended_by, grant.status_reason) == (steward, "Project ended.")
    assert not grant.engine_applied  # grant_unapply ran and removed the rows
    assert entitlement_rows(serving, grant.pk) == []
    assert rows_seen_by(serving, grant.principal) == []
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert events("grant.revoked", grant) == 1
    assert events("grant.unapplied", grant) == 1
    assert Notification.objects.get(recipient=consumer, title="Access to Sales orders revoked").body.endswith(
        "Project ended."
    )


def test_revoking_an_ended_grant_changes_nothing(steward, orders_product, approve, run_on_commit):
    grant = approve(orders_product)
    with run_on_commit():
        grants.grant_revoke(actor=steward, grant=grant, reason="Project ended.")
    with pytest.raises(ValidationError) as error:
        grants.grant_revoke(actor=steward, grant=grant, reason="Again.")
    assert "already revoked" in str(error.value.message_dict["status"])
    assert events("grant.revoked", grant) == 1


def test_the_consumer_gives_up_their_own_grant_without_a_reason(consumer, orders_product, serving, approve,
                                                                 run_on_commit):
    grant = approve(orders_product)

    with run_on_commit():
        grants.grant_revoke(actor=consumer, grant=grant)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert grant.status_reason == "Given up by the consumer."
    assert grant.ended_by == consumer
    assert rows_seen_by(serving, grant.principal) == []
    assert not Notification.objects.filter(recipient=consumer, title__endswith="revoked").exists()


def test_another_consumer_can_neither_see_nor_give_up_a_grant(tenant, orders_product, approve):
    grant = approve(orders_product)
    stranger = factories.make_user(tenant, "stranger@contoso.example")
    with pytest.raises((Http404, PermissionDenied)):
        grants.grant_revoke(actor=stranger, grant=grant)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE


# --- expiry and renewal ----------------------------------------------------------------------------------


def test_grants_expire_ends_a_grant_past_its_expiry_and_removes_its_rows(
    consumer, orders_product, serving, approve, run_on_commit
):
    grant = approve(orders_product)
    other = approve(orders_product, scope={"region": ["APAC"]},
                    requester=services_user(consumer.tenant, "still.valid@contoso.example"))
    key = grants.api_key_create(actor=consumer, grant=grant).key
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    with run_on_commit():
        assert grants.grants_expire() == 1

    grant.refresh_from_db()
    assert grant.status == GrantStatus.EXPIRED
    assert grant.status_reason == "Expired."
    assert rows_seen_by(serving, grant.principal) == []
    assert entitlement_rows(serving, grant.pk) == []
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert events("grant.expired", grant) == 1
    assert Notification.objects.filter(recipient=consumer, title="Access to Sales orders expired").count() == 1
    # a grant that has not expired yet is untouched
    other.refresh_from_db()
    assert other.status == GrantStatus.ACTIVE
    assert {region for _, region in rows_seen_by(serving, other.principal)} == {"APAC"}
    assert grants.grants_expire() == 0


def test_renewal_extends_from_the_current_expiry_but_never_past_the_labels_maximum(
    consumer, steward, orders_product, approve
):
    grant = approve(orders_product, days=30)
    first_expiry = grant.expires_at

    grants.grant_renew(actor=steward, grant=grant, days=30)
    grant.refresh_from_db()
    assert grant.expires_at - first_expiry == timedelta(days=30)

    before = timezone.now()
    grants.grant_renew(actor=steward, grant=grant, days=365)  # General: 365 days at most, counted from today
    grant.refresh_from_db()
    assert before + timedelta(days=365) <= grant.expires_at <= timezone.now() + timedelta(days=365)
    assert events("grant.renewed", grant) == 2

    capped = grant.expires_at
    for days, message in ((366, "between 1 and 365 days"), (0, "between 1 and 365 days"), ("x", "whole number")):
        with pytest.raises(ValidationError) as error:
            grants.grant_renew(actor=steward, grant=grant, days=days)
        assert message in str(error.value.message_dict["days"])
    with pytest.raises((PermissionDenied, PermissionError)):
        grants.grant_renew(actor=consumer, grant=grant, days=10)
    grant.refresh_from_db()
    assert grant.expires_at == capped


def test_a_highly_confidential_grant_renews_to_ninety_days_at_most(
    consumer, steward, domain_owner, platform_owner, domain, serving, run_on_commit
):
    product = services.product_create(
        actor=platform_owner, domain=domain, name="Sensitive orders", sensitivity="highly_confidential",
        source_engine="postgres", source_database="sales", source_schema="sales", source_table="orders",
        columns=ORDER_COLUMNS,
    )
    product = services.product_publish(actor=platform_owner, product=product)
    request = access.access_request_create(actor=consumer, product=product, purpose=PURPOSE, scope=EMEA,
                                           duration_days=60)
    access.access_request_approve(actor=steward, request=request)
    with run_on_commit():
        access.access_request_approve(actor=domain_owner, request=request)
    grant = Grant.objects.get(request=request)

    with pytest.raises(ValidationError) as error:
        grants.grant_renew(actor=steward, grant=grant, days=91)
    assert "between 1 and 90 days" in str(error.value.message_dict["days"])
    grants.grant_renew(actor=steward, grant=grant, days=90)
    grant.refresh_from_db()
    assert grant.expires_at <= timezone.now() + timedelta(days=90)


def test_an_ended_grant_is_not_renewed(steward, orders_product, approve, run_on_commit):
    grant = approve(orders_product)
    with run_on_commit():
        grants.grant_revoke(actor=steward, grant=grant, reason="Done.")
    with pytest.raises(ValidationError) as error:
        grants.grant_renew(actor=steward, grant=grant, days=10)
    assert "Only active or pending grants are renewed" in str(error.value.message_dict["status"])


# --- failed application or verification --------------------------------------------------------------------


def test_a_hand_made_policy_that_widens_access_fails_verification_and_the_grant_shows_nothing(
    consumer, steward, orders_product, serving, approve
):
    # a DBA added a permissive policy: PostgreSQL ORs permissive policies, so everyone would see every row
    approve(orders_product, requester=services_user(consumer.tenant, "first@contoso.example"))  # protects the table
    serving.execute("CREATE POLICY everyone_sees_all ON sales.orders AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)")

    grant = approve(orders_product)

    assert grant.status == GrantStatus.FAILED
    assert grant.status_reason == "Verification failed: 3 visible row(s) lie outside the grant's scope."
    assert not grant.engine_applied
    assert entitlement_rows(serving, grant.pk) == []  # fail closed: its rows are removed again
    assert events("grant.failed", grant) == 1
    assert events("grant.activated", grant) == 0
    told = Notification.objects.get(recipient=steward, title="Grant for Sales orders failed")
    assert told.body == grant.status_reason
    assert Notification.objects.filter(recipient=consumer, title__contains="could not be applied").exists()
    with pytest.raises(ValidationError):
        grants.api_key_create(actor=consumer, grant=grant)


def test_a_restrictive_policy_that_hides_covered_rows_fails_verification(consumer, orders_product, serving, approve):
    approve(orders_product, requester=services_user(consumer.tenant, "first@contoso.example"))
    serving.execute("CREATE POLICY no_france ON sales.orders AS RESTRICTIVE FOR SELECT TO PUBLIC "
                    "USING (country <> 'FR')")

    grant = approve(orders_product)

    assert grant.status == GrantStatus.FAILED
    assert grant.status_reason == "Verification failed: The consumer sees 2 of the 3 row(s) the grant covers."


def test_a_product_whose_table_is_missing_fails_with_the_reason_and_the_stewards_are_told(
    consumer, steward, platform_owner, domain, serving, approve
):
    product = make_product(platform_owner, domain, "Lost orders", source_engine="postgres", source_database="sales",
                           source_schema="sales", source_table="orders_archive")

    grant = approve(product)

    assert grant.status == GrantStatus.FAILED
    assert grant.status_reason == (
        "The engine refused the grant: Table 'sales.orders_archive' does not exist in the serving database."
    )
    assert events("grant.failed", grant) == 1
    assert Notification.objects.get(recipient=steward, title="Grant for Lost orders failed").body == grant.status_reason
    # a failed grant can still be revoked by a steward, which ends it
    grants.grant_revoke(actor=steward, grant=grant, reason="Table was archived.")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED


def test_applying_a_grant_twice_activates_it_once(orders_product, approve, serving):
    grant = approve(orders_product)
    rows = entitlement_rows(serving, grant.pk)

    again = grants.grant_apply(grant_id=grant.pk)

    assert again.status == GrantStatus.ACTIVE
    assert entitlement_rows(serving, grant.pk) == rows
    assert events("grant.activated", grant) == 1


# --- reconciliation ------------------------------------------------------------------------------------------


def test_reconcile_rewrites_an_entitlement_row_deleted_behind_the_engines_back(
    orders_product, serving, approve
):
    grant = approve(orders_product, scope={"region": ["EMEA", "APAC"]})
    expected = entitlement_rows(serving, grant.pk)
    serving.execute("DELETE FROM loom_rls.entitlement WHERE grant_id = %s AND value = 'APAC'", (grant.pk,))
    # the damaged grant narrows what the consumer sees (never widens it) until it is repaired
    assert {region for _, region in rows_seen_by(serving, grant.principal)} == {"EMEA"}

    report = grants.grants_reconcile()

    assert (report.checked, report.repaired, report.removed, report.errors) == (1, 1, 0, [])
    assert entitlement_rows(serving, grant.pk) == expected
    assert {region for _, region in rows_seen_by(serving, grant.principal)} == {"EMEA", "APAC"}
    [event] = AuditEvent.objects.filter(action="grant.repaired", target_id=str(grant.pk))
    assert event.data == {"missing": 1, "unexpected": 0}
    # nothing left to repair: a second round changes nothing
    assert grants.grants_reconcile().repaired == 0
    assert events("grant.repaired", grant) == 1


def test_reconcile_removes_a_widening_row_added_by_hand(orders_product, serving, approve):
    grant = approve(orders_product)
    serving.execute(
        "INSERT INTO loom_rls.entitlement (principal, table_name, column_name, value, grant_id) "
        "VALUES (%s, 'sales.orders', 'region', 'AMER', %s)", (grant.principal, grant.pk)
    )

    report = grants.grants_reconcile()

    assert report.repaired == 1
    assert ("region", "AMER") not in {(c, v) for _, _, c, v in entitlement_rows(serving, grant.pk)}
    assert {region for _, region in rows_seen_by(serving, grant.principal)} == {"EMEA"}
    event = AuditEvent.objects.get(action="grant.repaired", target_id=str(grant.pk))
    assert event.data == {"missing": 0, "unexpected": 1}


def test_reconcile_removes_the_leftover_rows_of_a_revoked_grant(steward, orders_product, serving, approve):
    grant = approve(orders_product)
    # revoked, but its grant_unapply never ran (the on-commit task is not executed here): the rows linger
    grants.grant_revoke(actor=steward, grant=grant, reason="Project ended.")
    grant.refresh_from_db()
    assert grant.engine_applied
    assert len(rows_seen_by(serving, grant.principal)) == 3

    report = grants.grants_reconcile()

    assert report.removed == 1
    assert entitlement_rows(serving, grant.pk) == []
    assert rows_seen_by(serving, grant.principal) == []
    grant.refresh_from_db()
    assert not grant.engine_applied
    event = AuditEvent.objects.get(action="grant.repaired", target_id=str(grant.pk))
    assert event.data == {"removed_rows": 2, "status": "revoked"}


def test_reconcile_removes_orphan_rows_of_an_unknown_grant(consumer, orders_product, serving, approve):
    grant = approve(orders_product)
    unknown = grant.pk + 10_000
    serving.execute(
        "INSERT INTO loom_rls.entitlement (principal, table_name, column_name, value, grant_id) VALUES "
        "(%s, 'sales.orders', '*', '0', %s)", (grant.principal, unknown)
    )
    assert len(rows_seen_by(serving, grant.principal)) == 6  # an all-rows anchor written by hand

    report = grants.grants_reconcile()

    assert report.removed == 1
    assert entitlement_rows(serving, unknown) == []
    assert {region for _, region in rows_seen_by(serving, grant.principal)} == {"EMEA"}
    event = AuditEvent.objects.get(action="grant.orphan_entitlements_removed")
    assert event.data == {"grant_id": unknown, "table": "sales.orders"}
    assert entitlement_rows(serving, grant.pk) != []  # the live grant is untouched


# --- recertification -----------------------------------------------------------------------------------------


def test_recertification_asks_the_stewards_once_per_round(consumer, steward, orders_product, approve, settings):
    grant = approve(orders_product)
    fresh = approve(orders_product, scope={"region": ["APAC"]},
                    requester=services_user(consumer.tenant, "fresh@contoso.example"))
    Grant.objects.filter(pk=grant.pk).update(
        activated_at=timezone.now() - timedelta(days=settings.GRANT_RECERTIFY_DAYS + 1)
    )

    assert grants.grants_recertify() == {"asked": 1, "revoked": 0}
    assert grants.grants_recertify() == {"asked": 0, "revoked": 0}

    grant.refresh_from_db()
    assert grant.recertification_requested_at is not None
    assert events("grant.recertification_requested", grant) == 1
    assert events("grant.recertification_requested", fresh) == 0
    [note] = Notification.objects.filter(recipient=steward, title__startswith="Recertify")
    assert note.body == "Confirm or revoke (never used)."

    # the steward confirms: the grant stays active and the next round is due a full period later
    grants.grant_recertify(actor=steward, grant=grant)
    grant.refresh_from_db()
    assert grant.recertification_requested_at is None and grant.recertified_at is not None
    assert grants.grants_recertify() == {"asked": 0, "revoked": 0}
    with pytest.raises((PermissionDenied, PermissionError)):
        grants.grant_recertify(actor=consumer, grant=grant)


def test_unused_grants_are_revoked_automatically_when_the_policy_is_on(
    consumer, orders_product, serving, approve, run_on_commit, settings
):
    settings.GRANT_AUTO_REVOKE_UNUSED_DAYS = 60
    long_ago = timezone.now() - timedelta(days=61)
    unused = approve(orders_product)
    used = approve(orders_product, scope={"region": ["APAC"]},
                   requester=services_user(consumer.tenant, "busy@contoso.example"))
    Grant.objects.filter(pk__in=[unused.pk, used.pk]).update(activated_at=long_ago)
    grants.usage_record(grant=used, rows=10)  # used today

    with run_on_commit():
        assert grants.grants_recertify()["revoked"] == 1

    unused.refresh_from_db()
    used.refresh_from_db()
    assert unused.status == GrantStatus.REVOKED
    assert unused.status_reason == "No data-API call in 60 days (automatic revocation policy)."
    assert rows_seen_by(serving, unused.principal) == []
    assert AuditEvent.objects.get(action="grant.revoked", target_id=str(unused.pk)).data["policy"] is True
    assert used.status == GrantStatus.ACTIVE
    assert {region for _, region in rows_seen_by(serving, used.principal)} == {"APAC"}


def test_unused_grants_stay_when_the_policy_is_off(orders_product, approve, settings):
    settings.GRANT_AUTO_REVOKE_UNUSED_DAYS = 0
    grant = approve(orders_product)
    Grant.objects.filter(pk=grant.pk).update(activated_at=timezone.now() - timedelta(days=400))

    assert grants.grants_recertify()["revoked"] == 0
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE


# --- SQL Server and Databricks: a DBA applies the generated SQL ----------------------------------------------


@pytest.mark.parametrize(("engine", "dialect"), [("sqlserver", "tsql"), ("databricks", "databricks")])
def test_a_warehouse_grant_waits_for_a_dba_until_a_steward_confirms_it(
    engine, dialect, consumer, steward, platform_owner, domain, approve, run_on_commit
):
    product = make_product(platform_owner, domain, f"Warehouse orders {engine}", source_engine=engine,
                           source_database="dw", source_schema="sales", source_table="orders")
    scope = {"region": ["EMEA", "O'Brien'); DROP TABLE x; --"]}

    grant = approve(product, scope=scope)

    assert (grant.status, grant.engine) == (GrantStatus.PENDING, engine)
    assert grant.status_reason.startswith(f"Awaiting a DBA: run this SQL on the {engine} warehouse")
    statements = sqlglot.parse(grant.apply_sql, read=dialect)
    assert [type(s).__name__ for s in statements] == ["Delete", "Insert"]
    values = {n.this for n in statements[1].walk() if isinstance(n, sqlglot.exp.Literal | sqlglot.exp.National)}
    assert "O'Brien'); DROP TABLE x; --" in values  # the injection attempt stays one value
    assert events("grant.awaiting_dba", grant) == 1
    assert Notification.objects.filter(recipient=steward, title=f"SQL to run for {product.name}").exists()
    # the task running again changes nothing while it waits
    assert grants.grant_apply(grant_id=grant.pk).status == GrantStatus.PENDING
    assert events("grant.awaiting_dba", grant) == 1

    with pytest.raises((PermissionDenied, PermissionError)):
        grants.grant_confirm_applied(actor=consumer, grant=grant)
    grants.grant_confirm_applied(actor=steward, grant=grant)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert grant.engine_applied
    assert grant.status_reason == f"Confirmed applied by {steward}."
    assert AuditEvent.objects.get(action="grant.activated", target_id=str(grant.pk)).data == {"confirmed_by_hand": True}
    with pytest.raises(ValidationError):
        grants.grant_confirm_applied(actor=steward, grant=grant)

    # revoking hands the DBA the SQL that takes the rows away again
    with run_on_commit():
        grants.grant_revoke(actor=steward, grant=grant, reason="Project ended.")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    [delete] = sqlglot.parse(grant.apply_sql, read=dialect)
    assert type(delete).__name__ == "Delete"


def test_a_postgres_grant_cannot_be_confirmed_by_hand(steward, orders_product, approve, run_on_commit):
    grant = approve(orders_product)
    with pytest.raises(ValidationError) as error:
        grants.grant_confirm_applied(actor=steward, grant=grant)
    assert "confirmed by hand" in str(error.value.message_dict["status"])


def test_api_keys_of_a_grant_stop_working_when_it_is_revoked(consumer, steward, orders_product, approve,
                                                            run_on_commit):
    grant = approve(orders_product)
    issued = grants.api_key_create(actor=consumer, grant=grant)
    assert grants.api_key_authenticate(issued.plaintext) == issued.key

    with run_on_commit():
        grants.grant_revoke(actor=steward, grant=grant, reason="Project ended.")

    assert grants.api_key_authenticate(issued.plaintext) is None
    assert ApiKey.objects.get(pk=issued.key.pk).revoked_at is not None


def test_the_entitlement_table_holds_one_anchor_and_one_row_per_value(orders_product, serving, approve):
    grant = approve(orders_product, scope={"region": ["EMEA"], "country": ["DE", "FR"]})
    assert entitlement_rows(serving, grant.pk) == [
        (grant.principal, "sales.orders", "*", "2"),
        (grant.principal, "sales.orders", "country", "DE"),
        (grant.principal, "sales.orders", "country", "FR"),
        (grant.principal, "sales.orders", "region", "EMEA"),
    ]
    assert sorted(rows_seen_by(serving, grant.principal)) == [(1, "EMEA"), (2, "EMEA"), (3, "EMEA")]
