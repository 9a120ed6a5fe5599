"""Catalog queries: ``products`` (a Relay connection with facet counts) and ``product(slug)``.

Both go through the selectors REST and the pages use (``product_filter``, ``product_get``), so the same
policy decides: a list is restricted by ``authz.restrict``, one product by ``authz.require`` (a hidden
or foreign product is null). The page of products is fetched with ``product_prefetch`` for exactly the
parts the query selects (see docs/decisions/0004-graphql-batching.md).
"""

from __future__ import annotations

import graphene
from django.http import Http404
from graphql import FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode

from loom_portal.graphql.paging import connection_of, fetch_page
from marketplace import selectors
from marketplace.forms import ProductSearchForm
from marketplace.graphql.types import (
    FreshnessEnum,
    ProductConnection,
    ProductKindEnum,
    ProductSortEnum,
    ProductType,
    SensitivityEnum,
)

#: Fields of a product node and the prefetched parts they read.
PARTS_BY_FIELD = {
    "tags": {"tags"},
    "columns": {"columns"},
    "upstream": {"lineage"},
    "downstream": {"lineage"},
    "owners": {"people"},
    "stewards": {"people"},
    "viewerAccess": {"viewer_access"},
}
#: Fields that depend on whether the viewer may see the product's details.
DETAIL_FIELDS = {"detailsRestricted", "description", "columns", "columnCount", "upstream", "downstream"}


def _selected(selection_set, fragments, seen=frozenset()) -> dict[str, list]:
    """Field name -> the field nodes selecting it, through fragments and aliases."""
    out: dict[str, list] = {}
    if selection_set is None:
        return out
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            out.setdefault(node.name.value, []).append(node)
        elif isinstance(node, InlineFragmentNode):
            for name, nodes in _selected(node.selection_set, fragments, seen).items():
                out.setdefault(name, []).extend(nodes)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen and node.name.value in fragments:
            fragment = fragments[node.name.value]
            for name, nodes in _selected(fragment.selection_set, fragments, seen | {node.name.value}).items():
                out.setdefault(name, []).extend(nodes)
    return out


def _children(nodes, fragments) -> dict[str, list]:
    merged: dict[str, list] = {}
    for node in nodes:
        for name, found in _selected(node.selection_set, fragments).items():
            merged.setdefault(name, []).extend(found)
    return merged


def node_fields(info) -> tuple[set[str], set[str]]:
    """(field names selected on ``edges { node { … } }``, those selected on the node's ``domain``)."""
    edges = _children(info.field_nodes, info.fragments).get("edges", [])
    nodes = _children(edges, info.fragments).get("node", [])
    fields = _children(nodes, info.fragments)
    domain = _children(fields.get("domain", []), info.fragments)
    return set(fields), set(domain)


def _filters(**arguments) -> dict:
    """The filters, validated by the form REST and the pages use: a bad value is an error naming it."""
    data = {name: "" if value is None else str(value) for name, value in arguments.items()}
    form = ProductSearchForm(data)
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        raise GraphQLError(f"{field}: {' '.join(messages)}", extensions={"code": "INVALID_ARGUMENT", "field": field})
    return form.filters()


class CatalogQuery(graphene.ObjectType):
    products = graphene.Field(
        ProductConnection,
        search=graphene.String(description="Words to find (web-search syntax: quotes, OR, -word); typos tolerated."),
        domain=graphene.String(description="Domain slug."),
        kind=ProductKindEnum(),
        sensitivity=SensitivityEnum(),
        tag=graphene.String(),
        freshness=FreshnessEnum(),
        owner=graphene.Int(description="User id of an owner (see facets.owner)."),
        sort=ProductSortEnum(description="RELEVANCE when searching, else NEWEST, unless given."),
        first=graphene.Int(description="Page size, 1 to 100 (20 when absent)."),
        after=graphene.String(description="The endCursor of the previous page."),
        description="Products of your tenant you may see, a page at a time, with facet counts.",
    )
    product = graphene.Field(
        ProductType, slug=graphene.String(required=True),
        description="One product by slug; null when it does not exist or you may not see it.",
    )

    def resolve_products(root, info, first=None, after=None, **arguments):
        actor = info.context.user
        filters = _filters(**arguments)
        matching = selectors.product_filter(actor=actor, **filters)
        fields, domain_fields = node_fields(info)
        parts = set().union(*(PARTS_BY_FIELD.get(f, set()) for f in fields))
        if "workspaces" in domain_fields:
            parts.add("domain_workspaces")
        page, offset, has_next = fetch_page(selectors.product_prefetch(matching, actor=actor, parts=parts), first, after)
        if fields & DETAIL_FIELDS:
            detail_ids = selectors.product_detail_ids(actor=actor, products=page)
            for product in page:
                product.gql_details_visible = product.pk in detail_ids
        if "columnCount" in fields and "columns" not in parts:
            # Counting needs no column rows: one grouped query.
            counts = selectors.product_column_counts(page)
            for product in page:
                product.gql_column_count = counts.get(product.pk, 0)
        if "usage" in fields:
            usage = selectors.product_page_usage(page)
            for product in page:
                product.gql_usage = usage[product.pk]
        connection = connection_of(ProductConnection, page, offset, has_next)
        connection.matching = matching
        connection.filters = filters
        return connection

    def resolve_product(root, info, slug):
        try:
            return selectors.product_get(actor=info.context.user, slug=slug)
        except Http404:
            return None
