"""A real Celery worker process, on the real Redis broker and the real PostgreSQL test database, delivers
notification e-mails once.

The worker is `celery -A loom_portal worker` started as a subprocess; it reads the same settings as the
portal, with DATABASE_URL naming the test database (so it sees the rows this test commits) and the
file-based e-mail backend writing into a temporary folder the test reads.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from loom_portal import services
from loom_portal.celery import app as celery_app
from loom_portal.models import Notification
from loom_portal.tasks import notification_deliver_email
from tests import factories
from tests.conftest import on_postgres

BROKER_URL = os.environ.get("LOOM_TEST_BROKER_URL", "")
REPO = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not on_postgres(), reason="the worker shares the PostgreSQL test database (make test)"),
    pytest.mark.skipif(not BROKER_URL, reason="LOOM_TEST_BROKER_URL is not set (make test-services writes it)"),
]


def _database_url() -> str:
    db = connection.settings_dict
    return "postgres://{}:{}@{}:{}/{}".format(
        quote(db["USER"], safe=""), quote(db["PASSWORD"], safe=""), db["HOST"], db["PORT"] or 5432, db["NAME"]
    )


class Worker:
    """A running worker process and the folder its e-mails land in."""

    def __init__(self, process: subprocess.Popen, log_path: Path, mail_dir: Path):
        self.process, self.log_path, self.mail_dir = process, log_path, mail_dir

    def mails_with(self, text: str) -> list[str]:
        contents = [p.read_text() for p in sorted(self.mail_dir.iterdir())]
        return [c for c in contents if text in c]

    def wait_until(self, condition, what: str):
        """Poll ``condition`` until it holds; fail with the worker's log if it never does."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited ({self.process.returncode}) before {what}:\n{self.log()}")
            time.sleep(0.2)
        pytest.fail(f"gave up waiting for {what}:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()[-4000:]


@pytest.fixture
def queue_name():
    """A queue of this test's own, so no other worker on the shared broker takes its tasks."""
    return f"loom-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def portal_uses_broker(queue_name):
    """This process publishes to the real broker (as the portal does when CELERY_BROKER_URL is set)."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    conf.update(broker_url=BROKER_URL, task_always_eager=False, task_default_queue=queue_name)
    _reset_connections()
    yield
    _reset_connections()
    conf.update(saved)
    _reset_connections()


def _reset_connections():
    celery_app.close()  # drops the connection pool built for the previous broker
    celery_app.__dict__.pop("amqp", None)  # its queues and router were built for the previous queue name


@pytest.fixture
def worker(transactional_db, portal_uses_broker, queue_name, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loom_portal.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue_name,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    celery = Path(sys.executable).parent / "celery"
    command = [
        str(celery), "-A", "loom_portal", "worker", "--pool=solo", "--concurrency=1", "-Q", queue_name,
        "-n", f"{queue_name}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield Worker(process, log_path, mail_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        with celery_app.connection_for_write() as conn:  # leave nothing of this queue on the shared broker
            conn.default_channel.client.delete(
                queue_name, f"_kombu.binding.{queue_name}", f"_kombu.binding_permanent.{queue_name}"
            )


def _emailed(note: Notification) -> bool:
    note.refresh_from_db()
    return note.emailed_at is not None


def test_a_notification_sent_through_the_service_is_emailed_by_the_worker(worker):
    # given a user with an e-mail address
    tenant = factories.make_tenant()
    user = factories.make_user(tenant, "reader@worker.example")

    # when the portal notifies them (the task is enqueued on commit)
    note = services.notification_send(
        recipient=user, title="Access request approved", body="Your grant is active.", url="/products/7/"
    )

    # then the worker e-mails it and records that it did
    worker.wait_until(lambda: _emailed(note), "the notification to be e-mailed")
    [mail] = worker.mails_with("Subject: Access request approved")
    assert "To: reader@worker.example" in mail
    assert "Your grant is active." in mail
    assert "/products/7/" in mail


def test_delivering_the_same_notification_twice_sends_one_email(worker):
    # given a notification that has not been e-mailed yet
    tenant = factories.make_tenant()
    user = factories.make_user(tenant, "twice@worker.example")
    note = services.notification_send(recipient=user, title="Budget threshold reached", email=False)

    # when its delivery task is enqueued twice, then a later notification is sent
    notification_deliver_email.delay(notification_id=note.pk)
    notification_deliver_email.delay(notification_id=note.pk)
    later = services.notification_send(recipient=user, title="Sentinel after the duplicates")

    # then, once the worker (one at a time, in order) has reached the later one, exactly one mail went out
    worker.wait_until(lambda: _emailed(later), "the later notification to be e-mailed")
    assert _emailed(note)
    assert len(worker.mails_with("Subject: Budget threshold reached")) == 1
