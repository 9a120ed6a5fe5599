"""/metrics: Prometheus text with request counts and latency by view and status, behind a bearer
token when METRICS_TOKEN is set."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "metrics-token-0123456789abcdef"


def samples(response, name):
    """{labels: value} of the samples called ``name`` in a Prometheus text answer."""
    families = text_string_to_metric_families(response.content.decode())
    return {tuple(sorted(s.labels.items())): s.value for f in families for s in f.samples if s.name == name}


def count(response, *, view, status, method="GET"):
    key = tuple(sorted({"view": view, "status": status, "method": method}.items()))
    return samples(response, "loom_http_requests_total").get(key, 0.0)


@pytest.fixture
def open_metrics(settings):
    settings.METRICS_TOKEN = ""
    return settings


def test_metrics_answers_prometheus_text(db, client, open_metrics):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    names = {f.name for f in text_string_to_metric_families(response.content.decode())}
    expected_families = {"loom_http_requests", "loom_http_request_duration_seconds"}
    assert expected_families <= names


def test_a_request_is_counted_by_view_and_status(db, client, open_metrics):
    before = count(client.get("/metrics"), view="account_login", status="200")

    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/login/").status_code == 200

    after = count(client.get("/metrics"), view="account_login", status="200")
    assert after == before + 2


def test_an_unknown_path_is_counted_without_its_path_as_a_label(db, client, open_metrics):
    before = count(client.get("/metrics"), view="unresolved", status="404")

    client.get("/no-such-page-7f3a")

    response = client.get("/metrics")
    assert count(response, view="unresolved", status="404") == before + 1
    assert "no-such-page-7f3a" not in response.content.decode()


def test_latency_is_recorded_per_view(db, client, open_metrics):
    client.get("/accounts/login/")

    histogram = samples(client.get("/metrics"), "loom_http_request_duration_seconds_count")
    key = tuple(sorted({"view": "account_login", "method": "GET"}.items()))
    assert histogram[key] >= 1


def test_with_a_token_set_metrics_refuses_a_caller_without_it(db, client, settings):
    settings.METRICS_TOKEN = METRICS_TOKEN

    missing = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")

    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert missing["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"loom_http_requests_total" not in missing.content + wrong.content


def test_with_a_token_set_metrics_answers_the_bearer_of_it(db, client, settings):
    settings.METRICS_TOKEN = METRICS_TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")

    assert response.status_code == 200
    assert "loom_http_requests" in {f.name for f in text_string_to_metric_families(response.content.decode())}
