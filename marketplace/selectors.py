"""Reads for data products: the list, one product, and the catalog search with facets.

Every selector takes the actor and goes through ``authz.restrict``; each owns its prefetching, so a page
of results costs the same number of queries whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from loom_portal import authz
from loom_portal.choices import SensitivityLabel
from marketplace import facet_index, search
from marketplace.choices import (
    LIVE_GRANT_STATUSES,
    AccessRequestStatus,
    Freshness,
    GrantStatus,
    ProductKind,
    ProductRole,
    ProductSort,
)
from marketplace.models import (
    AccessApproval,
    AccessRequest,
    ApiKey,
    DataProduct,
    Grant,
    LineageEdge,
    ProductColumn,
    ProductTag,
    ProductUsageDaily,
    ProductUserObjectPermission,
)

PAGE_SIZE = 20
FACETS = ("domain", "kind", "sensitivity", "tag", "freshness", "owner")


def product_list(*, actor) -> QuerySet:
    """Products ``actor`` may see, with their domain and workspace."""
    qs = DataProduct.objects.select_related("domain", "workspace")
    return authz.restrict(qs, actor, "marketplace.view_dataproduct")


def product_get(*, actor, slug: str | None = None, pk=None) -> DataProduct:
    """One visible product with its schema, tags, lineage (only the visible ends) and people."""
    visible = product_list(actor=actor).values("pk")
    qs = product_list(actor=actor).prefetch_related(
        "tags",
        Prefetch("columns", queryset=ProductColumn.objects.order_by("position")),
        Prefetch(
            "upstream_edges",
            queryset=LineageEdge.objects.filter(Q(upstream__isnull=True) | Q(upstream__in=visible)).select_related(
                "upstream"
            ),
        ),
        Prefetch("downstream_edges", queryset=LineageEdge.objects.filter(downstream__in=visible).select_related("downstream")),
        Prefetch(
            "user_permissions",
            queryset=ProductUserObjectPermission.objects.select_related("user", "permission").order_by(
                "user__first_name", "user__last_name"
            ),
        ),
    )
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    return get_object_or_404(qs, **lookup)


def product_people(product: DataProduct) -> dict[str, list]:
    """Owners and stewards of a product fetched by ``product_get`` (no extra queries)."""
    people = {ProductRole.OWNER: [], ProductRole.STEWARD: []}
    for entry in product.user_permissions.all():
        if entry.permission.codename in people and entry.user.is_active:
            people[entry.permission.codename].append(entry.user)
    return {"owners": people[ProductRole.OWNER], "stewards": people[ProductRole.STEWARD]}


def product_changes(*, actor, product: DataProduct):
    """The version history of a product the actor may see."""
    authz.require(actor, "marketplace.view_dataproduct", product)
    return product.changes.select_related("actor")[:50]


def domain_products(*, actor, domain_id) -> QuerySet:
    """The visible products of one domain (for the domain page)."""
    return product_list(actor=actor).filter(domain_id=domain_id).prefetch_related("tags").order_by("name")


# --- Search --------------------------------------------------------------------------


def _freshness_q(state: str, now) -> Q:
    return {
        Freshness.FRESH: Q(fresh_until__gte=now),
        Freshness.LATE: Q(fresh_until__lt=now, late_until__gte=now),
        Freshness.STALE: Q(late_until__lt=now),
        Freshness.UNKNOWN: Q(fresh_until__isnull=True),
    }[state]


def _freshness_case(now):
    return Case(
        When(fresh_until__isnull=True, then=Value(Freshness.UNKNOWN.value)),
        When(fresh_until__gte=now, then=Value(Freshness.FRESH.value)),
        When(late_until__gte=now, then=Value(Freshness.LATE.value)),
        default=Value(Freshness.STALE.value),
        output_field=CharField(),
    )


def _owned_by(user_id) -> Q:
    owned = ProductUserObjectPermission.objects.filter(user_id=user_id, permission__codename=ProductRole.OWNER)
    return Q(pk__in=owned.values("content_object"))


def _facet_filters(filters: dict, now) -> dict[str, Q]:
    """One Q per facet the caller narrowed by."""
    out = {}
    if filters.get("domain"):
        out["domain"] = Q(domain__slug=filters["domain"])
    if filters.get("kind"):
        out["kind"] = Q(kind=filters["kind"])
    if filters.get("sensitivity"):
        out["sensitivity"] = Q(sensitivity=filters["sensitivity"])
    if filters.get("tag"):
        out["tag"] = Q(pk__in=ProductTag.objects.filter(name=filters["tag"].lower()).values("product"))
    if filters.get("freshness"):
        out["freshness"] = _freshness_q(filters["freshness"], now)
    if filters.get("owner"):
        out["owner"] = _owned_by(filters["owner"])
    return out


def _text_search(qs: QuerySet, q: str) -> QuerySet:
    """Weighted full text with web-search syntax on PostgreSQL, misspelled words corrected; icontains elsewhere.

    The match is one ``search_vector @@ query`` that the GIN index serves: the query as typed, or as corrected
    against the vocabulary of indexed words (``search.corrected_query``).
    """
    if connection.vendor == "postgresql":
        query = SearchQuery(q, search_type="websearch", config="english")
        corrected = search.corrected_query(q)
        if corrected:
            query = query | SearchQuery(corrected, search_type="websearch", config="english")
        return qs.alias(text_rank=SearchRank(F("search_vector"), query)).filter(search_vector=query)
    return qs.alias(text_rank=Value(0.0, output_field=FloatField())).filter(
        Q(name__icontains=q)
        | Q(search_document__icontains=q)
        | (Q(description__icontains=q) & ~Q(sensitivity=SensitivityLabel.HIGHLY_CONFIDENTIAL))
    )


def _matching(*, actor, search: str) -> QuerySet:
    """The visible products matching the search text (all visible products when there is none)."""
    qs = product_list(actor=actor)
    search = (search or "").strip()
    return _text_search(qs, search) if search else qs


def _sorted(qs: QuerySet, *, sort: str, searching: bool) -> QuerySet:
    sort = sort or (ProductSort.RELEVANCE if searching else ProductSort.NEWEST)
    if sort == ProductSort.NAME:
        return qs.order_by(Lower("name"), "pk")
    if sort == ProductSort.RELEVANCE and searching:
        return qs.order_by(Coalesce(F("text_rank"), Value(0.0)).desc(), Lower("name"), "pk")
    return qs.order_by("-created_at", "-pk")


def product_filter(
    *, actor, search: str = "", domain: str = "", kind: str = "", sensitivity: str = "", tag: str = "",
    freshness: str = "", owner: int | None = None, sort: str = "",
) -> QuerySet:
    """The visible products matching the filters, ordered by ``sort`` (relevance when searching, else newest)."""
    filters = {"domain": domain, "kind": kind, "sensitivity": sensitivity, "tag": tag, "freshness": freshness, "owner": owner}
    qs = _matching(actor=actor, search=search)
    for condition in _facet_filters(filters, timezone.now()).values():
        qs = qs.filter(condition)
    return _sorted(qs, sort=sort, searching=bool((search or "").strip()))


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchResult:
    page: Page
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    filters: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.page.paginator.count


_FACET_LABELS = {"kind": dict(ProductKind.choices), "sensitivity": dict(SensitivityLabel.choices),
                 "freshness": dict(Freshness.choices)}


def _facets_and_total(matching: QuerySet, filters: dict, now) -> tuple[dict[str, list[FacetValue]], int]:
    """Every facet's values with counts (most frequent first) and the total, from one query (``search.facet_rows``)."""
    rows = search.facet_rows(matching, _facet_filters(filters, now), _freshness_case(now))
    total = next((row.count for row in rows if row.facet == "total"), 0)
    labelled = [search.FacetRow(r.facet, r.value, r.label or _FACET_LABELS.get(r.facet, {}).get(r.value, r.value), r.count)
                for r in rows if r.facet != "total"]
    return _facet_values(labelled, filters), total


