"""The catalog's facet index: counts, totals and page order for a search in milliseconds at 100,000 products.

PostgreSQL counts facets by reading every matching row, and a catalog's landing page matches every visible
product: 120–220 ms at 100,000 products (docs/decisions/0007-catalog-search-speed.md). Search engines answer
facets from an index held in memory instead; this is that index for one tenant, in NumPy arrays: one entry per
product (domain, kind, sensitivity, freshness deadlines, newest and name order) and the (product, tag) and
(product, owner) pairs.

Staying exact: statement triggers on the product, tag, domain and role tables (product and domain roles, group
membership) record the id of every transaction that changes them (``marketplace_catalogchange``, migrations
0005 and 0006). An index remembers the database snapshot taken
before it was read; it is used only while no recorded transaction has committed outside that snapshot. An
index read inside a transaction that may still roll back is used for that search only, never kept.

What a viewer may see still comes from ``authz`` alone: the matching set is the ids ``product_list(actor)``
gives (with the text match when there is one), and the page's rows are read through ``product_list`` again.
A viewer's visible ids are kept with the index (read on their first search after a change). Freshness is
computed from the deadlines when the search runs.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.db import connection

from marketplace.choices import Freshness, ProductRole
from marketplace.models import DataProduct, ProductTag, ProductUserObjectPermission
from marketplace.search import pg_statement

#: Visible-id sets kept per process (viewer × index), least recently used first out.
VISIBLE_SETS = 512
#: Text matches kept per process (text × index), least recently used first out.
TEXT_MATCHES = 256
#: An index is read again after this long even without changes (bounds memory held for idle tenants).
MAX_AGE_SECONDS = 3600
_NO_TIME = np.inf
_generation = itertools.count(1)


def available() -> bool:
    return connection.vendor == "postgresql"


@dataclass
class TenantIndex:
    snapshot: str  # pg_current_snapshot() taken before the index was read
    ids: np.ndarray  # product ids, ascending; a product's position in every array below
    domain: np.ndarray
    kind: np.ndarray
    kinds: list[str]
    sensitivity: np.ndarray
    sensitivities: list[str]
    fresh_until: np.ndarray  # epoch seconds; inf when the product has no freshness SLA
    late_until: np.ndarray
    domains: list[int]  # domain ids, by the codes in ``domain``
    newest_order: np.ndarray  # rank in newest-first order
    name_order: np.ndarray  # rank in name order
    newest_first: np.ndarray  # positions, newest first
    by_name: np.ndarray  # positions, in name order
    tag_product: np.ndarray  # (position, tag) pairs
    tag: np.ndarray
    tags: list[str]
    owner_product: np.ndarray  # (position, owner) pairs
    owner: np.ndarray
    owners: list[int]
    domain_labels: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (slug, name)
    generation: int = field(default_factory=lambda: next(_generation))
    built_at: float = field(default_factory=time.monotonic)

    def locate(self, product_ids) -> tuple[np.ndarray, np.ndarray]:
        """(positions, which of ``product_ids`` are indexed): a product created after the index was read is not."""
        ids = np.fromiter(product_ids, dtype=np.int64)
        if not len(self.ids):
            return np.zeros(0, dtype=np.int64), np.zeros(len(ids), dtype=bool)
        found = np.searchsorted(self.ids, ids)
        indexed = (found < len(self.ids)) & (self.ids[np.minimum(found, len(self.ids) - 1)] == ids)
        return found[indexed], indexed

    def positions(self, product_ids) -> np.ndarray:
        return self.locate(product_ids)[0]

    def mask(self, positions) -> np.ndarray:
        out = np.zeros(len(self.ids), dtype=bool)
        out[positions] = True
        return out

    def freshness(self, now: float) -> dict[str, np.ndarray]:
        unknown = np.isinf(self.fresh_until)
        fresh = ~unknown & (self.fresh_until >= now)
        stale = ~unknown & (self.late_until < now)
        return {Freshness.FRESH: fresh, Freshness.LATE: ~unknown & ~fresh & ~stale, Freshness.STALE: stale,
                Freshness.UNKNOWN: unknown}


def _codes(values) -> tuple[np.ndarray, list]:
    names = sorted(set(values))
    lookup = {name: i for i, name in enumerate(names)}
    return np.fromiter((lookup[v] for v in values), dtype=np.int32, count=len(values)), names


def _build(tenant_id: int) -> TenantIndex:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        snapshot = cursor.fetchone()[0]
        cursor.execute(pg_statement(
            "SELECT id, domain_id, kind, sensitivity, extract(epoch FROM fresh_until)::float8, "
            "extract(epoch FROM late_until)::float8, "
            "extract(epoch FROM created_at)::float8, lower(name) FROM {products} WHERE tenant_id = %s ORDER BY id",
            products=DataProduct), [tenant_id])
        rows = cursor.fetchall()
        cursor.execute(pg_statement(
            "SELECT t.product_id, t.name FROM {tags} t JOIN {products} p ON p.id = t.product_id WHERE p.tenant_id = %s",
            tags=ProductTag, products=DataProduct), [tenant_id])
        tag_rows = cursor.fetchall()
        cursor.execute(pg_statement(
            "SELECT o.content_object_id, o.user_id FROM {roles} o JOIN {products} p ON p.id = o.content_object_id "
            "WHERE o.permission_id = (SELECT id FROM auth_permission WHERE codename = %s) AND p.tenant_id = %s",
            roles=ProductUserObjectPermission, products=DataProduct), [ProductRole.OWNER.value, tenant_id])
        owner_rows = cursor.fetchall()
        domain_model = DataProduct._meta.get_field("domain").related_model
        cursor.execute(pg_statement("SELECT id, slug, name FROM {domains} WHERE tenant_id = %s", domains=domain_model),
                       [tenant_id])
        domain_labels = {pk: (slug, name) for pk, slug, name in cursor.fetchall()}
    columns = list(zip(*rows, strict=True)) if rows else [()] * 8
    ids = np.array(columns[0], dtype=np.int64)
    domain, domains = _codes(columns[1])
    kind, kinds = _codes(columns[2])
    sensitivity, sensitivities = _codes(columns[3])

    def seconds(values):
        return np.array([_NO_TIME if v is None else float(v) for v in values], dtype=np.float64)

    # Orders by position: newest first (created, then id, descending); by lower-case name, then id (rows are by id,
    # and Python's sort is stable).
    created = np.array([float(v) for v in columns[6]], dtype=np.float64)
    newest_first = np.lexsort((-ids, -created)) if len(ids) else np.zeros(0, dtype=np.int64)
    by_name = np.array(sorted(range(len(ids)), key=columns[7].__getitem__), dtype=np.int64)

    def ranks(order: np.ndarray) -> np.ndarray:
        out = np.empty(len(order), dtype=np.int64)
        out[order] = np.arange(len(order))
        return out

    index = TenantIndex(
        snapshot=snapshot, ids=ids, domain=domain, domains=domains, kind=kind, kinds=kinds,
        sensitivity=sensitivity, sensitivities=sensitivities, fresh_until=seconds(columns[4]),
        late_until=seconds(columns[5]), newest_order=ranks(newest_first), name_order=ranks(by_name),
        newest_first=newest_first, by_name=by_name, tag_product=np.zeros(0, dtype=np.int64),
        tag=np.zeros(0, dtype=np.int32), tags=[], owner_product=np.zeros(0, dtype=np.int64),
        owner=np.zeros(0, dtype=np.int32), owners=[], domain_labels=domain_labels,
    )
    if tag_rows:
        index.tag_product = np.searchsorted(ids, np.array([r[0] for r in tag_rows], dtype=np.int64))
        index.tag, index.tags = _codes([r[1] for r in tag_rows])
    if owner_rows:
        index.owner_product = np.searchsorted(ids, np.array([r[0] for r in owner_rows], dtype=np.int64))
        index.owner, index.owners = _codes([r[1] for r in owner_rows])
    return index


_lock = threading.Lock()
_indexes: dict[int, TenantIndex] = {}
_visible: OrderedDict[tuple, np.ndarray] = OrderedDict()
_texts: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()



def _changed_since(snapshot: str) -> bool:
    """Whether a transaction that changed the catalog has committed outside ``snapshot``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM marketplace_catalogchange WHERE txid >= pg_snapshot_xmin(%s::pg_snapshot) "
            "AND NOT pg_visible_in_snapshot(txid, %s::pg_snapshot))",
            [snapshot, snapshot],
        )
        return cursor.fetchone()[0]


