"""A worker killed in the middle of ``grant_apply`` leaves no half-applied grant: the task is redelivered
and the grant ends active exactly once, with its entitlement rows written exactly once.

A real prefork worker (``celery -A loom_portal worker --pool=prefork --concurrency=1``) runs on the real
Redis broker, the PostgreSQL test database and the serving database of tests/marketplace/access. Nothing in
the code has a test hook: the test holds a lock in the serving database from a connection of its own, so
the pool process running ``grant_apply`` blocks there; it then SIGKILLs that pool process and releases the
lock. ``acks_late`` + ``task_reject_on_worker_lost`` make the worker's main process put the message back
on the queue when its child dies, and the new child applies the grant.
"""

import os
import re
import signal

import psutil
import psycopg
import pytest
from psycopg import sql

from loom_portal.models import AuditEvent
from marketplace import serving as serving_module
from marketplace.choices import GrantStatus
from marketplace.models import Grant
from marketplace.services import access
from tests.conftest import on_postgres
from tests.integration.celery_workers import new_queue_name, publishing_to, serving_worker
from tests.integration.test_celery_worker import BROKER_URL, Worker
from tests.marketplace.access.conftest import (  # noqa: F401 - fixtures of the serving database
    _conninfo,
    orders_product,
    rows_seen_by,
    serving,
    serving_database,
)

WAIT_SECONDS = 60

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgres(), reason="the worker shares the PostgreSQL test database (make test)"),
    pytest.mark.skipif(not BROKER_URL, reason="LOOM_TEST_BROKER_URL is not set (make test-services writes it)"),
]


@pytest.fixture
def prefork_worker(transactional_db, serving, tmp_path):  # noqa: F811
    """A prefork worker with one pool process, serving the same ``sales`` database as this test."""
    queue_name = new_queue_name("crash")
    with publishing_to(queue_name), serving_worker(queue_name, tmp_path, concurrency=1) as worker:
        yield worker


@pytest.fixture
def lock_holder(serving_database):  # noqa: F811
    """An owner's connection to the serving database, outside autocommit, to hold table locks with."""
    conn = psycopg.connect(_conninfo(serving_database[0]))
    yield conn
    conn.rollback()
    conn.close()


def backends_waiting_for_a_lock(conn, database: str) -> list[tuple[int, str]]:
    return conn.execute(
        "SELECT pid, query FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' ORDER BY pid",
        (database,),
    ).fetchall()


def wait_for_waiting_backends(worker: Worker, conn, database: str, count: int) -> list[tuple[int, str]]:
    found: list = []

    def enough():
        found[:] = backends_waiting_for_a_lock(conn, database)
        return len(found) >= count

    worker.wait_until(enough, f"{count} backend(s) of the worker to wait for the test's lock")
    return found


def pool_process(worker: Worker) -> psutil.Process:
    [child] = psutil.Process(worker.process.pid).children()
    return child


LOCKS = {
    # blocks before anything is written: the DDL and the DELETE/INSERT of the entitlement rows wait
    "before the entitlement rows are written": "LOCK TABLE loom_rls.entitlement IN ACCESS EXCLUSIVE MODE",
    # blocks in verify, after the rows were committed in the serving database but before the grant is active
    "after the entitlement rows are written": "LOCK TABLE sales.orders IN ACCESS EXCLUSIVE MODE",
}


@pytest.mark.parametrize("moment", list(LOCKS))
def test_a_worker_killed_in_the_middle_of_grant_apply_leaves_the_grant_active_exactly_once(
    moment, prefork_worker, serving, serving_database, lock_holder, consumer, steward, orders_product,  # noqa: F811
):
    database = serving_database[0]
    scope = {"region": ["EMEA", "APAC"]}
    request = access.access_request_create(actor=consumer, product=orders_product, purpose="Regional revenue",
                                           scope=scope, duration_days=30)
    # the table is protected (entitlements table and policy exist) before the test takes its lock
    target = serving_module.target_for(orders_product)
    with serving_module.engine(target) as rls:
        serving_module.ensure_protected(rls, target, serving_module.principal_for(consumer))
    lock_holder.execute(LOCKS[moment])

    # when the steward approves, grant_apply is enqueued on commit; the worker's pool process blocks on the lock
    access.access_request_approve(actor=steward, request=request)
    grant = Grant.objects.get(request=request)
    [(blocked_pid, blocked_query)] = wait_for_waiting_backends(prefork_worker, serving, database, 1)
    if moment == "after the entitlement rows are written":
        assert "count(*)" in blocked_query  # verifying, as the owner or as the consumer
        assert len(serving.execute("SELECT 1 FROM loom_rls.entitlement WHERE grant_id = %s",
                                   (grant.pk,)).fetchall()) == 3
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING

    # the pool process is killed mid-task
    child = pool_process(prefork_worker)
    os.kill(child.pid, signal.SIGKILL)
    prefork_worker.wait_until(lambda: "WorkerLostError" in prefork_worker.log_path.read_text(),
                              "the worker to notice that its pool process was lost")

    # the message goes back on the queue: the new pool process runs grant_apply again and waits on the lock too
    waiting = wait_for_waiting_backends(prefork_worker, serving, database, 2)
    assert blocked_pid in {pid for pid, _ in waiting}
    assert pool_process(prefork_worker).pid != child.pid
    lock_holder.rollback()

    def active():
        grant.refresh_from_db()
        return grant.status == GrantStatus.ACTIVE

    prefork_worker.wait_until(active, "the grant to become active")
    log = prefork_worker.log_path.read_text()
    # one message, received twice: delivered, then redelivered after the pool process was lost
    received = re.findall(r"Task marketplace\.grant_apply\[([0-9a-f-]+)\] received", log)
    assert len(received) == 2 and received[0] == received[1], received
    assert AuditEvent.objects.filter(action="grant.activated", target_id=str(grant.pk)).count() == 1
    assert AuditEvent.objects.filter(action="grant.failed", target_id=str(grant.pk)).count() == 0
    rows = serving.execute(
        "SELECT column_name, value, count(*) FROM loom_rls.entitlement WHERE grant_id = %s "
        "GROUP BY column_name, value ORDER BY column_name, value", (grant.pk,)
    ).fetchall()
    assert rows == [("*", "1", 1), ("region", "APAC", 1), ("region", "EMEA", 1)]
    assert serving.execute(
        sql.SQL("SELECT count(*) FROM loom_rls.entitlement WHERE principal = %s"), (grant.principal,)
    ).fetchone()[0] == 3
    assert {region for _, region in rows_seen_by(serving, grant.principal)} == {"EMEA", "APAC"}
