"""A loopback HTTP double of the Azure API Management REST API (api-version 2024-05-01).

Contract (Azure REST spec 2024-05-01 and its examples; facts in AZURE-NOTES.md), all under
``/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}``:

- ``apis``: GET (paged), GET/HEAD/PUT/DELETE ``apis/{apiId}`` (DELETE is long-running: 202, or 204
  when the API does not exist). A PUT with ``format: openapi+json``
  imports the document (``ApiManagementCreateApiUsingOai3Import``): 201/200 with
  ``provisioningState: InProgress``, an ``Azure-AsyncOperation`` header to
  ``tenant/operationResults/{id}`` (``{"status": "Succeeded"}``) and a ``location`` header the SDK
  GETs for the final entity.
- ``products``: GET (paged), GET/HEAD/PUT/DELETE ``products/{pid}`` (``deleteSubscriptions``);
  ``products/{pid}/apis`` (GET, paged) and ``products/{pid}/apis/{apiId}`` (PUT/HEAD/DELETE);
  ``products/{pid}/policies/policy`` (GET/PUT/DELETE, ``format`` xml or rawxml, the value must be
  well-formed ``<policies>`` XML); ``products/{pid}/subscriptions`` (GET, paged).
- ``users/{uid}``: GET/PUT (``ApiManagementCreateUser``).
- ``namedValues/{id}``: GET/PUT (``ApiManagementCreateNamedValue``); a secret value is never returned.
  A policy that references ``{{name}}`` must name an existing named value (400 otherwise).
- ``subscriptions``: GET (paged), GET/PUT/PATCH/DELETE ``subscriptions/{sid}``; the scope must name an
  existing product and the owner an existing user; an omitted state is ``submitted``. Keys are never
  returned on the entity: POST ``listSecrets`` → ``{"primaryKey","secondaryKey"}``; POST
  ``regeneratePrimaryKey`` / ``regenerateSecondaryKey`` → 204.

Every entity carries an ``ETag`` header that changes on every write. PATCH and DELETE need
``If-Match`` (an ETag or ``*``); PUT takes an optional ``If-Match``. A stale ETag answers 412
``PreconditionFailed``. Lists page with ``$top``/``$skip`` and a ``nextLink``. Errors use the ARM
shape ``{"error": {"code", "message"}}``.

Tests drive it: ``fail_next`` scripts faults (409, 412, 429 with ``Retry-After``, 5xx) for requests
that match a method and a path fragment; ``tamper`` and ``remove`` change entities behind the portal's
back (drift); ``requests`` records what the SDK sent.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import secrets
import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

API_VERSION = "2024-05-01"
SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000000a1"
RESOURCE_GROUP = "rg-loom-apim"
SERVICE_NAME = "loom-apim"
PROVIDER = "Microsoft.ApiManagement/service"
_BASE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.ApiManagement/service/(?P<svc>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)
_ID = r"[A-Za-z0-9][A-Za-z0-9_\-.~]{0,255}"
OPENAPI_FORMATS = {"openapi+json", "openapi"}
POLICY_FORMATS = {"xml", "rawxml"}
SUBSCRIPTION_STATES = {"suspended", "active", "expired", "submitted", "rejected", "cancelled"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: object


@dataclass
class Fault:
    status: int
    method: str | None
    path_contains: str | None
    headers: dict
    body: dict

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains.lower() in path.lower()
        )


@dataclass
class Entity:
    name: str
    properties: dict
    etag: str = field(default_factory=lambda: _etag())
    # Secrets of a subscription: never part of the entity representation.
    secrets: dict = field(default_factory=dict)


class ApimError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _etag() -> str:
    return '"' + secrets.token_urlsafe(9) + '="'


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key() -> str:
    return secrets.token_hex(16)


class ApimDouble:
    """An in-memory API Management service reachable over loopback HTTP."""

    def __init__(self, *, page_size: int = 100):
        self.page_size = page_size
        self.apis: dict[str, Entity] = {}
        self.products: dict[str, Entity] = {}
        self.product_apis: dict[str, set[str]] = {}  # product id -> api ids
        self.policies: dict[str, Entity] = {}  # product id -> policy
        self.users: dict[str, Entity] = {}
        self.named_values: dict[str, Entity] = {}
        self.subscriptions: dict[str, Entity] = {}
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._operations: dict[str, str] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> ApimDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                double._handle(self, "GET")

            def do_HEAD(self):
                double._handle(self, "HEAD")

            def do_PUT(self):
                double._handle(self, "PUT")

            def do_PATCH(self):
                double._handle(self, "PATCH")

            def do_DELETE(self):
                double._handle(self, "DELETE")

            def do_POST(self):
                double._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="apim-double", daemon=True).start()
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

    @property
    def service_id(self) -> str:
        return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/{PROVIDER}/{SERVICE_NAME}"

    # --- scripting -------------------------------------------------------------------------
    def fail_next(self, status: int, *, method: str | None = None, path_contains: str | None = None,
                  headers: dict | None = None, times: int = 1, code: str | None = None) -> None:
        """The next ``times`` requests matching ``method`` and ``path_contains`` answer ``status``."""
        codes = {409: "Conflict", 412: "PreconditionFailed", 429: "TooManyRequests", 500: "InternalServerError",
                 503: "ServiceUnavailable"}
        message = {
            409: "The entity was modified by a concurrent operation. Retry the request.",
            412: "The entity has been modified since it was read.",
            429: "Rate limit is exceeded. Try again later.",
        }.get(status, "The service is temporarily unavailable.")
        with self._lock:
            for _ in range(times):
                self.faults.append(Fault(status, method, path_contains, dict(headers or {}),
                                         {"error": {"code": code or codes.get(status, str(status)), "message": message}}))

    def throttle_next(self, *, retry_after: int = 0, method: str | None = None, path_contains: str | None = None,
                      times: int = 1) -> None:
        """A 429 with ``Retry-After`` as API Management's management plane sends it."""
        self.fail_next(429, method=method, path_contains=path_contains, headers={"Retry-After": str(retry_after)},
                       times=times)

    def tamper(self, kind: str, entity_id: str, **properties) -> None:
        """Someone edits an entity in the Azure portal: its properties change and so does its ETag."""
        with self._lock:
            entity = self._store(kind)[entity_id.lower()]
            entity.properties.update(properties)
            entity.etag = _etag()

    def remove(self, kind: str, entity_id: str) -> None:
        """Someone deletes an entity behind the portal's back."""
        with self._lock:
            self._store(kind).pop(entity_id.lower(), None)
            if kind == "products":
                self.product_apis.pop(entity_id.lower(), None)
            if kind == "apis":
                for linked in self.product_apis.values():
                    linked.discard(entity_id.lower())

    def add_api(self, api_id: str, *, display_name: str, path: str, api_type: str = "http",
                service_url: str = "https://backend.example") -> None:
        """Seed an API published by another team (a Function app, an AI endpoint...)."""
        with self._lock:
            self.apis[api_id.lower()] = Entity(api_id, {
                "displayName": display_name, "path": path, "apiType": api_type, "serviceUrl": service_url,
                "protocols": ["https"], "isCurrent": True, "apiRevision": "1", "subscriptionRequired": True,
            })

    def add_product(self, product_id: str, *, display_name: str, api_ids=()) -> None:
        with self._lock:
            self.products[product_id.lower()] = Entity(product_id, {
                "displayName": display_name, "subscriptionRequired": True, "approvalRequired": False,
                "state": "published",
            })
            self.product_apis[product_id.lower()] = {a.lower() for a in api_ids}

    def add_subscription(self, sid: str, *, product_id: str, state: str = "active") -> None:
        with self._lock:
            self.subscriptions[sid.lower()] = Entity(sid, {
                "scope": f"{self.service_id}/products/{product_id}", "displayName": sid, "state": state,
                "createdDate": _now(),
            }, secrets={"primaryKey": _key(), "secondaryKey": _key()})

    def linked_apis(self, product_id: str) -> set[str]:
        return set(self.product_apis.get(product_id.lower(), set()))

    def subscription_state(self, sid: str) -> str | None:
        entity = self.subscriptions.get(sid.lower())
        return entity.properties.get("state") if entity else None

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method in ("PUT", "PATCH", "DELETE", "POST")]

    def _store(self, kind: str) -> dict[str, Entity]:
        return {"apis": self.apis, "products": self.products, "policies": self.policies, "users": self.users,
                "subscriptions": self.subscriptions, "namedValues": self.named_values}[kind]

    # --- HTTP --------------------------------------------------------------------------------
    def _send(self, handler, status: int, body=None, headers: dict | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    def _handle(self, handler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        headers = dict(handler.headers.items())
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, query, headers, copy.deepcopy(body)))
        try:
            if not (handler.headers.get("Authorization") or "").startswith("Bearer "):
                raise ApimError(401, "AuthenticationFailed", "Authentication failed: no bearer token.")
            if query.get("api-version") != API_VERSION:
                raise ApimError(400, "InvalidApiVersionParameter", f"api-version {query.get('api-version')!r} is not supported.")
            match = _BASE.match(parts.path)
            if not match:
                raise ApimError(404, "ResourceNotFound", f"No route for {method} {parts.path}.")
            if (match["sub"].lower(), match["rg"].lower(), match["svc"].lower()) != (
                SUBSCRIPTION_ID, RESOURCE_GROUP.lower(), SERVICE_NAME.lower()
            ):
                raise ApimError(404, "ResourceNotFound", "The API Management service was not found.")
            with self._lock:
                fault = next((f for f in self.faults if f.matches(method, parts.path)), None)
                if fault is not None:
                    self.faults.remove(fault)
            if fault is not None:
                return self._send(handler, fault.status, fault.body, fault.headers)
            with self._lock:
                status, payload, extra = self._route(method, match["rest"] or "/", query, headers, body)
            return self._send(handler, status, payload, extra)
        except ApimError as exc:
            return self._send(handler, exc.status, {"error": {"code": exc.code, "message": exc.message}})

    # --- routing -------------------------------------------------------------------------------
    def _route(self, method, rest, query, headers, body):
        segments = [s for s in rest.split("/") if s]
        if_match = headers.get("If-Match") or headers.get("if-match")
        n = len(segments)
        if segments[:2] == ["tenant", "operationResults"] and n == 3 and method == "GET":
            return self._operation_result(segments[2])
        head = segments[0] if segments else ""
        if head == "apis":
            if n == 1 and method == "GET":
                return self._list("apis", self.apis.values(), query, self._api_body)
            if n == 2:
                return self._entity_op("apis", segments[1], method, if_match, body, query)
        if head == "products":
            if n == 1 and method == "GET":
                return self._list("products", self.products.values(), query, self._product_body)
            if n == 2:
                return self._entity_op("products", segments[1], method, if_match, body, query)
            pid = segments[1].lower()
            if n >= 3 and pid not in self.products:
                raise ApimError(404, "ResourceNotFound", "Product not found.")
            if segments[2] == "apis" and n == 3 and method == "GET":
                apis = [self.apis[a] for a in sorted(self.product_apis.get(pid, ())) if a in self.apis]
                return self._list(f"products/{segments[1]}/apis", apis, query, self._api_body)
            if segments[2] == "apis" and n == 4:
                return self._product_api(pid, segments[3], method)
            if segments[2] == "subscriptions" and n == 3 and method == "GET":
                subs = [s for s in self.subscriptions.values() if self._scope_product(s) == pid]
                return self._list(f"products/{segments[1]}/subscriptions", subs, query, self._subscription_body)
            if segments[2] == "policies" and n == 3 and method == "GET":
                policy = self.policies.get(pid)
                return 200, {"value": [self._policy_body(pid, policy)] if policy else [], "count": int(bool(policy))}, {}
            if segments[2] == "policies" and n == 4:
                if segments[3] != "policy":
                    raise ApimError(400, "ValidationError", "The policy id must be 'policy'.")
                return self._policy_op(pid, method, if_match, body, query)
        if head == "namedValues" and n == 2:
            return self._entity_op("namedValues", segments[1], method, if_match, body, query)
        if head == "users" and n == 2:
            return self._entity_op("users", segments[1], method, if_match, body, query)
        if head == "subscriptions":
            if n == 1 and method == "GET":
                return self._list("subscriptions", self.subscriptions.values(), query, self._subscription_body)
            if n == 2:
                return self._entity_op("subscriptions", segments[1], method, if_match, body, query)
            if n == 3 and method == "POST":
                return self._subscription_action(segments[1], segments[2])
        raise ApimError(404, "ResourceNotFound", f"No route for {method} {rest}.")

    def _list(self, path: str, entities, query, render):
        items = sorted(entities, key=lambda e: e.name.lower())
        try:
            top = int(query.get("$top") or self.page_size)
            skip = int(query.get("$skip") or 0)
        except ValueError:
            raise ApimError(400, "ValidationError", "$top and $skip must be integers.") from None
        top = max(1, min(top, self.page_size))
        page = items[skip : skip + top]
        body = {"value": [render(e) for e in page], "count": len(items)}
        if skip + top < len(items):
            next_query = urlencode({"api-version": API_VERSION, "$top": top, "$skip": skip + top})
            body["nextLink"] = f"{self.url}{self.service_id}/{path}?{next_query}"
        return 200, body, {}

    # --- generic entity operations ---------------------------------------------------------------
    def _check_if_match(self, entity: Entity | None, if_match: str | None, *, required: bool) -> None:
        if if_match is None:
            if required:
                raise ApimError(400, "ValidationError", "The If-Match header is required.")
            return
        if entity is None:
            if if_match != "*":
                raise ApimError(412, "PreconditionFailed", "The entity does not exist.")
            return
        if if_match != "*" and if_match != entity.etag:
            raise ApimError(412, "PreconditionFailed", "The entity has been modified since it was read.")

    def _entity_op(self, kind: str, entity_id: str, method: str, if_match, body, query):
        if not re.fullmatch(_ID, entity_id):
            raise ApimError(400, "ValidationError", f"Invalid identifier {entity_id!r}.")
        store = self._store(kind)
        key = entity_id.lower()
        entity = store.get(key)
        render = {"apis": self._api_body, "products": self._product_body, "users": self._user_body,
                  "subscriptions": self._subscription_body, "namedValues": self._named_value_body}[kind]
        if method in ("GET", "HEAD"):
            if entity is None:
                raise ApimError(404, "ResourceNotFound", f"{kind[:-1].title()} not found.")
            return 200, render(entity), {"ETag": entity.etag}
        if method == "DELETE":
            self._check_if_match(entity, if_match, required=True)
            if entity is None:
                return 204, None, {}
            del store[key]
            if kind == "products":
                self.product_apis.pop(key, None)
                self.policies.pop(key, None)
                owned = [s for s, e in self.subscriptions.items() if self._scope_product(e) == key]
                if owned and query.get("deleteSubscriptions", "").lower() != "true":
                    store[key] = entity
                    raise ApimError(400, "ValidationError", "The product has subscriptions; pass deleteSubscriptions=true.")
                for sid in owned:
                    del self.subscriptions[sid]
            if kind == "apis":
                for linked in self.product_apis.values():
                    linked.discard(key)
                # Deleting an API is a long-running operation (202 + Azure-AsyncOperation) in 2024-05-01.
                operation = uuid.uuid4().hex
                self._operations[operation] = entity.name
                result = f"{self.url}{self.service_id}/tenant/operationResults/{operation}?api-version={API_VERSION}"
                return 202, None, {"location": result, "Azure-AsyncOperation": result}
            return 200, None, {}
        if method == "PUT":
            self._check_if_match(entity, if_match, required=False)
            properties = self._validate(kind, (body or {}).get("properties") if isinstance(body, dict) else None, entity)
            created = entity is None
            if created:
                entity = Entity(entity_id, properties)
                if kind == "subscriptions":
                    entity.secrets = {"primaryKey": properties.pop("primaryKey", None) or _key(),
                                      "secondaryKey": properties.pop("secondaryKey", None) or _key()}
                    entity.properties.setdefault("createdDate", _now())
                store[key] = entity
            else:
                if kind == "subscriptions":
                    properties.pop("primaryKey", None)
                    properties.pop("secondaryKey", None)
                    properties.setdefault("createdDate", entity.properties.get("createdDate", _now()))
                entity.properties = properties
                entity.etag = _etag()
            status = 201 if created else 200
            if kind == "apis":
                return self._accepted_import(entity, status)
            return status, render(entity), {"ETag": entity.etag}
        if method == "PATCH":
            if kind != "subscriptions":
                raise ApimError(405, "MethodNotAllowed", f"PATCH is not supported on {kind} by this double.")
            self._check_if_match(entity, if_match, required=True)
            if entity is None:
                raise ApimError(404, "ResourceNotFound", "Subscription not found.")
            changes = (body or {}).get("properties") or {} if isinstance(body, dict) else {}
            if "state" in changes and changes["state"] not in SUBSCRIPTION_STATES:
                raise ApimError(400, "ValidationError", f"Invalid subscription state {changes['state']!r}.")
            for name in ("displayName", "state", "stateComment", "expirationDate", "allowTracing"):
                if name in changes:
                    entity.properties[name] = changes[name]
            entity.etag = _etag()
            return 200, render(entity), {"ETag": entity.etag}
        raise ApimError(405, "MethodNotAllowed", f"{method} is not supported here.")

    def _accepted_import(self, entity: Entity, status: int):
        """An OpenAPI import runs asynchronously: InProgress now, the operation result says when it is done."""
        operation = uuid.uuid4().hex
        self._operations[operation] = entity.name
        body = self._api_body(entity)
        body["properties"]["provisioningState"] = "InProgress"
        api_url = f"{self.url}{self.service_id}/apis/{entity.name}"
        return status, body, {
            "ETag": entity.etag,
            "location": f"{api_url}?{urlencode({'api-version': API_VERSION, 'asyncId': operation, 'asyncCode': status})}",
            "Azure-AsyncOperation": f"{self.url}{self.service_id}/tenant/operationResults/{operation}?api-version={API_VERSION}",
        }

    def _operation_result(self, operation: str):
        if operation not in self._operations:
            raise ApimError(404, "ResourceNotFound", "Operation not found.")
        now = _now()
        return 200, {"id": f"{self.service_id}/tenant/operationResults/{operation}", "name": operation,
                     "status": "Succeeded", "started": now, "updated": now}, {}

    # --- validation -------------------------------------------------------------------------------
    def _validate(self, kind: str, properties, existing: Entity | None) -> dict:
        if not isinstance(properties, dict):
            raise ApimError(400, "ValidationError", "The request body must have a 'properties' object.")
        props = copy.deepcopy(properties)
        if kind == "apis":
            fmt = props.pop("format", None)
            value = props.pop("value", None)
            if fmt is not None:
                if fmt not in OPENAPI_FORMATS:
                    raise ApimError(400, "ValidationError", f"Import format {fmt!r} is not supported by this double.")
                document = self._openapi(fmt, value)
                info = document.get("info") or {}
                props.setdefault("displayName", info.get("title"))
                props.setdefault("description", info.get("description", ""))
                servers = document.get("servers") or []
                if servers and not props.get("serviceUrl"):
                    props["serviceUrl"] = servers[0].get("url")
                props["operations"] = sorted(
                    op.get("operationId", f"{verb} {path}")
                    for path, item in (document.get("paths") or {}).items()
                    for verb, op in item.items()
                    if isinstance(op, dict)
                )
            elif existing is None and not props.get("displayName"):
                raise ApimError(400, "ValidationError", "'displayName' is required.")
            if props.get("path") is None:
                raise ApimError(400, "ValidationError", "'path' is required.")
            for other in self.apis.values():
                if existing is not other and other.properties.get("path", "").lower() == str(props["path"]).lower():
                    raise ApimError(400, "ValidationError", f"Path {props['path']!r} is already used by API {other.name!r}.")
            props.setdefault("apiType", "http")
            props.setdefault("protocols", ["https"])
            props.setdefault("subscriptionRequired", True)
            props.update({"isCurrent": True, "apiRevision": "1"})
            return props
        if kind == "products":
            if not props.get("displayName"):
                raise ApimError(400, "ValidationError", "'displayName' is required.")
            if not props.get("subscriptionRequired", True) and (
                "approvalRequired" in props or "subscriptionsLimit" in props
            ):
                raise ApimError(400, "ValidationError",
                                "approvalRequired and subscriptionsLimit apply only when subscriptionRequired is true.")
            props.setdefault("subscriptionRequired", True)
            props.setdefault("state", "notPublished")
            if props["state"] not in ("published", "notPublished"):
                raise ApimError(400, "ValidationError", f"Invalid product state {props['state']!r}.")
            return props
        if kind == "namedValues":
            if not re.fullmatch(r"[A-Za-z0-9._-]{1,256}", str(props.get("displayName") or "")):
                raise ApimError(400, "ValidationError", "'displayName' may contain only letters, digits, '.', '-' and '_'.")
            if not isinstance(props.get("value"), str) or not props["value"]:
                raise ApimError(400, "ValidationError", "'value' is required.")
            props["secret"] = bool(props.get("secret"))
            return props
        if kind == "users":
            if not props.get("email"):
                raise ApimError(400, "ValidationError", "'email' is required.")
            props.pop("confirmation", None)
            props.pop("password", None)
            props.setdefault("state", "active")
            props.setdefault("registrationDate", _now())
            props["identities"] = [{"provider": "Basic", "id": props["email"]}]
            return props
        if kind == "subscriptions":
            scope = props.get("scope") or ""
            if not scope or self._product_of_scope(scope) is None:
                raise ApimError(400, "ValidationError", f"Subscription scope {scope!r} does not name an existing product.")
            owner = props.get("ownerId")
            if owner:
                uid = owner.rstrip("/").rsplit("/users/", 1)[-1].lower() if "/users/" in owner else None
                if uid is None or uid not in self.users:
                    raise ApimError(400, "ValidationError", f"Owner {owner!r} is not a user of this service.")
            if not props.get("displayName"):
                raise ApimError(400, "ValidationError", "'displayName' is required.")
            state = props.get("state") or "submitted"
            if state not in SUBSCRIPTION_STATES:
                raise ApimError(400, "ValidationError", f"Invalid subscription state {state!r}.")
            props["state"] = state
            return props
        return props

    @staticmethod
    def _openapi(fmt: str, value) -> dict:
        if not isinstance(value, str) or not value.strip():
            raise ApimError(400, "ValidationError", "'value' must hold the OpenAPI document.")
        try:
            document = json.loads(value)
        except ValueError as exc:
            raise ApimError(400, "ValidationError", f"Parsing error(s): the OpenAPI document is not JSON ({exc}).") from None
        if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
            raise ApimError(400, "ValidationError", "Parsing error(s): the document is not OpenAPI 3.")
        if not isinstance(document.get("paths"), dict) or not document["paths"]:
            raise ApimError(400, "ValidationError", "Parsing error(s): the document has no paths.")
        return document

    def _product_of_scope(self, scope: str) -> str | None:
        marker = "/products/"
        if marker not in scope:
            return None
        pid = scope.rstrip("/").rsplit(marker, 1)[-1].lower()
        return pid if pid in self.products else None

    def _scope_product(self, entity: Entity) -> str | None:
        scope = entity.properties.get("scope") or ""
        return scope.rstrip("/").rsplit("/products/", 1)[-1].lower() if "/products/" in scope else None

    # --- product children ---------------------------------------------------------------------------
    def _product_api(self, pid: str, api_id: str, method: str):
        key = api_id.lower()
        linked = self.product_apis.setdefault(pid, set())
        if method == "PUT":
            if key not in self.apis:
                raise ApimError(404, "ResourceNotFound", f"API {api_id!r} not found.")
            created = key not in linked
            linked.add(key)
            return (201 if created else 200), self._api_body(self.apis[key]), {}
        if method == "HEAD":
            if key in linked:
                return 204, None, {}
            raise ApimError(404, "ResourceNotFound", "The API is not part of the product.")
        if method == "DELETE":
            if key in linked:
                linked.discard(key)
                return 200, None, {}
            return 204, None, {}
        raise ApimError(405, "MethodNotAllowed", f"{method} is not supported here.")

    def _policy_op(self, pid: str, method: str, if_match, body, query):
        policy = self.policies.get(pid)
        if method in ("GET", "HEAD"):
            if policy is None:
                raise ApimError(404, "ResourceNotFound", "Policy not found.")
            return 200, self._policy_body(pid, policy), {"ETag": policy.etag}
        if method == "DELETE":
            self._check_if_match(policy, if_match, required=True)
            self.policies.pop(pid, None)
            return (200 if policy else 204), None, {}
        if method == "PUT":
            self._check_if_match(policy, if_match, required=False)
            props = (body or {}).get("properties") if isinstance(body, dict) else None
            if not isinstance(props, dict) or not isinstance(props.get("value"), str):
                raise ApimError(400, "ValidationError", "'properties.value' must hold the policy XML.")
            fmt = props.get("format", "xml")
            if fmt not in POLICY_FORMATS:
                raise ApimError(400, "ValidationError", f"Policy format {fmt!r} is not supported by this double.")
            try:
                root = ET.fromstring(props["value"])
            except ET.ParseError as exc:
                raise ApimError(400, "ValidationError", f"The policy XML is not well formed: {exc}.") from None
            if root.tag != "policies":
                raise ApimError(400, "ValidationError", "The policy document must have a <policies> root.")
            known = {e.properties.get("displayName") for e in self.named_values.values()}
            for reference in re.findall(r"\{\{([^{}]+)\}\}", props["value"]):
                if reference not in known:
                    raise ApimError(400, "ValidationError", f"Cannot find a property '{reference}'.")
            created = policy is None
            if created:
                policy = Entity("policy", {"value": props["value"], "format": "xml"})
                self.policies[pid] = policy
            else:
                policy.properties = {"value": props["value"], "format": "xml"}
                policy.etag = _etag()
            return (201 if created else 200), self._policy_body(pid, policy), {"ETag": policy.etag}
        raise ApimError(405, "MethodNotAllowed", f"{method} is not supported here.")

    def _subscription_action(self, sid: str, action: str):
        entity = self.subscriptions.get(sid.lower())
        if entity is None:
            raise ApimError(404, "ResourceNotFound", "Subscription not found.")
        if action == "listSecrets":
            return 200, dict(entity.secrets), {"ETag": entity.etag}
        if action == "regeneratePrimaryKey":
            entity.secrets["primaryKey"] = _key()
        elif action == "regenerateSecondaryKey":
            entity.secrets["secondaryKey"] = _key()
        else:
            raise ApimError(404, "ResourceNotFound", f"Unknown action {action!r}.")
        entity.etag = _etag()
        return 204, None, {}

    # --- representations -----------------------------------------------------------------------------
    def _resource(self, path: str, kind: str, entity: Entity, properties: dict) -> dict:
        return {"id": f"{self.service_id}/{path}", "type": f"Microsoft.ApiManagement/service/{kind}",
                "name": entity.name, "properties": properties}

    def _api_body(self, entity: Entity) -> dict:
        props = {k: v for k, v in entity.properties.items() if k != "operations"}
        props.setdefault("subscriptionKeyParameterNames", {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"})
        return self._resource(f"apis/{entity.name}", "apis", entity, props)

    def _product_body(self, entity: Entity) -> dict:
        return self._resource(f"products/{entity.name}", "products", entity, dict(entity.properties))

    def _policy_body(self, pid: str, entity: Entity) -> dict:
        return self._resource(f"products/{pid}/policies/policy", "products/policies", entity, dict(entity.properties))

    def _named_value_body(self, entity: Entity) -> dict:
        props = dict(entity.properties)
        if props.get("secret"):
            props.pop("value", None)  # secret values are only returned by listValue
        return self._resource(f"namedValues/{entity.name}", "namedValues", entity, props)

    def _user_body(self, entity: Entity) -> dict:
        return self._resource(f"users/{entity.name}", "users", entity, dict(entity.properties))

    def _subscription_body(self, entity: Entity) -> dict:
        props = dict(entity.properties)
        scope = props.get("scope") or ""
        if scope.startswith("/products/"):
            props["scope"] = f"{self.service_id}{scope}"
        owner = props.get("ownerId") or ""
        if owner.startswith("/users/"):
            props["ownerId"] = f"{self.service_id}{owner}"
        return self._resource(f"subscriptions/{entity.name}", "subscriptions", entity, props)