def tenant_index(tenant_id: int) -> TenantIndex:
    """The tenant's index: the one this process holds while the catalog is unchanged, else read now."""
    index = _indexes.get(tenant_id)
    if index is not None and time.monotonic() - index.built_at < MAX_AGE_SECONDS and not _changed_since(index.snapshot):
        return index
    index = _build(tenant_id)
    if not connection.in_atomic_block:  # what a transaction read may still roll back: never keep it
        with _lock:
            _indexes[tenant_id] = index
    return index


def visible_mask(index: TenantIndex, actor, read_visible_ids) -> np.ndarray:
    """The positions ``actor`` may see, as a mask; ``read_visible_ids()`` (the ids ``product_list`` gives) is
    called once per viewer and index."""
    # The viewer's flags the policy reads are part of the key; their roles on products and domains are in the
    # catalog change log, which gives a new index (generation) when they change.
    key = (actor.pk, actor.tenant_id, actor.is_active, actor.is_platform_owner, index.generation)
    with _lock:
        packed = _visible.get(key)
        if packed is not None:
            _visible.move_to_end(key)
    if packed is None:
        packed = np.packbits(index.mask(index.positions(read_visible_ids())))
        if connection.in_atomic_block:
            return np.unpackbits(packed, count=len(index.ids)).astype(bool)
        with _lock:
            _visible[key] = packed
            while len(_visible) > VISIBLE_SETS:
                _visible.popitem(last=False)
    return np.unpackbits(packed, count=len(index.ids)).astype(bool)


