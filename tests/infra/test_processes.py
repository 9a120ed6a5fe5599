"""The Procfile's processes come up on this machine as they do in the container: the release step
migrates a fresh database, gunicorn answers /healthz, the Celery worker answers ``inspect ping`` and
beat starts with the django-celery-beat DatabaseScheduler. Each runs against the real PostgreSQL
(a database of this module's own, dropped afterwards) and the real Redis, in production mode."""

import json
import os
import secrets
import socket
import sys
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from tests.conftest import on_postgres
from tests.infra.processes import procfile, run, running

REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_URL = os.environ.get("LOOM_TEST_BROKER_URL", "") or REDIS_URL
METRICS_TOKEN = "metrics-" + secrets.token_hex(16)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL (make test)"),
    pytest.mark.skipif(not REDIS_URL, reason="needs the test Redis (make test-services)"),
]


def _server() -> dict:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username,
        "password": parts.password or "",
    }


@pytest.fixture(scope="module")
def make_database():
    """Creates empty databases on the test server and drops them when the module is done."""
    server, created = _server(), []

    def make() -> str:
        name = f"loom_infra_proc_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return "postgres://{}:{}@{}:{}/{}".format(
            quote(server["user"], safe=""),
            quote(server["password"], safe=""),
            server["host"],
            server["port"],
            name,
        )

    yield make
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        for name in created:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment the container apps set (infra/bicep), pointed at the test services."""
    venv_bin = os.path.dirname(sys.executable)
    return {
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",  # as the image sets it
        "LOOM_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        # a queue of this module's own, so no other worker on the shared broker takes its tasks
        "CELERY_TASK_DEFAULT_QUEUE": f"loom-infra-{uuid.uuid4().hex[:10]}",
        "METRICS_TOKEN": METRICS_TOKEN,
        **extra,
    }


def _tables(database_url: str) -> set[str]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


@pytest.fixture(scope="module")
def migrated_database(make_database):
    """A fresh database migrated by the Procfile's release step (what the migration job runs)."""
    url = make_database()
    result = run(procfile()["release"], env=production_env(url))
    assert result.returncode == 0, result.stderr[-4000:]
    return url


def test_the_procfile_defines_release_web_worker_and_beat():
    commands = procfile()

    assert set(commands) == {"release", "web", "worker", "beat"}
    assert commands["release"] == "python manage.py migrate --noinput"
    assert commands["web"].startswith("gunicorn loom_portal.wsgi ")
    assert commands["worker"].startswith("celery -A loom_portal worker ")
    assert "--scheduler django_celery_beat.schedulers:DatabaseScheduler" in commands["beat"]
    assert "migrate" not in commands["web"] + commands["worker"] + commands["beat"]


def test_release_migrates_a_fresh_database(migrated_database):
    tables = _tables(migrated_database)

    assert {"django_migrations", "loom_portal_user", "django_celery_beat_periodictask"} <= tables


def test_web_answers_healthz_and_never_migrates_on_start_up(make_database, tmp_path):
    empty_database = make_database()
    port = _free_port()
    env = production_env(empty_database, PORT=str(port), WEB_CONCURRENCY="2")

    with running(procfile()["web"], env=env, log_path=tmp_path / "web.log") as web:
        status, body = web.wait_until(
            lambda: _ok(_get(f"http://127.0.0.1:{port}/healthz")), "/healthz to answer 200"
        )

    assert status == 200
    assert json.loads(body) == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
    assert "django_migrations" not in _tables(empty_database)


def _ok(answer):
    return answer if answer[0] == 200 else None