class _IndexedRows:
    """The products at ``ids`` (in that order) for a Paginator: a page reads only its own rows, through the policy."""

    def __init__(self, actor, ids):
        self.actor, self.ids = actor, ids

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, window: slice):
        # The ids are the policy's already (``_indexed_search`` keeps only product_list's, and the change log
        # renews them when roles change); the tenant is checked again and the search columns left unread.
        chosen = [int(i) for i in self.ids[window]]
        qs = (DataProduct.objects.filter(tenant_id=self.actor.tenant_id, pk__in=chosen)
              .select_related("domain", "workspace").defer(*_UNREAD_ON_A_PAGE).prefetch_related("tags"))
        rows = {p.pk: p for p in qs}
        return [rows[pk] for pk in chosen if pk in rows]


def _indexed_search(actor, filters: dict, now) -> tuple[dict[str, list[FacetValue]], int, _IndexedRows] | None:
    """Facets, total and the ordered rows from the tenant's facet index (``facet_index``); None where it does
    not serve (SQLite; superusers, whose list spans tenants)."""
    if not facet_index.available() or actor.tenant_id is None or actor.is_superuser:
        return None
    index = facet_index.tenant_index(actor.tenant_id)
    # What the viewer may see: product_list's ids (the policy), kept with the index.
    matching = facet_index.visible_mask(index, actor, lambda: product_list(actor=actor).values_list("id", flat=True))
    text = (filters.get("search") or "").strip()
    rank = None
    if text:
        # The tenant's products matching the text, ranked; only the visible ones are kept (``matching``).
        positions, ranks = facet_index.text_matches(index, text, lambda: search.ranked_matches(actor.tenant_id, text))
        rank = np.zeros(len(index.ids))
        rank[positions] = ranks
        matching &= index.mask(positions)
    domains = index.domain_labels  # id -> (slug, name), read with the index (domains are in the change log)
    sort = filters.get("sort") or (ProductSort.RELEVANCE if text else ProductSort.NEWEST)
    answer = facet_index.answer(
        index, matching, filters=filters, domain_ids={slug: pk for pk, (slug, _) in domains.items()},
        now=now.timestamp(), sort=sort, rank=rank, tag_limit=search.FACET_LIMIT, owner_limit=search.FACET_LIMIT,
    )
    owners = search.owner_labels(v for v, _ in answer.counts["owner"])
    rows = []
    for facet, values in answer.counts.items():
        for value, count in values:
            if facet == "domain":
                value, label = domains.get(value, (str(value), str(value)))
            elif facet == "owner":
                label = owners.get(value, str(value))
            else:
                label = _FACET_LABELS.get(facet, {}).get(value, value)
            rows.append(search.FacetRow(facet, str(value), label, count))
    return _facet_values(rows, filters), answer.total, _IndexedRows(actor, index.ids[answer.order])