def text_matches(index: TenantIndex, text: str, read) -> tuple[np.ndarray, np.ndarray]:
    """(positions, ranks) of the products matching ``text``; ``read()`` gives the (id, rank) pairs from PostgreSQL.

    Kept with the index, so paging through a search or narrowing it by a facet does not search the text again;
    the matches of a text depend only on the catalog, which the index follows."""
    key = (index.generation, text)
    with _lock:
        found = _texts.get(key)
        if found is not None:
            _texts.move_to_end(key)
            return found
    pairs = np.array(read(), dtype=np.float64).reshape(-1, 2)
    positions, indexed = index.locate(pairs[:, 0].astype(np.int64))
    found = (positions, pairs[indexed, 1])
    if not connection.in_atomic_block:
        with _lock:
            _texts[key] = found
            while len(_texts) > TEXT_MATCHES:
                _texts.popitem(last=False)
    return found


#: Change-log rows older than this are pruned (indexes are read again at least every MAX_AGE_SECONDS, so a
#: row that old can no longer make one stale).
CHANGE_LOG_RETENTION_DAYS = 7


def catalog_changes_prune() -> int:
    """Delete change-log rows older than the retention (a daily task); the number deleted."""
    if not available():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM marketplace_catalogchange WHERE changed_at < now() - make_interval(days => %s)",
                       [CHANGE_LOG_RETENTION_DAYS])
        return cursor.rowcount