def test_web_logs_json_lines_with_the_request_id_and_no_token(migrated_database, tmp_path):
    port = _free_port()
    env = production_env(migrated_database, PORT=str(port), WEB_CONCURRENCY="1")
    wrong_token = "not-the-metrics-token-" + secrets.token_hex(8)
    request_id = f"infra-{uuid.uuid4().hex[:12]}"
    https = {"X-Forwarded-Proto": "https"}  # as the Container Apps ingress forwards

    with running(procfile()["web"], env=env, log_path=tmp_path / "web.log") as web:
        web.wait_until(lambda: _ok(_get(f"http://127.0.0.1:{port}/healthz")), "/healthz to answer 200")
        refused = _get(
            f"http://127.0.0.1:{port}/metrics",
            {**https, "X-Request-ID": request_id, "Authorization": f"Bearer {wrong_token}"},
        )
        allowed = _get(
            f"http://127.0.0.1:{port}/metrics", {**https, "Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        line = web.wait_until(lambda: _json_line_with(web.log(), request_id), "the 401 to be logged")

    assert refused[0] == 401
    assert allowed[0] == 200 and b"loom_http_requests_total" in allowed[1]
    assert line["message"] == "Unauthorized: /metrics"
    assert line["logger"] == "django.request"
    assert wrong_token not in web.log()


def test_web_metrics_add_up_every_gunicorn_worker(migrated_database, tmp_path):
    port = _free_port()
    multiproc = tmp_path / "prometheus"  # as the image sets PROMETHEUS_MULTIPROC_DIR
    env = production_env(
        migrated_database, PORT=str(port), WEB_CONCURRENCY="3", PROMETHEUS_MULTIPROC_DIR=str(multiproc)
    )
    base, auth = (
        f"http://127.0.0.1:{port}",
        {"Authorization": f"Bearer {METRICS_TOKEN}", "X-Forwarded-Proto": "https"},
    )

    with running(procfile()["web"], env=env, log_path=tmp_path / "web.log") as web:
        web.wait_until(lambda: _ok(_get(f"{base}/healthz")), "/healthz to answer 200")
        before = _healthz_count(_get(f"{base}/metrics", auth))
        for _ in range(12):
            assert _get(f"{base}/healthz")[0] == 200
        after = [_healthz_count(_get(f"{base}/metrics", auth)) for _ in range(3)]

    assert after == [before + 12] * 3  # the same total whichever worker answers the scrape


def _healthz_count(answer) -> float:
    status, body = answer
    assert status == 200, body[:500]
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "loom_http_requests_total" and sample.labels == {
                "view": "healthz",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0


def _json_line_with(log: str, request_id: str):
    for text in log.splitlines():
        if text.startswith("{") and request_id in text:
            return json.loads(text)
    return None


def test_worker_answers_inspect_ping(migrated_database, tmp_path):
    env = production_env(migrated_database, CELERY_WORKER_CONCURRENCY="1")
    node = f"infra-{uuid.uuid4().hex[:10]}@loom-test"

    with running(
        procfile()["worker"], env=env, log_path=tmp_path / "worker.log", extra_args=f"--hostname {node}"
    ) as worker:
        ping = f"celery -A loom_portal inspect ping --destination {node} --timeout 3"
        answer = worker.wait_until(lambda: _pong(run(ping, env=env, timeout=60)), f"{node} to answer ping")

    assert f"{node}: OK" in answer
    assert "pong" in answer


def _pong(result):
    return result.stdout if result.returncode == 0 and "pong" in result.stdout else None


def test_beat_starts_with_the_database_scheduler(migrated_database, tmp_path):
    env = production_env(migrated_database)

    with running(procfile()["beat"], env=env, log_path=tmp_path / "beat.log") as beat:
        beat.wait_until(lambda: "beat: Starting..." in beat.log(), "beat to start")
        entry = beat.wait_until(
            lambda: _schedule_rows(migrated_database), "the scheduler to write its entries"
        )
        log = beat.log()

    assert "scheduler -> django_celery_beat.schedulers.DatabaseScheduler" in log
    started = [json.loads(t) for t in log.splitlines() if t.startswith("{") and "beat: Starting" in t]
    assert started and started[0]["logger"] == "celery.beat"  # the portal's JSON logging, not Celery's
    assert "celery.backend_cleanup" in entry


def _schedule_rows(database_url: str):
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM django_celery_beat_periodictask").fetchall()]
