"""The data API: ``GET /data/v1/products/{slug}/rows`` returns a product's rows as the consumer's principal.

Authentication: an API key (``X-Api-Key: loom_key_...`` or ``Authorization: Bearer loom_key_...``) bound to an
active grant, a call relayed by Azure API Management (marketplace.apim.gateway), or the portal session (the
developer portal's "try it"). The engine's row-level security decides
which rows come back; the portal only checks that an active grant exists and counts the call.

JSON (default): ``{"product", "rows": [{column: value}], "next_cursor"}``, ``limit`` 1..1000 (default 100).
CSV (``Accept: text/csv``): streamed from a server-side cursor, every row from the cursor on unless ``limit``.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import uuid

from django.conf import settings
from django.core import signing
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from marketplace import selectors, serving
from marketplace.apim.gateway import grant_for_gateway_call
from marketplace.rls import ScopeError
from marketplace.rls.base import check_identifier
from marketplace.services import grants

RESERVED_PARAMS = {"limit", "cursor", "format"}
CURSOR_SALT = "loom.data_api.cursor"


def _error(status: int, detail: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def _presented_key(request) -> str:
    key = request.headers.get("X-Api-Key", "").strip()
    if key:
        return key
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip().startswith(grants.KEY_PREFIX):
        return value.strip()
    return ""


def _json_value(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID | bytes | memoryview):
        return str(value) if not isinstance(value, bytes | memoryview) else bytes(value).hex()
    return value


def _csv_value(value):
    if value is None:
        return ""
    return _json_value(value)


class _Echo:
    def write(self, value):
        return value


def _wants_csv(request) -> bool:
    if request.GET.get("format") == "csv":
        return True
    accept = request.headers.get("Accept", "")
    return "text/csv" in accept and "application/json" not in accept


@require_GET
def product_rows(request, slug: str):
    raw_key = _presented_key(request)
    key = gateway_grant = None
    if raw_key:
        key = grants.api_key_lookup(raw_key)
        if key is None or not key.user.is_active:
            return _error(401, "The API key is unknown.")
        if not grants.api_key_grant_is_live(key):
            # The consumer is known; their access ended (revoked or expired), which is a refusal, not a bad key.
            return _error(403, f"Your grant on {key.grant.product.name} is {key.grant.get_status_display().lower()}"
                               f"{' (expired)' if key.grant.status == 'active' else ''}: request access again.")
        if key.revoked_at is not None:
            return _error(401, "This API key was revoked or rotated; use the current key.")
        user = key.user
    elif (gateway_grant := grant_for_gateway_call(request, product_slug=slug)) is not None:
        # Called through Azure API Management: the gateway vouches for the consumer's subscription.
        user = gateway_grant.grantee
    elif request.user.is_authenticated:
        user = request.user
    else:
        return _error(401, "Send an API key in the X-Api-Key header (create one under My access).")

    try:
        product = selectors.product_get(actor=user, slug=slug)
    except Http404:
        return _error(404, f"No data product {slug!r}.")
    if gateway_grant is not None:
        grant = gateway_grant
    elif key is not None:
        if key.grant.product_id != product.pk:
            return _error(403, f"This key belongs to a grant on another product, not {product.name}.")
        grant = key.grant
    else:
        grant = selectors.active_grant_for(user=user, product=product)
        if grant is None:
            return _error(403, f"You have no active grant for {product.name}: request access on its page.")

    columns = [c.name for c in product.columns.all()]
    filters: dict[str, list[str]] = {}
    for name in request.GET:
        if name in RESERVED_PARAMS:
            continue
        if name not in columns:
            return _error(400, f"{name}: not a column of {product.name}; filter by one of {', '.join(columns)}.",
                          field=name)
        filters[name] = request.GET.getlist(name)

    as_csv = _wants_csv(request)
    default_limit = settings.DATA_API_MAX_CSV_ROWS if as_csv else 100
    max_limit = settings.DATA_API_MAX_CSV_ROWS if as_csv else settings.DATA_API_MAX_PAGE
    try:
        limit = int(request.GET.get("limit", default_limit))
        if not 1 <= limit <= max_limit:
            raise ValueError
    except ValueError:
        return _error(400, f"limit: give a whole number from 1 to {max_limit}.", field="limit")
    offset = 0
    if request.GET.get("cursor"):
        try:
            cursor = signing.loads(request.GET["cursor"], salt=CURSOR_SALT)
            if cursor.get("p") != product.pk:
                raise signing.BadSignature
            offset = int(cursor["o"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return _error(400, "cursor: not a cursor this API returned for this product.", field="cursor")

    target = serving.target_for(product)
    if target is None or not target.connected:
        return _error(501, f"The data API does not serve {product.name} yet: its engine is "
                           f"{product.get_source_engine_display() or 'not set'}.")
    try:
        for column in columns:
            check_identifier(column, "Column")
    except ScopeError as error:
        return _error(501, f"The data API cannot serve {product.name}: {error}")

    rows = serving.iter_rows(target, principal=grant.principal, columns=columns, filters=filters,
                             offset=offset, limit=limit + (0 if as_csv else 1))
    if as_csv:
        return _stream_csv(product, grant, key, columns, rows)
    try:
        fetched = [dict(zip(columns, map(_json_value, row), strict=True)) for row in rows]
    except serving.ServingError as error:
        return _error(503, str(error))
    more = len(fetched) > limit
    fetched = fetched[:limit]
    grants.usage_record(grant=grant, rows=len(fetched), key=key)
    next_cursor = signing.dumps({"p": product.pk, "o": offset + limit}, salt=CURSOR_SALT) if more else None
    return JsonResponse({"product": product.slug, "rows": fetched, "next_cursor": next_cursor},
                        json_dumps_params={"default": str})


def _stream_csv(product, grant, key, columns, rows):
    writer = csv.writer(_Echo())

    def generate():
        count = 0
        yield writer.writerow(columns)
        for row in rows:
            count += 1
            yield writer.writerow([_csv_value(v) for v in row])
        grants.usage_record(grant=grant, rows=count, key=key)

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{product.slug}.csv"'
    return response


urlpatterns = [
    path("products/<slug:slug>/rows", product_rows, name="data_api_rows"),
]
