"""A loopback HTTP double of the Consumption Budgets API (Microsoft.Consumption/budgets, api-version 2024-08-01).

Contract (Azure REST spec ``consumption.json`` 2024-08-01, examples ``CreateOrUpdateBudget.json``,
``Budget.json``, ``DeleteBudget.json``; facts in AZURE-NOTES.md):

- ``PUT /{scope}/providers/Microsoft.Consumption/budgets/{budgetName}`` with
  ``{"eTag"?, "properties": {"category": "Cost", "amount", "timeGrain", "timePeriod": {"startDate", "endDate"?},
  "filter"?, "notifications": {"<key>": {"enabled", "operator", "threshold", "contactEmails", "contactGroups"?,
  "thresholdType"?}}}}`` answers 201 (created) or 200 (updated) with the budget plus ``id``, ``name``, ``type``,
  a new body ``eTag`` and the read-only ``currentSpend {amount, unit}``.
- The body ``eTag`` handles concurrent updates: a PUT whose eTag is not the current one is refused
  (412 PreconditionFailed here; ``conflict_status`` may make it 409). A PUT without an eTag overwrites.
- ``GET`` the same path answers the budget or 404; ``DELETE`` answers 200 or 404.
- ``startDate`` must be the first of a month and cannot change on an existing budget (400).
- Throttling is a 429 with ``Retry-After``. Errors use the ARM shape ``{"error": {"code", "message"}}``.

Tests drive it: ``fail_next`` / ``throttle_next`` script faults, ``edit_in_azure`` changes a budget
the way a person in the Azure portal would (a new eTag), and ``requests`` records what the SDK sent.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2024-08-01"
_PATH = re.compile(r"^/(?P<scope>.+?)/providers/Microsoft\.Consumption/budgets/(?P<name>[^/]+)$", re.IGNORECASE)
TIME_GRAINS = {"Monthly", "Quarterly", "Annually", "BillingMonth", "BillingQuarter", "BillingAnnual"}
OPERATORS = {"EqualTo", "GreaterThan", "GreaterThanOrEqualTo"}
THRESHOLD_TYPES = {"Actual", "Forecasted"}
MAX_NOTIFICATIONS = 5


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


def _key(scope: str, name: str) -> tuple[str, str]:
    return scope.strip("/").lower(), name.lower()


class ConsumptionDouble:
    def __init__(self, *, conflict_status: int = 412):
        self.conflict_status = conflict_status
        self.budgets: dict[tuple[str, str], dict] = {}
        self.requests: list[RecordedRequest] = []
        self.faults: deque[Fault | None] = deque()
        #: currentSpend reported for every budget (Azure's own figure).
        self.current_spend = 0.0
        self._etags = itertools.count(0x1D34D012214157F)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> ConsumptionDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                double._handle(self, "GET")

            def do_PUT(self):
                double._handle(self, "PUT")

            def do_DELETE(self):
                double._handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="consumption-double", daemon=True).start()
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
    def fail_next(self, status: int, *, headers: dict | None = None, times: int = 1, code: str | None = None) -> None:
        messages = {429: "Too many requests. Please retry.", 403: "The client does not have authorization."}
        message = messages.get(status, "The service is temporarily unavailable." if status >= 500 else "Bad request.")
        for _ in range(times):
            self.faults.append(Fault(status, dict(headers or {}), {"error": {"code": code or str(status), "message": message}}))

    def pass_next(self, times: int = 1) -> None:
        """Answer the next ``times`` requests normally (to place a fault after them)."""
        self.faults.extend([None] * times)

    def throttle_next(self, *, retry_after: int = 1, times: int = 1) -> None:
        """A 429 as Resource Manager sends it, with ``Retry-After`` in seconds."""
        for _ in range(times):
            self.faults.append(
                Fault(
                    429,
                    {"Retry-After": str(retry_after), "x-ms-ratelimit-remaining-subscription-writes": "0"},
                    {"error": {"code": "TooManyRequests", "message": "Too many requests. Please retry."}},
                )
            )

    def edit_in_azure(self, scope: str, name: str, **properties) -> str:
        """Change a stored budget's properties as someone in the Azure portal would; returns the new eTag."""
        with self._lock:
            budget = self.budgets[_key(scope, name)]
            budget["properties"].update(properties)
            budget["eTag"] = self._new_etag()
            return budget["eTag"]

    def budget(self, scope: str, name: str) -> dict | None:
        with self._lock:
            stored = self.budgets.get(_key(scope, name))
            return copy.deepcopy(stored) if stored else None

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method]

    # --- the API ---------------------------------------------------------------------------
    def _new_etag(self) -> str:
        return f'"{next(self._etags):x}"'

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
        if not match:
            return self._error(handler, 404, "NotFound", f"No route for {method} {parts.path}.")
        if not (handler.headers.get("Authorization") or "").startswith("Bearer "):
            return self._error(handler, 401, "AuthenticationFailed", "Authentication failed: no bearer token.")
        if query.get("api-version") != API_VERSION:
            return self._error(handler, 400, "InvalidApiVersion", f"api-version {query.get('api-version')!r} is not supported.")
        with self._lock:
            fault = self.faults.popleft() if self.faults else None
        if fault is not None:
            return self._send(handler, fault.status, fault.body, fault.headers)
        scope, name = match.group("scope"), match.group("name")
        key = _key(scope, name)
        if method == "GET":
            stored = self.budget(scope, name)
            if stored is None:
                return self._error(handler, 404, "NotFound", f"Budget {name} was not found.")
            return self._send(handler, 200, stored)
        if method == "DELETE":
            with self._lock:
                existed = self.budgets.pop(key, None)
            if existed is None:
                return self._error(handler, 404, "NotFound", f"Budget {name} was not found.")
            return self._send(handler, 200, None)
        return self._put(handler, scope, name, body)

    def _put(self, handler, scope: str, name: str, body) -> None:
        problem = self._invalid(body)
        if problem:
            return self._error(handler, 400, "BadRequest", problem)
        key = _key(scope, name)
        with self._lock:
            existing = self.budgets.get(key)
            if existing is not None:
                sent = body.get("eTag")
                if sent and sent != existing["eTag"]:
                    code = "PreconditionFailed" if self.conflict_status == 412 else "Conflict"
                    return self._error(
                        handler, self.conflict_status, code,
                        "The budget was changed by another request: the eTag does not match. Get it and retry.",
                    )
                if body["properties"]["timePeriod"]["startDate"] != existing["properties"]["timePeriod"]["startDate"]:
                    return self._error(
                        handler, 400, "BadRequest",
                        "Start date of budgets cannot be updated. Please delete and create a new budget.",
                    )
            properties = copy.deepcopy(body["properties"])
            properties["currentSpend"] = {"amount": self.current_spend, "unit": "USD"}
            stored = {
                "id": f"{scope}/providers/Microsoft.Consumption/budgets/{name}",
                "name": name,
                "type": "Microsoft.Consumption/budgets",
                "eTag": self._new_etag(),
                "properties": properties,
            }
            self.budgets[key] = stored
            answer = copy.deepcopy(stored)
        return self._send(handler, 200 if existing is not None else 201, answer)

    @staticmethod
    def _invalid(body) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            return "The request body must be a budget with properties."
        props = body["properties"]
        if props.get("category") != "Cost":
            return f"Invalid category {props.get('category')!r}: expected Cost."
        amount = props.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            return f"Invalid amount {amount!r}."
        if props.get("timeGrain") not in TIME_GRAINS:
            return f"Invalid timeGrain {props.get('timeGrain')!r}."
        period = props.get("timePeriod") or {}
        try:
            start = dt.datetime.fromisoformat(str(period.get("startDate", "")).replace("Z", "+00:00"))
            end = (
                dt.datetime.fromisoformat(str(period["endDate"]).replace("Z", "+00:00")) if period.get("endDate") else None
            )
        except ValueError:
            return "timePeriod.startDate and endDate must be ISO 8601 date-times."
        if start.day != 1:
            return "The start date must be the first of the month."
        if end is not None and end <= start:
            return "The end date must be after the start date."
        flt = props.get("filter")
        if flt is not None:
            expressions = flt.get("and") or [flt]
            if "and" in flt and len(flt["and"]) < 2:
                return "filter.and must have at least 2 items."
            for expression in expressions:
                for kind in ("tags", "dimensions"):
                    if kind in expression:
                        e = expression[kind]
                        if not e.get("name") or e.get("operator") != "In" or not e.get("values"):
                            return f"Invalid {kind} filter {e!r}."
        notifications = props.get("notifications") or {}
        if len(notifications) > MAX_NOTIFICATIONS:
            return f"A budget can have at most {MAX_NOTIFICATIONS} notifications."
        for key, n in notifications.items():
            if n.get("operator") not in OPERATORS:
                return f"Notification {key}: invalid operator {n.get('operator')!r}."
            if n.get("thresholdType", "Actual") not in THRESHOLD_TYPES:
                return f"Notification {key}: invalid thresholdType {n.get('thresholdType')!r}."
            threshold = n.get("threshold")
            if not isinstance(threshold, int | float) or not 0 < threshold <= 1000:
                return f"Notification {key}: threshold must be between 0.01 and 1000."
            if not isinstance(n.get("contactEmails"), list):
                return f"Notification {key}: contactEmails is required."
            if not n["contactEmails"] and not n.get("contactGroups"):
                return f"Notification {key}: give at least one contact e-mail or contact group."
        return None