def _facet_values(rows, filters: dict) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {facet: [] for facet in FACETS}
    for row in rows:
        chosen = str(filters.get(row.facet) or "")
        selected = row.value == (chosen.lower() if row.facet == "tag" else chosen)
        facets[row.facet].append(FacetValue(row.value, row.label, row.count, selected))
    for values in facets.values():
        values.sort(key=lambda v: (-v.count, v.label.lower(), v.value))
    return facets


def product_search(
    *, actor, search: str = "", domain: str = "", kind: str = "", sensitivity: str = "", tag: str = "",
    freshness: str = "", owner: int | None = None, sort: str = "", page: int = 1, page_size: int = PAGE_SIZE,
) -> SearchResult:
    """One page of the catalog search, with facet counts.

    Each facet counts the products matching every *other* filter, so a visitor sees what choosing another
    value would give. On PostgreSQL the tenant's facet index counts and orders (``facet_index``); elsewhere
    one SQL statement counts (``search.facet_rows``). A fixed number of queries whatever the page size.
    """
    filters = {"search": search, "domain": domain, "kind": kind, "sensitivity": sensitivity, "tag": tag,
               "freshness": freshness, "owner": owner, "sort": sort}
    now = timezone.now()
    indexed = _indexed_search(actor, filters, now)
    if indexed is not None:
        facets, total, rows = indexed
        return SearchResult(page=Paginator(rows, page_size).get_page(page), facets=facets, filters=filters)
    matching = _matching(actor=actor, search=search)
    facets, total = _facets_and_total(matching, filters, now)
    qs = matching
    for condition in _facet_filters(filters, now).values():
        qs = qs.filter(condition)
    paginator = Paginator(_sorted(qs, sort=sort, searching=bool((search or "").strip())).prefetch_related("tags"),
                          page_size)
    paginator.count = total  # counted with the facets; saves a COUNT over the same rows
    return SearchResult(page=paginator.get_page(page), facets=facets, filters=filters)


