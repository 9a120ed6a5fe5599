"""Settings come from the environment: a broken value stops start-up with one line naming the setting
(never its password), and production settings pass Django's deployment checks."""

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Sup3r-S3cret-Pw"


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run manage.py in a clean environment holding only ``env`` (so the test's own settings leak nothing in)."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=REPO, env={**base, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def production_env(tmp_path: Path) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!#%^*-_=+"
    return {
        "LOOM_ENV": "production",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(60)),
        "ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DATABASE_URL", "mysql//nonsense"),
        ("DATABASE_URL", "postgres://u:p@host:notaport/db"),
        ("DATABASE_URL", f"postgres://loom:{PASSWORD}@db.internal:notaport/loom"),
        ("DATABASE_URL", f"mysql//loom:{PASSWORD}@db.internal/loom"),
        ("DATABASE_URL", f"postgres://loom:{PASSWORD}@db.internal:5432"),
        ("DATABASE_URL", ""),
        ("CELERY_BROKER_URL", "amqp://x"),
        ("CELERY_BROKER_URL", "redis://:5"),
        ("CELERY_BROKER_URL", f"redis://:{PASSWORD}@cache.internal:99999/0"),
        ("CELERY_BROKER_URL", f"amqp://guest:{PASSWORD}@rabbit.internal//"),
        ("AZURE_CLOUD", "Mars"),
    ],
)
def test_a_broken_setting_stops_start_up_with_one_line_naming_it(setting, value, tmp_path):
    result = manage("check", env={setting: value}, tmp_path=tmp_path)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]
    assert PASSWORD not in result.stderr + result.stdout
    if PASSWORD in value:
        assert ":***@" in lines[0]  # the URL is still shown, with its password hidden


def test_production_without_a_long_secret_key_stops_start_up_naming_secret_key(tmp_path):
    env = {**production_env(tmp_path), "SECRET_KEY": "short"}

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "SECRET_KEY" in result.stderr
    assert "short" not in result.stderr


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path), tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


PROBE = """
import json
from django.test import Client
client = Client(HTTP_HOST="portal.example.com")
health, home = client.get("/healthz"), client.get("/")
print(json.dumps({"healthz": health.status_code, "home": home.status_code, "home_location": home.get("Location", "")}))
"""


def test_in_production_plain_http_redirects_to_https_except_the_health_probe(tmp_path):
    result = manage("shell", "-c", PROBE, env=production_env(tmp_path), tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["healthz"] == 200
    assert seen["home"] == 301
    assert seen["home_location"] == "https://portal.example.com/"
