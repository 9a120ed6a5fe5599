"""A real Cosmos DB-compatible server on loopback: ``@vercel/cosmosdb-server`` from npm (tests/npm).

It speaks the Cosmos SQL REST API over HTTPS with a self-signed certificate, so the azure-cosmos SDK
talks to it unchanged (with ``connection_verify=False``, a tests-only setting). Facts in AZURE-NOTES.md:
upserts, deletes (404 when absent), parameterised and cross-partition queries work; GROUP BY does not.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

#: Any valid base64 string is accepted as the account key.
KEY = base64.b64encode(b"loom-portal-test-cosmos-key-0123456789abcdef").decode()


def _binary() -> str | None:
    node_bin = os.environ.get("LOOM_NODE_BIN") or str(Path(__file__).resolve().parents[1] / "npm" / "node_modules" / ".bin")
    path = Path(node_bin) / "cosmosdb-server"
    if path.exists() and shutil.which("node"):
        return str(path)
    return None


def available() -> bool:
    return _binary() is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def cosmos_server(*, timeout: float = 20.0):
    """Start the server on a free loopback port; yields its https endpoint; stops it afterwards."""
    binary = _binary()
    if binary is None:
        raise RuntimeError("cosmosdb-server is not installed: run scripts/test-services.sh (npm install in tests/npm).")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "-p", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"cosmosdb-server exited: {process.stdout.read()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("cosmosdb-server did not start listening in time") from None
                time.sleep(0.1)
        yield f"https://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cosmos_client(endpoint: str):
    """A test's own SDK client (to create databases and read what the portal wrote)."""
    import urllib3
    from azure.cosmos import CosmosClient

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return CosmosClient(endpoint, credential=KEY, connection_verify=False, enable_endpoint_discovery=False)
