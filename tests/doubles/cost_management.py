"""A loopback HTTP double of the Cost Management Query API (api-version 2025-03-01).

Contract (Azure REST spec, examples ``*QueryGrouping.json``; facts in AZURE-NOTES.md):
``POST /{scope}/providers/Microsoft.CostManagement/query?api-version=2025-03-01`` with
``{"type","timeframe":"Custom","timePeriod":{"from","to"},"dataset":{"granularity":"Daily",
"aggregation":{"totalCost":{"name":"Cost","function":"Sum"}},"grouping":[{"type":"TagKey","name":…}]}}``
answers ``{"id","name","type","properties":{"nextLink","columns":[{"name","type"}],"rows":[[…]]}}``.
The cost column is named after the aggregation, ``UsageDate`` is a yyyymmdd number, a
TagKey grouping yields a ``TagKey``/``TagValue`` pair (``TagValue`` null when untagged).
Pages are chained with ``nextLink`` (a full URL with ``$skiptoken``; the client POSTs the
same body to it). Throttling is a 429 with ``x-ms-ratelimit-microsoft.costmanagement-*-retry-after``
headers. Errors use the ARM shape ``{"error":{"code","message"}}``.

Tests drive it: ``add_cost`` seeds usage, ``fail_next`` scripts faults (429, 5xx),
``extra_rows`` injects malformed rows, and ``requests`` records what the SDK sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

API_VERSION = "2025-03-01"
_PATH = re.compile(r"^/(?P<scope>.+?)/providers/Microsoft\.CostManagement/query$", re.IGNORECASE)
QUERY_TYPES = {"Usage", "ActualCost", "AmortizedCost"}


@dataclass
class UsageLine:
    """One resource's cost on one day, with its tags as they are on the resource."""

    scope: str
    day: dt.date
    cost: float
    currency: str = "USD"
    cost_type: str = "ActualCost"
    tags: dict = field(default_factory=dict)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: dict | None


@dataclass
class Fault:
    status: int
    headers: dict
    body: dict


def _scope_key(scope: str) -> str:
    return scope.strip("/").lower()