def forget() -> None:
    """Drop every index, visible set and text match this process holds."""
    with _lock:
        _indexes.clear()
        _visible.clear()
        _texts.clear()


# --- Answering a search ---------------------------------------------------------------------------------


@dataclass
class Answer:
    total: int
    order: np.ndarray  # positions of every matching product, in page order
    counts: dict[str, list[tuple[object, int]]]  # facet -> (value, count), count > 0


def _filter_masks(index: TenantIndex, filters: dict, domain_ids: dict[str, int], freshness: dict) -> dict[str, np.ndarray]:
    """One mask per facet the visitor narrowed by (an unknown value matches nothing)."""
    n = len(index.ids)

    def coded(values: list, chosen, codes: np.ndarray) -> np.ndarray:
        return codes == values.index(chosen) if chosen in values else np.zeros(n, dtype=bool)

    def paired(values: list, chosen, products: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return index.mask(products[codes == values.index(chosen)]) if chosen in values else np.zeros(n, dtype=bool)

    masks = {}
    if filters.get("domain"):
        masks["domain"] = coded(index.domains, domain_ids.get(filters["domain"]), index.domain)
    if filters.get("kind"):
        masks["kind"] = coded(index.kinds, filters["kind"], index.kind)
    if filters.get("sensitivity"):
        masks["sensitivity"] = coded(index.sensitivities, filters["sensitivity"], index.sensitivity)
    if filters.get("tag"):
        masks["tag"] = paired(index.tags, filters["tag"].lower(), index.tag_product, index.tag)
    if filters.get("freshness"):
        masks["freshness"] = freshness[filters["freshness"]]
    if filters.get("owner"):
        masks["owner"] = paired(index.owners, int(filters["owner"]), index.owner_product, index.owner)
    return masks


def answer(index: TenantIndex, matching: np.ndarray, *, filters: dict, domain_ids: dict[str, int], now: float,
           sort: str, rank: np.ndarray | None, tag_limit: int, owner_limit: int) -> Answer:
    """The total, every facet's counts and the page order for the products in ``matching`` (a mask).

    Each facet counts the products meeting every *other* filter; the total and the order take them all. ``sort``
    is ``relevance`` (``rank`` descending, then name), ``name`` or ``newest``."""
    freshness = index.freshness(now)
    masks = _filter_masks(index, filters, domain_ids, freshness)

    def others(facet: str) -> np.ndarray:
        out = matching.copy()
        for name, mask in masks.items():
            if name != facet:
                out &= mask
        return out

    def tally(codes: np.ndarray, values: list, within: np.ndarray, limit: int | None = None):
        counted = np.bincount(codes[within], minlength=len(values))
        chosen = np.flatnonzero(counted)
        if limit is not None and len(chosen) > limit:
            chosen = chosen[np.argsort(-counted[chosen], kind="stable")[:limit]]
        return [(values[i], int(counted[i])) for i in chosen]

    freshness_within = others("freshness")
    counts = {
        "domain": tally(index.domain, index.domains, others("domain")),
        "kind": tally(index.kind, index.kinds, others("kind")),
        "sensitivity": tally(index.sensitivity, index.sensitivities, others("sensitivity")),
        "freshness": [(state, int(np.count_nonzero(freshness_within & mask)))
                      for state, mask in freshness.items() if np.any(freshness_within & mask)],
        "tag": tally(index.tag, index.tags, others("tag")[index.tag_product], tag_limit),
        "owner": tally(index.owner, index.owners, others("owner")[index.owner_product], owner_limit),
    }
    final = others("")
    if sort == "relevance" and rank is not None:
        positions = np.flatnonzero(final)
        positions = positions[np.lexsort((index.ids[positions], index.name_order[positions], -rank[positions]))]
    else:  # the precomputed orders, kept where they match
        ordered = index.by_name if sort == "name" else index.newest_first
        positions = ordered[final[ordered]]
    return Answer(total=len(positions), order=positions, counts=counts)
