"""Catalog types: a data product, its columns, lineage and people, and the products connection with facets.

Resolvers only read what the selectors fetched (``product_get`` for one product, ``product_prefetch`` for
a page): none follows a relation on its own, so a page costs the same number of queries whatever its
size. Details (description, schema, lineage) are null when the viewer may not see them
(``marketplace.view_dataproduct_details``; ``detailsRestricted`` says so).

``viewerAccess`` (the viewer's own request and grant) and ``usage`` have their types in
``marketplace/graphql/access``; a page reads them from ``product_prefetch``'s ``viewer_access`` part and
``product_page_usage``, one product asks the same selectors for itself.
"""

from __future__ import annotations

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from domains.graphql.types import DomainType, WorkspaceType
from loom_portal import authz
from loom_portal.choices import SensitivityLabel
from loom_portal.graphql.types import PersonType
from marketplace import selectors
from marketplace.choices import (
    ColumnClassification,
    Discoverability,
    Freshness,
    ProductKind,
    ProductSort,
    ProductStatus,
    SourceEngine,
)
from marketplace.models import DataProduct

ProductKindEnum = graphene.Enum.from_enum(ProductKind, name="ProductKind", description="What a data product is.")
ProductStatusEnum = graphene.Enum.from_enum(
    ProductStatus, name="ProductStatus", description="draft → published → deprecated → retired."
)
SensitivityEnum = graphene.Enum.from_enum(SensitivityLabel, name="Sensitivity", description="The sensitivity label.")
DiscoverabilityEnum = graphene.Enum.from_enum(
    Discoverability, name="Discoverability", description="How a Highly Confidential product shows to others."
)
FreshnessEnum = graphene.Enum.from_enum(
    Freshness, name="Freshness",
    description="FRESH: refreshed within the SLA; LATE: within twice the SLA; STALE: beyond; UNKNOWN: no SLA or refresh.",
)
ProductSortEnum = graphene.Enum.from_enum(ProductSort, name="ProductSort", description="Order of the products list.")
SourceEngineEnum = graphene.Enum.from_enum(SourceEngine, name="SourceEngine", description="Where the data lives.")


class ColumnClassificationEnum(graphene.Enum):
    """How sensitive a column's values are (a column without a classification has null)."""

    class Meta:
        name = "ColumnClassification"

    PII = ColumnClassification.PII.value
    SENSITIVE_PII = ColumnClassification.SENSITIVE_PII.value
    FINANCIAL = ColumnClassification.FINANCIAL.value
    CONFIDENTIAL = ColumnClassification.CONFIDENTIAL.value


class ProductColumnType(graphene.ObjectType):
    """A column of a product's schema. `isScopable`: access can be limited to some values of it."""

    class Meta:
        name = "ProductColumn"

    position = graphene.Int(required=True)
    name = graphene.String(required=True)
    data_type = graphene.String(required=True)
    description = graphene.String(required=True)
    classification = graphene.Field(ColumnClassificationEnum)
    is_nullable = graphene.Boolean(required=True)
    is_scopable = graphene.Boolean(required=True)

    def resolve_classification(column, info):
        return column.classification or None


class ProductRefType(graphene.ObjectType):
    """Another product, named (follow it with `product(slug)`)."""

    class Meta:
        name = "ProductRef"

    slug = graphene.String(required=True)
    name = graphene.String(required=True)


class LineageEndType(graphene.ObjectType):
    """The other end of a lineage edge: a product the viewer may see, or an external source by name."""

    class Meta:
        name = "LineageEnd"

    product = graphene.Field(ProductRefType)
    external_source = graphene.String(description="Set when the end is not a product.")


def _details(product: DataProduct, info) -> bool:
    """Whether the viewer may see the product's details: set for a page by the products resolver,
    otherwise asked of the policy (one product)."""
    visible = getattr(product, "gql_details_visible", None)
    if visible is None:
        visible = authz.can(info.context.user, "marketplace.view_dataproduct_details", product)
        product.gql_details_visible = visible
    return visible


def _people(product: DataProduct) -> dict:
    people = getattr(product, "gql_people", None)
    if people is None:
        if hasattr(product, "prefetched_people"):  # a page: selectors.product_prefetch
            people = selectors.product_page_people(product)
        else:  # one product: selectors.product_get
            people = selectors.product_people(product)
        product.gql_people = people
    return people


def _tags(product: DataProduct) -> list:
    return product.prefetched_tags if hasattr(product, "prefetched_tags") else product.tags.all()


def _columns(product: DataProduct) -> list:
    return product.prefetched_columns if hasattr(product, "prefetched_columns") else list(product.columns.all())


def _lineage(product: DataProduct, attr: str, end: str) -> list[LineageEndType]:
    if hasattr(product, f"visible_{end}"):  # a page: selectors.product_prefetch
        edges = getattr(product, f"visible_{end}")
    elif attr in getattr(product, "_prefetched_objects_cache", {}):  # one product: selectors.product_get
        edges = product._prefetched_objects_cache[attr]
    else:
        # Lineage must come from a selector that keeps hidden ends out; never follow the relation here.
        raise RuntimeError(f"{attr} of {product.slug} was not fetched by a selector")
    out = []
    for edge in edges:
        other = getattr(edge, end)
        ref = ProductRefType(slug=other.slug, name=other.name) if other is not None else None
        out.append(LineageEndType(product=ref, external_source=edge.external_source or None))
    return out


