"""Structured logs: one JSON object per line carrying the request id, tenant id and user id, and
never a token, key or password."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loom_portal import observability

REPO = Path(__file__).resolve().parents[2]
TOKEN = "s3cr3t-bearer-value-0123456789"


@pytest.fixture
def json_log():
    """A handler built like the production one (JSON formatter + request context) on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    handler.addFilter(observability.RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_log_line_of_a_request_carries_request_tenant_and_user_ids(json_log, signed_in, consumer):
    client = signed_in(consumer)

    response = client.get("/no-such-page", HTTP_X_REQUEST_ID="req-42", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert lines, "django.request logged nothing for the 404"
    line = lines[-1]
    assert line["message"] == "Not Found: /no-such-page"
    assert line["request_id"] == "req-42"
    assert line["user_id"] == consumer.pk
    assert line["tenant_id"] == consumer.tenant_id
    assert line["level"] == "WARNING"


def test_no_authorization_header_value_reaches_the_log(json_log, signed_in, consumer):
    client = signed_in(consumer)
    logging.getLogger("loom_portal.test").warning(
        "upstream said %s",
        f"401 for Authorization: Bearer {TOKEN}",
        extra={"authorization": TOKEN, "scope": "s1"},
    )

    client.get("/api/v1/no-such-endpoint", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    text = json.dumps(json_log())
    assert TOKEN not in text
    custom = next(line for line in json_log() if line["logger"] == "loom_portal.test")
    assert custom["message"] == "upstream said 401 for Authorization: [redacted]"
    assert custom["scope"] == "s1"
    assert "authorization" not in custom


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("connecting to postgres://loom:Pa55word!x@db.internal:5432/loom", "Pa55word!x"),
        ("broker rediss://:K3yK3yK3y@cache.redis.cache.windows.net:6380/0", "K3yK3yK3y"),
        ("callback /oidc/callback/?code=0.AAAAbbbb&state=xyz", "0.AAAAbbbb"),
        ("InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=x", "1111-2222"),
        ("client_secret=abcDEF123 rejected", "abcDEF123"),
        ("header Ocp-Apim-Subscription-Key: 0123456789abcdef", "0123456789abcdef"),
    ],
)
def test_credentials_in_messages_are_redacted(raw, secret):
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": raw})

    line = json.loads(observability.JsonFormatter().format(record))

    assert secret not in line["message"]
    assert "[redacted]" in line["message"]


def test_a_traceback_is_logged_redacted(json_log):
    try:
        raise RuntimeError(f"token={TOKEN} refused")
    except RuntimeError:
        logging.getLogger("loom_portal.test").exception("call failed")

    line = json_log()[-1]
    assert "RuntimeError: token=[redacted] refused" in line["exception"]
    assert TOKEN not in json.dumps(line)


def test_outside_a_request_the_ids_are_null(json_log):
    logging.getLogger("loom_portal.test").info("background work")

    line = json_log()[-1]
    assert (line["request_id"], line["tenant_id"], line["user_id"]) == (None, None, None)


def test_production_defaults_to_json_logs_and_text_is_chosen_explicitly():
    json_config = observability.logging_config(log_format="json", level="INFO")
    text_config = observability.logging_config(log_format="text", level="INFO")

    assert json_config["formatters"]["portal"] == {"()": "loom_portal.observability.JsonFormatter"}
    assert "format" in text_config["formatters"]["portal"]
    assert json_config["handlers"]["console"]["filters"] == ["request_context"]


def test_an_unknown_log_format_stops_start_up_naming_the_setting(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LOG_FORMAT": "xml"}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: LOG_FORMAT: expected json or text, got 'xml'"
    ]
