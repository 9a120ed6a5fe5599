"""A loopback Application Insights ingestion endpoint (the Breeze ``POST /v2.1/track`` contract).

It accepts a JSON array of telemetry envelopes (optionally gzip-encoded) and answers
``{"itemsReceived", "itemsAccepted", "errors": []}``, as the real endpoint does on success.
Any other path answers 200 ``ok`` (used as the target of an outgoing HTTP call).
"""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class AppInsightsDouble:
    def __init__(self):
        self.envelopes: list[dict] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path.rstrip("/").endswith("/v2.1/track"):
                    items = json.loads(body)
                    double.envelopes.extend(items)
                    self._answer(
                        200, {"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []}
                    )
                else:
                    self._answer(404, {"error": "unknown path " + self.path})

            def do_GET(self):
                self._answer(200, {"ok": True})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def connection_string(self) -> str:
        return f"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={self.url}"

    def of_type(self, base_type: str) -> list[dict]:
        return [
            e["data"]["baseData"] for e in self.envelopes if e.get("data", {}).get("baseType") == base_type
        ]
