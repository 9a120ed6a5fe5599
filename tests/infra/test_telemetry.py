"""Traces and metrics go to Application Insights (azure-monitor-opentelemetry) only when
APPLICATIONINSIGHTS_CONNECTION_STRING is set; without it nothing is configured or sent.

Export is configured once per process and cannot be undone, so the exporting case runs the portal's
WSGI entry point in a subprocess against a loopback ingestion endpoint."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection
from opentelemetry import metrics, trace

from loom_portal import observability
from tests.conftest import requires_postgres
from tests.infra.appinsights_double import AppInsightsDouble

REPO = Path(__file__).resolve().parents[2]

PORTAL_PROCESS = """
import json, os, requests
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loom_portal.settings")
from loom_portal import wsgi, observability   # the entry point gunicorn loads
from django.test import Client
from opentelemetry import metrics, trace
status = Client().get("/healthz").status_code
requests.get(os.environ["OUTGOING_URL"], timeout=10)
from loom_portal.celery import app as celery_app
celery_app.tasks["celery.accumulate"].delay(1, 2)   # eager without a broker: the task runs here
trace.get_tracer_provider().force_flush()
metrics.get_meter_provider().force_flush()
print(json.dumps({"status": status, "exporting": observability.is_exporting()}))
"""


def _database_url() -> str:
    db = connection.settings_dict
    return "postgres://{}:{}@{}:{}/{}".format(
        quote(db["USER"], safe=""), quote(db["PASSWORD"], safe=""), db["HOST"], db["PORT"] or 5432, db["NAME"]
    )


def test_without_a_connection_string_nothing_is_configured_or_exported(settings):
    settings.APPLICATIONINSIGHTS_CONNECTION_STRING = ""

    assert observability.setup() is False

    assert observability.is_exporting() is False
    # The OpenTelemetry API still has its no-op proxies: no SDK provider, so no exporter exists.
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    assert type(metrics.get_meter_provider()).__name__ == "_ProxyMeterProvider"


@requires_postgres
def test_with_a_connection_string_requests_sql_celery_and_outgoing_http_reach_application_insights(
    db, tmp_path
):
    with AppInsightsDouble() as ingestion:
        env = {
            **os.environ,
            "APPLICATIONINSIGHTS_CONNECTION_STRING": ingestion.connection_string(),
            "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
            # every span, not the distro's default rate-limited sample (production keeps that default)
            "OTEL_TRACES_SAMPLER": "always_on",
            "OUTGOING_URL": ingestion.url + "outgoing-probe",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": "",
            "REDIS_URL": "",
            "TMPDIR": str(tmp_path),  # the exporter's offline retry files
        }
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", PORTAL_PROCESS],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

        assert result.returncode == 0, result.stderr[-3000:]
        assert json.loads(result.stdout.strip().splitlines()[-1]) == {"status": 200, "exporting": True}
        requests_seen = ingestion.of_type("RequestData")
        dependencies = ingestion.of_type("RemoteDependencyData")
        metric_names = {m["name"] for data in ingestion.of_type("MetricData") for m in data["metrics"]}

    seen = {"requests": requests_seen, "dependencies": dependencies, "log": result.stderr[-2000:]}
    assert any(r["url"].endswith("/healthz") and r["responseCode"] == "200" for r in requests_seen), seen
    assert any(d["type"] == "postgresql" for d in dependencies), seen
    assert any(d.get("data", "").endswith("/outgoing-probe") and d["type"] == "HTTP" for d in dependencies), (
        seen
    )
    assert any(r["name"] == "run/celery.accumulate" for r in requests_seen), seen
    request_metrics = {"http.server.duration", "http.server.request.duration"}  # old and new semantic names
    assert request_metrics & metric_names, metric_names
