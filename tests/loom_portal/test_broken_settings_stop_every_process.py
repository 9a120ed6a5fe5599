"""A broken DATABASE_URL or CELERY_BROKER_URL stops gunicorn, the Celery worker and beat with one line
naming the setting: no traceback, no restart loop."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _start(command, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_BROKER_URL"))}
    environment.update(env)
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "command, expected_code",
    [
        ([str(BIN / "gunicorn"), "loom_portal.wsgi", "-b", "127.0.0.1:0"], 3),
        ([str(BIN / "celery"), "-A", "loom_portal", "worker", "--pool=solo"], 2),
        ([str(BIN / "celery"), "-A", "loom_portal", "beat"], 2),
    ],
    ids=["gunicorn", "worker", "beat"],
)
@pytest.mark.parametrize(
    "setting, value",
    [("DATABASE_URL", "postgres://loom:hunter2@db:notaport/loom"), ("CELERY_BROKER_URL", "amqp://guest@broker//")],
)
def test_a_broken_setting_stops_the_process_with_one_line(command, expected_code, setting, value):
    result = _start(command, **{setting: value})
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if line.startswith("Configuration error:")]
    assert result.returncode == expected_code, output[-2000:]
    assert len(lines) == 1 and setting in lines[0], output[-2000:]
    assert "Traceback" not in output and "hunter2" not in output
