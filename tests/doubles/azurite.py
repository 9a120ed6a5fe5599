"""Azurite (the Azure Storage emulator from npm) on a free loopback port, for the real azure-storage-blob SDK.

``Azurite(folder)`` starts ``azurite-blob`` with its own workspace folder, waits
until the port answers, and stops the process it started on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "devstoreaccount1"
#: Azurite's documented well-known development account key (not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT = 30.0


def azurite_binary() -> Path:
    node_bin = os.environ.get("LOOM_NODE_BIN") or str(ROOT / "tests" / "npm" / "node_modules" / ".bin")
    return Path(node_bin) / "azurite-blob"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Azurite:
    def __init__(self, workspace: Path):
        self.workspace = Path(workspace)
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def blob_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_url};"
        )

    def __enter__(self) -> Azurite:
        binary = azurite_binary()
        if not binary.exists():
            raise RuntimeError(f"{binary} is missing: run scripts/test-services.sh (make test-services) to install Azurite.")
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self._log = open(self.workspace / "azurite.log", "wb")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(
            [
                str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location", str(self.workspace),
                "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.workspace / "azurite.log").read_text(errors="replace")[:2000]
                self.__exit__(None, None, None)
                raise RuntimeError(f"azurite-blob exited: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"azurite-blob did not listen on 127.0.0.1:{self.port} within {START_TIMEOUT:.0f} s.")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
        self.process, self._log = None, None