class CostManagementDouble:
    def __init__(self, *, page_size: int = 1000):
        self.page_size = page_size
        self.lines: list[UsageLine] = []
        self.requests: list[RecordedRequest] = []
        #: Scripted answers, one per request: a Fault, or None to answer normally.
        self.faults: deque[Fault | None] = deque()
        #: Rows appended verbatim to page ``extra_rows_page`` (1-based) of every answer: malformed data.
        self.extra_rows: list = []
        self.extra_rows_page = 1
        #: When set, replaces the columns of every answer (e.g. a missing UsageDate column).
        self.columns_override: list | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> CostManagementDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                double._handle(self, "POST")

            def do_GET(self):
                double._handle(self, "GET")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="cost-management-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- scripting -------------------------------------------------------------------------
    def add_cost(self, scope: str, day: dt.date, cost: float, *, currency="USD", cost_type="ActualCost", **tags) -> None:
        """Seed one resource's cost; ``tags`` are the resource's tags, e.g. loomWorkspaceId="ws-1"."""
        with self._lock:
            self.lines.append(UsageLine(scope, day, cost, currency, cost_type, dict(tags)))

    def clear(self, scope: str | None = None, day: dt.date | None = None) -> None:
        """Forget seeded cost (of a scope, of a day): the way to restate a day."""
        with self._lock:
            self.lines = [
                line
                for line in self.lines
                if not ((scope is None or _scope_key(line.scope) == _scope_key(scope)) and (day is None or line.day == day))
            ]

    def fail_next(self, status: int, *, headers: dict | None = None, times: int = 1, code: str | None = None) -> None:
        message = "Too many requests. Please retry." if status == 429 else "The service is temporarily unavailable."
        for _ in range(times):
            self.faults.append(Fault(status, dict(headers or {}), {"error": {"code": code or str(status), "message": message}}))

    def pass_next(self, times: int = 1) -> None:
        """Answer the next ``times`` requests normally (to place a fault after them)."""
        self.faults.extend([None] * times)

    def throttle_next(self, *, qpu: int = 1, entity: int = 0, tenant: int = 0, retry_after: int | None = None) -> None:
        """A 429 as Cost Management sends it: the QPU quota headers, and maybe a plain Retry-After."""
        prefix = "x-ms-ratelimit-microsoft.costmanagement"
        headers = {
            f"{prefix}-qpu-retry-after": str(qpu),
            f"{prefix}-entity-retry-after": str(entity),
            f"{prefix}-tenant-retry-after": str(tenant),
            f"{prefix}-qpu-remaining": "QueryResource=0",
        }
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        self.fail_next(429, headers=headers)

    def query_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]

    # --- the API --------------------------------------------------------------------------------
    def _send(self, handler, status: int, body: dict | None, headers: dict | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _error(self, handler, status: int, code: str, message: str) -> None:
        self._send(handler, status, {"error": {"code": code, "message": message}})

    def _handle(self, handler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, query, dict(handler.headers.items()), body))
        match = _PATH.match(parts.path)
        if method != "POST" or not match:
            return self._error(handler, 404, "NotFound", f"No route for {method} {parts.path}.")
        if not (handler.headers.get("Authorization") or "").startswith("Bearer "):
            return self._error(handler, 401, "AuthenticationFailed", "Authentication failed: no bearer token.")
        if query.get("api-version") != API_VERSION:
            return self._error(handler, 400, "InvalidApiVersion", f"api-version {query.get('api-version')!r} is not supported.")
        with self._lock:
            fault = self.faults.popleft() if self.faults else None
        if fault is not None:
            return self._send(handler, fault.status, fault.body, fault.headers)
        problem = self._invalid(body)
        if problem:
            return self._error(handler, 400, "BadRequest", problem)
        try:
            offset = int(base64.urlsafe_b64decode(query["$skiptoken"]).decode()) if "$skiptoken" in query else 0
        except (ValueError, UnicodeDecodeError):
            return self._error(handler, 400, "BadRequest", "Invalid $skiptoken.")
        scope = match.group("scope")
        columns, rows = self._answer(scope, body)
        page_rows = rows[offset : offset + self.page_size]
        page_number = offset // self.page_size + 1
        if page_number == self.extra_rows_page:
            page_rows = page_rows + list(self.extra_rows)
        next_link = None
        if offset + self.page_size < len(rows):
            token = base64.urlsafe_b64encode(str(offset + self.page_size).encode()).decode()
            next_link = (
                f"{self.url}/{scope}/providers/Microsoft.CostManagement/query"
                f"?api-version={API_VERSION}&$skiptoken={quote(token)}"
            )
        name = str(uuid.uuid4())
        return self._send(
            handler,
            200,
            {
                "id": f"{scope}/providers/Microsoft.CostManagement/query/{name}",
                "name": name,
                "type": "Microsoft.CostManagement/query",
                "location": None,
                "sku": None,
                "eTag": None,
                "properties": {"nextLink": next_link, "columns": self.columns_override or columns, "rows": page_rows},
            },
        )

    @staticmethod
    def _invalid(body) -> str | None:
        if not isinstance(body, dict):
            return "The request body is not a JSON object."
        if body.get("type") not in QUERY_TYPES:
            return f"Invalid query type {body.get('type')!r}."
        if body.get("timeframe") != "Custom":
            return "This double answers only timeframe Custom."
        period = body.get("timePeriod") or {}
        try:
            start = dt.date.fromisoformat(str(period.get("from", ""))[:10])
            end = dt.date.fromisoformat(str(period.get("to", ""))[:10])
        except ValueError:
            return "timePeriod.from and timePeriod.to must be ISO dates."
        if start > end:
            return "timePeriod.from is after timePeriod.to."
        dataset = body.get("dataset") or {}
        if dataset.get("granularity") not in ("Daily", "None"):
            return f"Invalid granularity {dataset.get('granularity')!r}."
        grouping = dataset.get("grouping") or []
        if len(grouping) > 2:
            return "At most 2 groupings are allowed."
        for g in grouping:
            if g.get("type") not in ("TagKey", "Dimension") or not g.get("name"):
                return f"Invalid grouping {g!r}."
        aggregation = dataset.get("aggregation") or {}
        if not aggregation or any(a.get("function") != "Sum" for a in aggregation.values()):
            return "The aggregation must use function Sum."
        return None

    def _answer(self, scope: str, body: dict) -> tuple[list, list]:
        dataset = body["dataset"]
        cost_name = next(iter(dataset["aggregation"].values()))["name"]
        daily = dataset["granularity"] == "Daily"
        tag_names = [g["name"] for g in dataset.get("grouping", []) if g["type"] == "TagKey"]
        start = dt.date.fromisoformat(body["timePeriod"]["from"][:10])
        end = dt.date.fromisoformat(body["timePeriod"]["to"][:10])
        totals: dict[tuple, float] = defaultdict(float)
        with self._lock:
            lines = list(self.lines)
        for line in lines:
            if _scope_key(line.scope) != _scope_key(scope) or not start <= line.day <= end:
                continue
            if body["type"] != "Usage" and line.cost_type != body["type"]:
                continue
            lowered = {k.lower(): v for k, v in line.tags.items()}
            values = tuple(lowered.get(name.lower()) for name in tag_names)
            totals[(line.day if daily else None, values, line.currency)] += line.cost
        columns = [{"name": cost_name, "type": "Number"}]
        if daily:
            columns.append({"name": "UsageDate", "type": "Number"})
        for _ in tag_names:
            columns += [{"name": "TagKey", "type": "String"}, {"name": "TagValue", "type": "String"}]
        columns.append({"name": "Currency", "type": "String"})
        rows = []
        for (day, values, currency), cost in sorted(totals.items(), key=lambda kv: (kv[0][0] or dt.date.min, str(kv[0][1]), kv[0][2])):
            row = [round(cost, 10)]
            if daily:
                row.append(int(day.strftime("%Y%m%d")))
            for name, value in zip(tag_names, values, strict=True):
                row += [name.lower(), value]
            row.append(currency)
            rows.append(row)
        return columns, rows