# --- Batched reads for a page of products (the GraphQL API) ----------------------------------------

#: What ``product_prefetch`` can load for a page of products, each for one extra query whatever the size.
PRODUCT_PARTS = frozenset({"tags", "columns", "lineage", "people", "domain_workspaces", "viewer_access"})
#: What ``product_page_people`` reads of an owner or steward.
_PEOPLE_FIELDS = ("content_object_id", "user_id", "permission_id", "permission__codename", "user__email",
                  "user__first_name", "user__last_name", "user__is_active")
#: Columns of a product no page reads (the search index), left out of the page's query.
_UNREAD_ON_A_PAGE = ("search_vector", "search_document")


def product_prefetch(qs: QuerySet, *, actor, parts) -> QuerySet:
    """``qs`` (a product selector's result) with the related rows ``parts`` needs prefetched into lists.

    Each product gets ``prefetched_tags``, ``prefetched_columns`` (by position), ``visible_upstream`` and
    ``visible_downstream`` (lineage edges whose other end the actor may see, like ``product_get``) and
    ``prefetched_people`` (see ``product_page_people``); ``viewer_access`` gives each product
    ``viewer_can_request``, ``viewer_open_requests`` and ``viewer_live_grants`` (see
    ``product_viewer_access``). Lists (``to_attr``) rather than the relations' caches: Django builds no
    queryset per product for them, which matters on a page of 100."""
    unknown = set(parts) - PRODUCT_PARTS
    if unknown:
        raise ValueError(f"Unknown product parts: {', '.join(sorted(unknown))}")
    lookups: list = []
    if "tags" in parts:
        lookups.append(Prefetch("tags", queryset=ProductTag.objects.order_by("name"), to_attr="prefetched_tags"))
    if "columns" in parts:
        lookups.append(Prefetch("columns", queryset=ProductColumn.objects.order_by("position"),
                                to_attr="prefetched_columns"))
    if "lineage" in parts:
        visible = product_list(actor=actor).values("pk")
        lookups += [
            Prefetch(
                "upstream_edges",
                queryset=LineageEdge.objects.filter(Q(upstream__isnull=True) | Q(upstream__in=visible))
                .select_related("upstream"),
                to_attr="visible_upstream",
            ),
            Prefetch("downstream_edges",
                     queryset=LineageEdge.objects.filter(downstream__in=visible).select_related("downstream"),
                     to_attr="visible_downstream"),
        ]
    if "people" in parts:
        lookups.append(
            Prefetch(
                "user_permissions",
                queryset=ProductUserObjectPermission.objects.select_related("user", "permission")
                .only(*_PEOPLE_FIELDS).order_by("user__first_name", "user__last_name"),
                to_attr="prefetched_people",
            )
        )
    if "domain_workspaces" in parts:
        lookups.append("domain__workspaces")
    if "viewer_access" in parts:
        qs = qs.annotate(viewer_can_request=_can_request_access(actor))
        lookups += _viewer_access_lookups(actor)
    return qs.defer(*_UNREAD_ON_A_PAGE).prefetch_related(*lookups)


def product_column_counts(products) -> dict:
    """Product id -> number of columns, for ``products`` (one grouped query, no column rows)."""
    ids = [p.pk for p in products]
    if not ids:
        return {}
    rows = ProductColumn.objects.filter(product_id__in=ids).values("product_id").annotate(n=Count("id")).order_by()
    return {row["product_id"]: row["n"] for row in rows}


def product_page_people(product: DataProduct) -> dict[str, list]:
    """Owners and stewards of a product fetched by ``product_prefetch`` with ``people`` (no extra queries)."""
    people = {ProductRole.OWNER: [], ProductRole.STEWARD: []}
    for entry in product.prefetched_people:
        if entry.permission.codename in people and entry.user.is_active:
            people[entry.permission.codename].append(entry.user)
    return {"owners": people[ProductRole.OWNER], "stewards": people[ProductRole.STEWARD]}


def product_detail_ids(*, actor, products) -> set:
    """The ids among ``products`` whose details (schema, lineage, description) ``actor`` may see: one query."""
    ids = [p.pk for p in products]
    if not ids:
        return set()
    qs = DataProduct.objects.filter(pk__in=ids)
    return set(authz.restrict(qs, actor, "marketplace.view_dataproduct_details").values_list("pk", flat=True))