class ProductType(DjangoObjectType):
    """A data product of the viewer's tenant that the viewer may see."""

    kind = graphene.Field(ProductKindEnum, required=True)
    status = graphene.Field(ProductStatusEnum, required=True)
    sensitivity = graphene.Field(SensitivityEnum, required=True)
    discoverability = graphene.Field(DiscoverabilityEnum, required=True)
    domain = graphene.Field(DomainType, required=True)
    workspace = graphene.Field(WorkspaceType)
    tags = graphene.List(graphene.NonNull(graphene.String), required=True)
    glossary_terms = graphene.List(graphene.NonNull(graphene.String), required=True)
    source_engine = graphene.Field(SourceEngineEnum)
    location = graphene.String(required=True, description="database.schema.table, or the path for files and APIs.")
    freshness = graphene.Field(FreshnessEnum, required=True)
    details_restricted = graphene.Boolean(
        required=True,
        description="True when the viewer may not see the details (description, columns, lineage): they are null.",
    )
    description = graphene.String(description="Markdown. Null when detailsRestricted.")
    columns = graphene.List(graphene.NonNull(ProductColumnType), description="Null when detailsRestricted.")
    column_count = graphene.Int(description="Null when detailsRestricted.")
    upstream = graphene.List(graphene.NonNull(LineageEndType), description="What feeds this product.")
    downstream = graphene.List(graphene.NonNull(LineageEndType), description="Products this one feeds.")
    owners = graphene.List(graphene.NonNull(PersonType), required=True)
    stewards = graphene.List(graphene.NonNull(PersonType), required=True)
    viewer_access = graphene.Field(
        "marketplace.graphql.access.types.ViewerAccessType", required=True,
        description="Your own open request and live grant for this product, and whether you may ask.",
    )
    usage = graphene.Field(
        "marketplace.graphql.access.types.ProductUsageType", required=True,
        description="Subscribers, open requests and data-API calls (shown to everyone who sees the product).",
    )

    class Meta:
        model = DataProduct
        name = "Product"
        fields = [
            "id", "slug", "name", "version", "freshness_sla_hours", "last_refreshed_at", "published_at",
            "created_at", "updated_at",
        ]

    def resolve_tags(product, info):
        return [t.name for t in _tags(product)]

    def resolve_glossary_terms(product, info):
        return [str(t) for t in product.glossary_terms or []]

    def resolve_source_engine(product, info):
        return product.source_engine or None

    def resolve_details_restricted(product, info):
        return not _details(product, info)

    def resolve_description(product, info):
        return product.description if _details(product, info) else None

    def resolve_columns(product, info):
        return _columns(product) if _details(product, info) else None

    def resolve_column_count(product, info):
        if not _details(product, info):
            return None
        counted = getattr(product, "gql_column_count", None)
        return counted if counted is not None else len(_columns(product))

    def resolve_upstream(product, info):
        return _lineage(product, "upstream_edges", "upstream") if _details(product, info) else None

    def resolve_downstream(product, info):
        return _lineage(product, "downstream_edges", "downstream") if _details(product, info) else None

    def resolve_owners(product, info):
        return [PersonType.from_user(u) for u in _people(product)["owners"]]

    def resolve_stewards(product, info):
        return [PersonType.from_user(u) for u in _people(product)["stewards"]]

    def resolve_viewer_access(product, info):
        return selectors.product_viewer_access(actor=info.context.user, product=product)

    def resolve_usage(product, info):
        usage = getattr(product, "gql_usage", None)  # a page: set by the products resolver
        return usage if usage is not None else selectors.product_page_usage([product])[product.pk]


class FacetValueType(graphene.ObjectType):
    """One value of a facet: how many products match it together with every *other* filter."""

    class Meta:
        name = "FacetValue"

    value = graphene.String(required=True, description="Pass it as the filter of the same name.")
    label = graphene.String(required=True)
    count = graphene.Int(required=True)
    selected = graphene.Boolean(required=True)


#: Facets whose values are enum values: answered as the enum's name, the form the filter argument takes.
ENUM_FACETS = {"kind": ProductKind, "sensitivity": SensitivityLabel, "freshness": Freshness}


def _facet(name: str):
    choices = ENUM_FACETS.get(name)

    def resolve(root, info):
        return [
            FacetValueType(value=choices(v.value).name if choices else v.value, label=v.label, count=v.count,
                           selected=v.selected)
            for v in root.counted(info.context.user)[name]
        ]

    return graphene.List(graphene.NonNull(FacetValueType), required=True, resolver=resolve)


class ProductFacetsType(graphene.ObjectType):
    """Facet counts for the current filters (one query for all the facets asked for). Each value is what the
    filter of the same name takes: a domain slug, an enum name (`SEMANTIC_MODEL`), a tag, an owner's user id."""

    class Meta:
        name = "ProductFacets"

    domain = _facet("domain")
    kind = _facet("kind")
    sensitivity = _facet("sensitivity")
    tag = _facet("tag")
    freshness = _facet("freshness")
    owner = _facet("owner")

    def __init__(self, filters: dict):
        super().__init__()
        self.filters = filters
        self._counted = None

    def counted(self, actor) -> dict:
        """Every facet's counts, computed once (one statement) for however many facet fields are selected."""
        if self._counted is None:
            self._counted = selectors.product_facets(actor=actor, **self.filters)
        return self._counted


class ProductConnection(relay.Connection):
    """A page of products (newest first unless sorted or searching) with the total and facet counts."""

    class Meta:
        node = ProductType

    total_count = graphene.Int(required=True, description="Products matching the filters, on every page.")
    facets = graphene.Field(ProductFacetsType, required=True)

    def resolve_total_count(connection, info):
        return connection.matching.count()

    def resolve_facets(connection, info):
        return ProductFacetsType(connection.filters)
