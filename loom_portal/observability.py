"""Logs, traces and metrics for operating the portal.

- Structured logs: ``JsonFormatter`` writes one JSON object per line with the request id, tenant id
  and user id that ``RequestContextFilter`` attaches to every record. Anything that looks like a
  credential (bearer/basic tokens, ``password=``/``key=`` pairs, passwords in URLs) is redacted from
  the message and the traceback; request objects and other non-primitive extras are never dumped.
  ``settings.LOGGING`` switches to this formatter when ``LOG_FORMAT=json`` (the production default).
- Traces and metrics: ``setup()`` (called from ``wsgi.py`` and ``celery.py``, never from settings
  import) sends OpenTelemetry traces and metrics for requests, SQL (psycopg), Celery tasks and
  outgoing HTTP/Azure SDK calls to Application Insights through azure-monitor-opentelemetry, only
  when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set. Without it nothing is configured or sent.
- Prometheus: ``RequestContextMiddleware`` counts requests and their latency by view and status;
  ``metrics`` serves them at ``/metrics`` (bearer ``METRICS_TOKEN`` required when it is set). With
  several gunicorn workers, ``PROMETHEUS_MULTIPROC_DIR`` (set in the image) makes every worker write
  its counts to files there, and ``/metrics`` answers the sum whichever worker serves the scrape.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hmac
import json
import logging
import os
import re
import threading
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

logger = logging.getLogger(__name__)

# --- Request context ---------------------------------------------------------------------------

_current_request: contextvars.ContextVar = contextvars.ContextVar("loom_current_request", default=None)
_resolving = threading.local()


def _user_of(request):
    """The signed-in user of ``request``, or None. Never raises (a log call must not fail)."""
    if getattr(_resolving, "active", False):  # loading the user logged something: do not recurse
        return None
    _resolving.active = True
    try:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return user
    except Exception:  # the session or database may be the thing that is failing
        return None
    finally:
        _resolving.active = False


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``tenant_id`` and ``user_id`` (None outside a request) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current_request.get()
        record.request_id = getattr(request, "request_id", None) if request is not None else None
        user = _user_of(request) if request is not None else None
        record.user_id = user.pk if user is not None else None
        record.tenant_id = getattr(user, "tenant_id", None) if user is not None else None
        return True


# --- Redaction -------------------------------------------------------------------------------------

_REDACTED = "[redacted]"
_SECRET_PATTERNS = [
    # "Authorization: anything" / "Ocp-Apim-Subscription-Key: anything"
    (
        re.compile(
            r"(?i)\b(authorization|ocp-apim-subscription-key|x-api-key|cookie)(\"?\s*[:=]\s*\"?)"
            r"(?:(?:bearer|basic|sharedaccesssignature)\s+)?[^\s,;\"']+"
        ),
        r"\1\2" + _REDACTED,
    ),
    # Authorization header values: "Bearer abc", "Basic abc", "SharedAccessSignature ..."
    (re.compile(r"(?i)\b(bearer|basic|sharedaccesssignature)\s+[^\s,;\"']+"), r"\1 " + _REDACTED),
    # key=value pairs in query strings, connection strings and messages
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|id_token|"
            r"api[_-]?key|accountkey|sharedaccesskey|instrumentationkey|sig)(\"?\s*[=:]\s*\"?)[^\s&;,\"']+"
        ),
        r"\1\2" + _REDACTED,
    ),
    # OAuth authorization codes in query strings
    (re.compile(r"(?i)([?&]code=)[^&\s\"']+"), r"\1" + _REDACTED),
    # credentials inside URLs: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@"), r"\1" + _REDACTED + "@"),
]
_SENSITIVE_KEY = re.compile(r"(?i)(authorization|password|secret|token|key|cookie|credential|signature)")


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# --- JSON formatter ------------------------------------------------------------------------------

# LogRecord attributes that are not "extra" fields.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "tenant_id",
    "user_id",
}
_PRIMITIVES = (str, int, float, bool, type(None))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request/tenant/user ids, extras.

    Only primitive ``extra`` values are kept (a ``request`` object, with its headers, is never
    written), keys that name credentials are dropped, and every string goes through ``redact``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "tenant_id": getattr(record, "tenant_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key, value in record.__dict__.items():
            if key in _RESERVED or key.startswith("_") or not isinstance(value, _PRIMITIVES):
                continue
            if _SENSITIVE_KEY.search(key):
                continue
            entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, default=str)


def logging_config(*, log_format: str, level: str) -> dict:
    """The ``LOGGING`` dict for settings: JSON lines or plain text on stderr, with request context."""
    formatter = (
        {"()": "loom_portal.observability.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "loom_portal.observability.RequestContextFilter"}},
        "formatters": {"portal": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "portal",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # The Azure SDK logs every request's headers at INFO; keep warnings and errors only.
            "azure.core.pipeline.policies.http_logging_policy": {"level": "WARNING"},
            "azure.monitor.opentelemetry": {"level": "WARNING"},
        },
    }


# --- Prometheus ------------------------------------------------------------------------------------

REQUESTS = Counter(
    "loom_http_requests_total",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "loom_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ["view", "method"],
)


class RequestContextMiddleware:
    """Makes the request visible to log records and counts it for /metrics.

    Placed right after ``RequestIdMiddleware`` so every log line of the request carries its id.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        connect_signals()
        multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if multiproc_dir:  # each gunicorn worker writes its counts there; /metrics adds them up
            os.makedirs(multiproc_dir, exist_ok=True)

    def __call__(self, request):
        # Kept until the response is closed (request_finished): Django logs 4xx/5xx after the
        # middleware chain has returned.
        _current_request.set(request)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            match = getattr(request, "resolver_match", None)
            view = (match.view_name or "unnamed") if match is not None else "unresolved"
            REQUESTS.labels(view=view, method=request.method, status=str(status)).inc()
            LATENCY.labels(view=view, method=request.method).observe(time.perf_counter() - started)


