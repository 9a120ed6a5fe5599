"""Helpers to run the Procfile's processes as real subprocesses, with bounded waits."""

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def procfile() -> dict[str, str]:
    """{process name: command} from the Procfile (comments and blank lines skipped)."""
    commands = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = command.strip()
    return commands


class Process:
    """A process started from a Procfile command; its output (stdout and stderr) goes to ``log_path``."""

    def __init__(self, popen: subprocess.Popen, log_path: Path):
        self.popen, self.log_path = popen, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, condition, what: str):
        """Poll ``condition`` until it returns a truthy value; fail with the log if it never does."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            if self.popen.poll() is not None:
                raise AssertionError(
                    f"the process exited ({self.popen.returncode}) before {what}:\n{self.log()[-4000:]}"
                )
            time.sleep(0.3)
        raise AssertionError(f"gave up after {WAIT_SECONDS}s waiting for {what}:\n{self.log()[-4000:]}")

    def stop(self):
        """SIGTERM to the process group this test started, then SIGKILL if it lingers."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


@contextmanager
def running(command: str, *, env: dict[str, str], log_path: Path, extra_args: str = ""):
    """Start ``command`` (a Procfile line, run by the shell as a Procfile runner does); always stop it."""
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(  # noqa: S603
            ["/bin/sh", "-c", f"exec {command} {extra_args}"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    process = Process(popen, log_path)
    try:
        yield process
    finally:
        process.stop()


def run(command: str, *, env: dict[str, str], timeout: int = 180) -> subprocess.CompletedProcess:
    """Run a one-shot Procfile command (release) to completion."""
    return subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", f"exec {command}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
