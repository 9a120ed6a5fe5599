"""/healthz: a public probe that reports the database, the cache and the Celery broker."""

import os
import socket

import pytest

from tests.conftest import requires_postgres

REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_URL = os.environ.get("LOOM_TEST_BROKER_URL", "")

needs_redis = pytest.mark.skipif(not (REDIS_URL and BROKER_URL), reason="needs the test Redis (make test-services)")


@pytest.fixture
def real_services(settings):
    """The portal as deployed: Redis cache and Redis broker (the database is the test PostgreSQL)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    settings.CELERY_BROKER_URL = BROKER_URL
    return settings


def _closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


@requires_postgres
@needs_redis
def test_healthz_is_ok_when_database_cache_and_broker_answer(db, client, real_services):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


@requires_postgres
@needs_redis
def test_healthz_is_503_naming_the_broker_when_the_broker_is_down(db, client, real_services):
    real_services.CELERY_BROKER_URL = f"redis://:s3cret-pass@127.0.0.1:{_closed_loopback_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["broker"].startswith("error")
    assert "s3cret-pass" not in response.content.decode()


@needs_redis
def test_healthz_is_503_naming_the_cache_when_the_cache_is_down(db, client, real_services):
    real_services.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_loopback_port()}/0",
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("error")
    assert response.json()["checks"]["broker"] == "ok"


def test_healthz_needs_no_sign_in_and_is_never_cached(db, client):
    response = client.get("/healthz")

    assert response.status_code == 200  # not a redirect to the sign-in page
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_eager_mode_when_no_broker_is_configured(db, client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/healthz")

    assert response.json()["checks"]["broker"].startswith("eager")
