"""Two people acting on the same request at the same moment, in real concurrent PostgreSQL transactions.

Each thread has its own database connection (Django's connections are per thread) and commits for real
(``transaction=True``), so the row lock on the request and the partial unique constraint on open requests
are what decides, exactly as between two web workers.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from loom_portal.models import AuditEvent
from marketplace.choices import AccessRequestStatus, GrantStatus
from marketplace.models import AccessApproval, AccessRequest, Grant
from marketplace.services import access
from tests.conftest import requires_postgres
from tests.marketplace.access.conftest import rows_seen_by

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

EMEA = {"region": ["EMEA"]}
PURPOSE = "Quarterly EMEA revenue review"
WAIT_SECONDS = 30


def ask(consumer, product, scope=EMEA):
    return access.access_request_create(actor=consumer, product=product, purpose=PURPOSE, scope=scope,
                                        duration_days=30)


class Racer(threading.Thread):
    """Runs ``work`` on its own connection; keeps what it returned or raised, and its backend's pid."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.result, self.error, self.backend_pid = work, None, None, None
        self.started_work = threading.Event()

    def run(self):
        try:
            connection.ensure_connection()
            self.backend_pid = connection.connection.info.backend_pid
            self.started_work.set()
            self.result = self.work()
        except BaseException as error:  # noqa: BLE001 - kept for the test to assert on
            self.error = error
        finally:
            connections.close_all()

    def finish(self):
        self.join(WAIT_SECONDS)
        assert not self.is_alive(), "a racing transaction never finished"


def race(*works):
    """Start every ``work`` in its own thread; a barrier lets them call the service at the same moment."""
    barrier = threading.Barrier(len(works))

    def at_the_barrier(work):
        def run():
            barrier.wait(WAIT_SECONDS)
            return work()

        return run

    racers = [Racer(at_the_barrier(work)) for work in works]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.finish()
    return racers


def wait_until_blocked_on_a_lock(backend_pid: int) -> None:
    """Poll pg_stat_activity until the backend ``backend_pid`` waits for a lock another transaction holds."""
    deadline = time.monotonic() + WAIT_SECONDS
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [backend_pid])
            row = cur.fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.05)
    pytest.fail(f"backend {backend_pid} never waited for a lock")


def messages(error: ValidationError) -> str:
    return " ".join(m for msgs in error.message_dict.values() for m in msgs)


def test_two_stewards_approving_at_the_same_moment_produce_one_grant(
    consumer, steward, product_steward, orders_product, serving
):
    request = ask(consumer, orders_product)

    first, second = race(
        lambda: access.access_request_approve(actor=steward, request=request),
        lambda: access.access_request_approve(actor=product_steward, request=request),
    )

    winners = [r for r in (first, second) if r.error is None]
    losers = [r for r in (first, second) if r.error is not None]
    assert len(winners) == 1 and len(losers) == 1, [r.error for r in (first, second)]
    assert isinstance(losers[0].error, ValidationError), repr(losers[0].error)
    assert f"Request #{request.pk} is already approved" in messages(losers[0].error)

    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED
    assert AccessApproval.objects.filter(request=request).count() == 1
    grant = Grant.objects.get(request=request)
    assert Grant.objects.count() == 1
    assert AuditEvent.objects.filter(action="access_request.approved", target_id=str(request.pk)).count() == 1
    assert AuditEvent.objects.filter(action="grant.activated", target_id=str(grant.pk)).count() == 1
    # the one grant was applied once, on commit of the winning transaction
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE, grant.status_reason
    assert {region for _, region in rows_seen_by(serving, grant.principal)} == {"EMEA"}
    approver = request.approvals.get().approver
    assert approver == (steward if winners[0] is first else product_steward)


def test_the_second_approver_waits_for_the_first_and_then_finds_the_request_approved(
    consumer, steward, product_steward, orders_product, serving
):
    request = ask(consumer, orders_product)
    first_approved, commit_first = threading.Event(), threading.Event()

    def approve_and_hold_the_transaction_open():
        with transaction.atomic():
            access.access_request_approve(actor=steward, request=request)
            first_approved.set()
            assert commit_first.wait(WAIT_SECONDS)

    first = Racer(approve_and_hold_the_transaction_open)
    first.start()
    assert first_approved.wait(WAIT_SECONDS), first.error
    second = Racer(lambda: access.access_request_approve(actor=product_steward, request=request))
    second.start()
    assert second.started_work.wait(WAIT_SECONDS)

    # the second approval blocks on the request's row lock while the first transaction is open
    wait_until_blocked_on_a_lock(second.backend_pid)
    commit_first.set()
    first.finish()
    second.finish()

    assert first.error is None, repr(first.error)
    assert isinstance(second.error, ValidationError), repr(second.error)
    assert "already approved" in messages(second.error)
    assert list(request.approvals.values_list("approver", flat=True)) == [steward.pk]
    assert Grant.objects.filter(request=request).count() == 1
    assert AuditEvent.objects.filter(action="access_request.approved").count() == 1


def test_two_identical_requests_at_the_same_moment_leave_one_open_request(consumer, orders_product):
    first, second = race(lambda: ask(consumer, orders_product), lambda: ask(consumer, orders_product))

    assert sorted(r.error is None for r in (first, second)) == [False, True], [first.error, second.error]
    loser = first if first.error is not None else second
    assert isinstance(loser.error, ValidationError), repr(loser.error)
    assert "already have an open request for Sales orders" in messages(loser.error)
    assert AccessRequest.objects.filter(requester=consumer, status=AccessRequestStatus.REQUESTED).count() == 1
    assert AuditEvent.objects.filter(action="access_request.created").count() == 1


def test_a_request_racing_past_the_open_request_check_is_stopped_by_the_unique_constraint(consumer, orders_product):
    # the first request is written but not committed: the second one's "already open?" check cannot see it
    first_written, commit_first = threading.Event(), threading.Event()

    def ask_and_hold_the_transaction_open():
        with transaction.atomic():
            ask(consumer, orders_product)
            first_written.set()
            assert commit_first.wait(WAIT_SECONDS)

    first = Racer(ask_and_hold_the_transaction_open)
    first.start()
    assert first_written.wait(WAIT_SECONDS), first.error
    second = Racer(lambda: ask(consumer, orders_product, scope={"region": ["APAC"]}))
    second.start()
    assert second.started_work.wait(WAIT_SECONDS)

    # its INSERT waits on the partial unique index for the first transaction's outcome
    wait_until_blocked_on_a_lock(second.backend_pid)
    commit_first.set()
    first.finish()
    second.finish()

    assert first.error is None, repr(first.error)
    assert isinstance(second.error, ValidationError), repr(second.error)
    assert "already have an open request" in messages(second.error)
    [open_request] = AccessRequest.objects.filter(requester=consumer, status=AccessRequestStatus.REQUESTED)
    assert open_request.scope == EMEA