def product_facets(*, actor, facets=FACETS, search: str = "", domain: str = "", kind: str = "",
                   sensitivity: str = "", tag: str = "", freshness: str = "", owner: int | None = None,
                   sort: str = "") -> dict[str, list[FacetValue]]:
    """The facet counts ``product_search`` shows, for the ``facets`` asked for (one query for all of them)."""
    unknown = set(facets) - set(FACETS)
    if unknown:
        raise ValueError(f"Unknown facets: {', '.join(sorted(unknown))}")
    filters = {"search": search, "domain": domain, "kind": kind, "sensitivity": sensitivity, "tag": tag,
               "freshness": freshness, "owner": owner, "sort": sort}
    now = timezone.now()
    indexed = _indexed_search(actor, filters, now)
    counted = indexed[0] if indexed is not None else _facets_and_total(_matching(actor=actor, search=search),
                                                                       filters, now)[0]
    return {facet: counted[facet] for facet in facets}


# --- Access requests, grants, keys and usage ------------------------------------------------------------


def access_request_list(*, actor, mine: bool = False, to_review: bool = False, status: str = "",
                        product=None, domain_slug: str = "") -> QuerySet:
    """Requests ``actor`` may see: ``mine`` (asked by them) or ``to_review`` (theirs to decide), with their
    product, people, grant and approvals (one query for the approvals, whatever the number of requests)."""
    qs = AccessRequest.objects.select_related("product__domain", "requester", "decided_by", "grant").prefetch_related(
        Prefetch("approvals", queryset=AccessApproval.objects.select_related("approver"))
    )
    perm = "marketplace.review_accessrequest" if to_review else "marketplace.view_accessrequest"
    qs = authz.restrict(qs, actor, perm)
    if mine:
        qs = qs.filter(requester=actor)
    if status:
        qs = qs.filter(status=status)
    if product is not None:
        qs = qs.filter(product=product)
    if domain_slug:
        qs = qs.filter(product__domain__slug=domain_slug)
    return qs


def access_request_get(*, actor, pk) -> AccessRequest:
    return get_object_or_404(access_request_list(actor=actor), pk=pk)


def grant_list(*, actor, mine: bool = False, status: str = "", product=None) -> QuerySet:
    qs = Grant.objects.select_related("product__domain", "grantee", "request").prefetch_related("api_keys")
    qs = authz.restrict(qs, actor, "marketplace.view_grant")
    if mine:
        qs = qs.filter(grantee=actor)
    if status:
        qs = qs.filter(status=status)
    if product is not None:
        qs = qs.filter(product=product)
    return qs


def grant_get(*, actor, pk):
    return get_object_or_404(grant_list(actor=actor), pk=pk)


def active_grant_for(*, user, product):
    """The user's active, unexpired grant on ``product`` (the newest), or None."""
    from marketplace.models import Grant

    return (
        Grant.objects.filter(grantee=user, product=product, status=GrantStatus.ACTIVE, expires_at__gt=timezone.now())
        .order_by("-activated_at")
        .first()
    )


def _can_request_access(actor) -> Exists:
    """Whether ``actor`` may ask for access to each product of a query (the policy, as a subquery)."""
    allowed = DataProduct.objects.filter(pk=OuterRef("pk"))
    return Exists(authz.restrict(allowed, actor, "marketplace.request_access"))


def _viewer_access_lookups(actor) -> list[Prefetch]:
    """The actor's open requests and live grants (newest first) of each product, as the product page shows them."""
    return [
        Prefetch("access_requests", to_attr="viewer_open_requests",
                 queryset=access_request_list(actor=actor, mine=True, status=AccessRequestStatus.REQUESTED)),
        Prefetch("grants", to_attr="viewer_live_grants",
                 queryset=grant_list(actor=actor, mine=True).filter(status__in=LIVE_GRANT_STATUSES)),
    ]


def product_viewer_access(*, actor, product: DataProduct) -> DataProduct:
    """``product`` with what ``product_prefetch`` sets for ``viewer_access`` (a few queries, for one product)."""
    if not hasattr(product, "viewer_live_grants"):
        product.viewer_can_request = authz.can(actor, "marketplace.request_access", product)
        for lookup in _viewer_access_lookups(actor):
            setattr(product, lookup.to_attr, list(lookup.queryset.filter(product=product)))
    return product


