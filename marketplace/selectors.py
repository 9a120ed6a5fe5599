"""Reads for data products: the list, one product, and the catalog search with facets.

Every selector takes the actor and goes through ``authz.restrict``; each owns its prefetching, so a page
of results costs the same number of queries whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, CharField, Count, F, FloatField, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from loom_portal import authz
from loom_portal.choices import SensitivityLabel
from marketplace.choices import (
    AccessRequestStatus,
    Freshness,
    GrantStatus,
    ProductKind,
    ProductRole,
    ProductSort,
)
from marketplace.models import (
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
#: Minimum pg_trgm word similarity for a misspelled word to still match.
TYPO_SIMILARITY = 0.5
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
    """Full text (weighted, web-search syntax) or a typo-tolerant trigram match on PostgreSQL; icontains elsewhere."""
    if connection.vendor == "postgresql":
        query = SearchQuery(q, search_type="websearch", config="english")
        return qs.alias(
            text_rank=SearchRank(F("search_vector"), query),
            similarity=TrigramWordSimilarity(Value(q), "search_document"),
        ).filter(Q(search_vector=query) | Q(similarity__gte=TYPO_SIMILARITY))
    return qs.alias(text_rank=Value(0.0, output_field=FloatField()), similarity=Value(0.0, output_field=FloatField())).filter(
        Q(name__icontains=q)
        | Q(search_document__icontains=q)
        | (Q(description__icontains=q) & ~Q(sensitivity=SensitivityLabel.HIGHLY_CONFIDENTIAL))
    )


def product_filter(
    *, actor, search: str = "", domain: str = "", kind: str = "", sensitivity: str = "", tag: str = "",
    freshness: str = "", owner: int | None = None, sort: str = "", exclude_facet: str | None = None,
) -> QuerySet:
    """The visible products matching the filters, ordered by ``sort`` (relevance when searching, else newest)."""
    now = timezone.now()
    qs = product_list(actor=actor)
    search = (search or "").strip()
    if search:
        qs = _text_search(qs, search)
    filters = {"domain": domain, "kind": kind, "sensitivity": sensitivity, "tag": tag, "freshness": freshness, "owner": owner}
    for facet, condition in _facet_filters(filters, now).items():
        if facet != exclude_facet:
            qs = qs.filter(condition)
    sort = sort or (ProductSort.RELEVANCE if search else ProductSort.NEWEST)
    if sort == ProductSort.NAME:
        return qs.order_by(Lower("name"), "pk")
    if sort == ProductSort.RELEVANCE and search:
        return qs.order_by(
            (Coalesce(F("text_rank"), Value(0.0)) + F("similarity")).desc(), Lower("name"), "pk"
        )
    return qs.order_by("-created_at", "-pk")


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


def _facet_counts(actor, filters: dict, facet: str, now) -> list[FacetValue]:
    base = product_filter(actor=actor, **{**filters, "sort": ProductSort.NAME}, exclude_facet=facet)
    ids = base.order_by().values("pk")
    chosen = str(filters.get(facet) or "")
    if facet == "domain":
        rows = (
            DataProduct.objects.filter(pk__in=ids).values("domain__slug", "domain__name")
            .annotate(n=Count("pk")).order_by("-n", "domain__name")
        )
        return [FacetValue(r["domain__slug"], r["domain__name"], r["n"], r["domain__slug"] == chosen) for r in rows]
    if facet in ("kind", "sensitivity"):
        labels = dict(ProductKind.choices if facet == "kind" else SensitivityLabel.choices)
        rows = DataProduct.objects.filter(pk__in=ids).values(facet).annotate(n=Count("pk")).order_by("-n", facet)
        return [FacetValue(r[facet], labels.get(r[facet], r[facet]), r["n"], r[facet] == chosen) for r in rows]
    if facet == "freshness":
        rows = (
            DataProduct.objects.filter(pk__in=ids).annotate(state=_freshness_case(now))
            .values("state").annotate(n=Count("pk")).order_by("-n", "state")
        )
        return [FacetValue(r["state"], Freshness(r["state"]).label, r["n"], r["state"] == chosen) for r in rows]
    if facet == "tag":
        rows = (
            ProductTag.objects.filter(product__in=ids).values("name")
            .annotate(n=Count("product", distinct=True)).order_by("-n", "name")[:25]
        )
        return [FacetValue(r["name"], r["name"], r["n"], r["name"] == chosen.lower()) for r in rows]
    rows = (
        ProductUserObjectPermission.objects.filter(content_object__in=ids, permission__codename=ProductRole.OWNER)
        .values("user_id", "user__first_name", "user__last_name", "user__email")
        .annotate(n=Count("content_object", distinct=True)).order_by("-n", "user__email")[:25]
    )
    return [
        FacetValue(
            str(r["user_id"]),
            f"{r['user__first_name']} {r['user__last_name']}".strip() or r["user__email"],
            r["n"],
            str(r["user_id"]) == chosen,
        )
        for r in rows
    ]


def product_search(
    *, actor, search: str = "", domain: str = "", kind: str = "", sensitivity: str = "", tag: str = "",
    freshness: str = "", owner: int | None = None, sort: str = "", page: int = 1, page_size: int = PAGE_SIZE,
) -> SearchResult:
    """One page of the catalog search, with facet counts.

    Each facet counts the products matching every *other* filter, so a visitor sees what choosing another
    value would give. A fixed number of queries: count, page, tags of the page, one per facet.
    """
    filters = {"search": search, "domain": domain, "kind": kind, "sensitivity": sensitivity, "tag": tag,
               "freshness": freshness, "owner": owner, "sort": sort}
    now = timezone.now()
    qs = product_filter(actor=actor, **filters).prefetch_related("tags")
    result_page = Paginator(qs, page_size).get_page(page)
    facets = {facet: _facet_counts(actor, filters, facet, now) for facet in FACETS}
    return SearchResult(page=result_page, facets=facets, filters=filters)


# --- Batched reads for a page of products (the GraphQL API) ----------------------------------------

#: What ``product_prefetch`` can load for a page of products, each for one extra query whatever the size.
PRODUCT_PARTS = frozenset({"tags", "columns", "lineage", "people", "domain_workspaces"})
#: What ``product_page_people`` reads of an owner or steward.
_PEOPLE_FIELDS = ("content_object_id", "user_id", "permission_id", "permission__codename", "user__email",
                  "user__first_name", "user__last_name", "user__is_active")
#: Columns of a product no page reads (the search index), left out of the page's query.
_UNREAD_ON_A_PAGE = ("search_vector", "search_document")


def product_prefetch(qs: QuerySet, *, actor, parts) -> QuerySet:
    """``qs`` (a product selector's result) with the related rows ``parts`` needs prefetched into lists.

    Each product gets ``prefetched_tags``, ``prefetched_columns`` (by position), ``visible_upstream`` and
    ``visible_downstream`` (lineage edges whose other end the actor may see, like ``product_get``) and
    ``prefetched_people`` (see ``product_page_people``). Lists (``to_attr``) rather than the relations'
    caches: Django builds no queryset per product for them, which matters on a page of 100."""
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
    """The facet counts ``product_search`` shows, for only the ``facets`` asked for (one query each)."""
    unknown = set(facets) - set(FACETS)
    if unknown:
        raise ValueError(f"Unknown facets: {', '.join(sorted(unknown))}")
    filters = {"search": search, "domain": domain, "kind": kind, "sensitivity": sensitivity, "tag": tag,
               "freshness": freshness, "owner": owner, "sort": sort}
    now = timezone.now()
    return {facet: _facet_counts(actor, filters, facet, now) for facet in facets}


# --- Access requests, grants, keys and usage ------------------------------------------------------------


def access_request_list(*, actor, mine: bool = False, to_review: bool = False, status: str = "",
                        product=None, domain_slug: str = "") -> QuerySet:
    """Requests ``actor`` may see: ``mine`` (asked by them) or ``to_review`` (theirs to decide)."""
    qs = AccessRequest.objects.select_related("product__domain", "requester", "decided_by").prefetch_related(
        "approvals__approver"
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


def api_key_list(*, actor) -> QuerySet:
    return authz.restrict(ApiKey.objects.select_related("grant__product"), actor, "marketplace.view_apikey")


def api_key_get(*, actor, pk):
    return get_object_or_404(api_key_list(actor=actor), pk=pk)


def product_usage(*, product, days: int = 30) -> list[dict]:
    """Data-API calls per day over the last ``days`` days (zeros filled in), for the product page's chart.
    The caller has already fetched ``product`` through ``product_get``."""

    today = timezone.now().date()
    start = today - timedelta(days=days - 1)
    totals = dict(
        ProductUsageDaily.objects.filter(product=product, day__gte=start)
        .values("day").annotate(calls=Sum("api_calls")).values_list("day", "calls")
    )
    return [{"day": start + timedelta(days=i), "calls": totals.get(start + timedelta(days=i), 0)}
            for i in range(days)]


def product_usage_summary(*, product, usage: list[dict]) -> dict:
    """Subscribers (consumers with an active grant), open requests, and the API calls of ``usage`` (the last
    30 days from ``product_usage``). The caller has fetched ``product`` through ``product_get``."""
    return {
        "subscribers": product.grants.filter(status=GrantStatus.ACTIVE).values("grantee").distinct().count(),
        "open_requests": product.access_requests.filter(status=AccessRequestStatus.REQUESTED).count(),
        "calls_30d": sum(point["calls"] for point in usage),
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
