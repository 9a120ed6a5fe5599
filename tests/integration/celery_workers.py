"""Running a real Celery worker against the serving database, for the grant crash test and the benchmarks.

Builds on tests/integration/test_celery_worker.py (the ``Worker`` handle, the test database's URL and the
broker's connection reset): the worker is started with ``LOOM_SERVING_DATABASES`` and
``LOOM_RLS_PRINCIPAL_PREFIX`` copied from this process's settings, so it enforces grants in the same serving
database the test looks at.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

import marketplace.tasks  # noqa: F401 - registers grant_apply before _reset_connections deregisters the app
from loom_portal.celery import app as celery_app
from tests.integration.test_celery_worker import BROKER_URL, Worker, _database_url, _reset_connections

REPO = Path(__file__).resolve().parents[2]

# _reset_connections calls celery_app.close(), which also takes the app out of Celery's set of live apps: a
# shared task first imported after that is never registered on it (NotRegistered when enqueued). Importing
# marketplace.tasks above, as the portal does at start-up, registers grant_apply in time.


def new_queue_name(purpose: str) -> str:
    """A queue of the caller's own, so no other worker on the shared broker takes its tasks."""
    return f"loom-test-{purpose}-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def publishing_to(queue_name: str):
    """This process publishes to the real broker (as the portal does when CELERY_BROKER_URL is set)."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    conf.update(broker_url=BROKER_URL, task_always_eager=False, task_default_queue=queue_name)
    _reset_connections()
    try:
        yield
    finally:
        _reset_connections()
        conf.update(saved)
        _reset_connections()


@contextlib.contextmanager
def serving_worker(queue_name: str, log_dir: Path, *, concurrency: int = 1):
    """A prefork worker on ``queue_name`` with ``concurrency`` pool processes, sharing this process's serving
    databases; stopped (and its queue deleted from the broker) on exit."""
    log_path = log_dir / f"{queue_name}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loom_portal.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue_name,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOOM_SERVING_DATABASES": ",".join(f"{name}={url}" for name, url in settings.SERVING_DATABASES.items()),
        "LOOM_RLS_PRINCIPAL_PREFIX": settings.RLS_PRINCIPAL_PREFIX,
    }
    celery = Path(sys.executable).parent / "celery"
    command = [
        str(celery), "-A", "loom_portal", "worker", "--pool=prefork", f"--concurrency={concurrency}",
        "-Q", queue_name, "-n", f"{queue_name}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield Worker(process, log_path, log_dir)
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