def api_key_list(*, actor) -> QuerySet:
    return authz.restrict(ApiKey.objects.select_related("grant__product"), actor, "marketplace.view_apikey")


def api_key_get(*, actor, pk):
    return get_object_or_404(api_key_list(actor=actor), pk=pk)


def _daily_calls(product_ids, days: int) -> dict:
    """Product id -> data-API calls per day over the last ``days`` days, zeros filled in (one grouped query)."""
    today = timezone.now().date()
    start = today - timedelta(days=days - 1)
    totals: dict = {}
    rows = (ProductUsageDaily.objects.filter(product_id__in=product_ids, day__gte=start)
            .values("product_id", "day").annotate(calls=Sum("api_calls")).order_by())
    for row in rows:
        totals[(row["product_id"], row["day"])] = row["calls"]
    dates = [start + timedelta(days=i) for i in range(days)]
    return {pk: [{"day": day, "calls": totals.get((pk, day), 0)} for day in dates] for pk in product_ids}


def product_usage(*, product, days: int = 30) -> list[dict]:
    """Data-API calls per day over the last ``days`` days (zeros filled in), for the product page's chart.
    The caller has already fetched ``product`` through ``product_get``."""
    return _daily_calls([product.pk], days)[product.pk]


def _usage_counts(product_ids) -> tuple[dict, dict]:
    """(product id -> consumers with an active grant, product id -> open requests): two grouped queries."""
    subscribers = (Grant.objects.filter(product_id__in=product_ids, status=GrantStatus.ACTIVE).values("product_id")
                   .annotate(n=Count("grantee", distinct=True)).order_by().values_list("product_id", "n"))
    open_requests = (AccessRequest.objects.filter(product_id__in=product_ids, status=AccessRequestStatus.REQUESTED)
                     .values("product_id").annotate(n=Count("pk")).order_by().values_list("product_id", "n"))
    return dict(subscribers), dict(open_requests)


def product_usage_summary(*, product, usage: list[dict]) -> dict:
    """Subscribers (consumers with an active grant), open requests, and the API calls of ``usage`` (the last
    30 days from ``product_usage``). The caller has fetched ``product`` through ``product_get``."""
    subscribers, open_requests = _usage_counts([product.pk])
    return {"subscribers": subscribers.get(product.pk, 0), "open_requests": open_requests.get(product.pk, 0),
            "calls_30d": sum(point["calls"] for point in usage)}


def product_page_usage(products, *, days: int = 30) -> dict[int, dict]:
    """Product id -> {"daily": product_usage, **product_usage_summary} for products fetched through a
    selector: three grouped queries whatever their number."""
    ids = [p.pk for p in products]
    if not ids:
        return {}
    daily = _daily_calls(ids, days)
    subscribers, open_requests = _usage_counts(ids)
    return {
        pk: {"daily": daily[pk], "subscribers": subscribers.get(pk, 0), "open_requests": open_requests.get(pk, 0),
             "calls_30d": sum(point["calls"] for point in daily[pk])}
        for pk in ids
    }


def grant_usage_evidence(grant, *, days: int = 60) -> str:
    """"No queries in 60 days" or "123 calls in the last 60 days": what a steward recertifies on."""
    since = timezone.now().date() - timedelta(days=days - 1)
    calls = grant.product.usage_days.filter(user=grant.grantee, day__gte=since).aggregate(n=Sum("api_calls"))["n"] or 0
    return f"{calls} call(s) in the last {days} days" if calls else f"No queries in {days} days"


def usage_by_consumer(*, tenant, date_from, date_to) -> list[dict]:
    """Data-API calls per (product, consumer) in a date range, with the product's workspace: what a
    product's cost is split by in showback. Used by chargeback reports (which check who may see them)."""
    return list(
        ProductUsageDaily.objects.filter(tenant=tenant, day__gte=date_from, day__lte=date_to)
        .values("product_id", "product__name", "product__slug", "product__workspace_id", "user_id", "user__email")
        .annotate(calls=Sum("api_calls"))
        .order_by("product__name", "user__email")
    )