def _forget_request(**_kwargs):
    _current_request.set(None)


def connect_signals() -> None:
    """Clear the request context once the response is closed (AppConfig.ready or first use)."""
    from django.core.signals import request_finished

    request_finished.connect(_forget_request, dispatch_uid="loom_observability_forget_request")


def _registry():
    """The default registry, or one that merges every gunicorn worker's files (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics(request):
    """Prometheus text exposition. With ``METRICS_TOKEN`` set, a matching bearer token is required."""
    from django.conf import settings
    from django.http import HttpResponse

    expected = getattr(settings, "METRICS_TOKEN", "")
    if expected:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            response = HttpResponse(
                "metrics: a valid bearer token is required\n", status=401, content_type="text/plain"
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


# --- OpenTelemetry → Application Insights ---------------------------------------------------------

_configured = False


def setup(*, celery_app=None) -> bool:
    """Configure telemetry export for this process; True when Application Insights export is on.

    Without ``APPLICATIONINSIGHTS_CONNECTION_STRING`` this does nothing at all: no provider, no
    exporter, no network. Call it before Django handles requests (``wsgi.py``) or, for Celery,
    with the app: the worker then configures in each child process and keeps the portal's logging.
    """
    if celery_app is not None:
        _connect_celery(celery_app)
        return False  # the worker and beat configure in their own processes (see _connect_celery)
    return _configure_azure_monitor()


def _connection_string() -> str:
    from django.conf import settings

    return getattr(settings, "APPLICATIONINSIGHTS_CONNECTION_STRING", "")


def _configure_azure_monitor() -> bool:
    global _configured
    connection_string = _connection_string()
    if not connection_string or _configured:
        return _configured
    from azure.monitor.opentelemetry import configure_azure_monitor
    from django.conf import settings
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource

    configure_azure_monitor(
        connection_string=connection_string,
        resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME}),
        # Logs already reach Log Analytics as JSON lines on stdout, redacted; not exported twice.
        disable_logging=True,
        enable_live_metrics=False,
        # django (requests), requests/urllib3/urllib (outgoing HTTP) and azure_sdk (Azure calls).
        instrumentation_options={
            "azure_sdk": {"enabled": True},
            "django": {"enabled": True},
            "requests": {"enabled": True},
            "urllib3": {"enabled": True},
            "urllib": {"enabled": True},
            "psycopg2": {"enabled": False},
            "flask": {"enabled": False},
            "fastapi": {"enabled": False},
        },
    )
    PsycopgInstrumentor().instrument(enable_commenter=False)  # SQL spans (psycopg 3)
    CeleryInstrumentor().instrument()  # task publish/run spans
    _configured = True
    logger.info("telemetry export to Application Insights is on")
    return True


def _connect_celery(app) -> None:
    from celery import signals

    def keep_portal_logging(**_kwargs):
        """Celery would replace the root handlers; use the portal's LOGGING (JSON in production)."""
        import logging.config

        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)

    def configure_in_process(**_kwargs):
        _configure_azure_monitor()

    signals.setup_logging.connect(keep_portal_logging, weak=False)
    # Prefork children (worker) and the beat service each export from their own process.
    signals.worker_process_init.connect(configure_in_process, weak=False)
    signals.beat_init.connect(configure_in_process, weak=False)


def is_exporting() -> bool:
    """True once this process sends telemetry to Application Insights."""
    return _configured
