"""Data products: what the catalog lists, with columns, lineage, version history and object roles."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from loom_portal.choices import SensitivityLabel
from marketplace.choices import (
    ColumnClassification,
    Discoverability,
    Freshness,
    ProductKind,
    ProductStatus,
    SourceEngine,
)


class DataProduct(models.Model):
    """A dataset, model or API a domain offers to the tenant. Status moves only through marketplace.services."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    domain = models.ForeignKey("domains.Domain", on_delete=models.PROTECT, related_name="data_products")
    workspace = models.ForeignKey(
        "domains.Workspace", on_delete=models.SET_NULL, null=True, blank=True, related_name="data_products"
    )
    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=120)
    kind = models.CharField(max_length=20, choices=ProductKind.choices, default=ProductKind.TABLE)
    description = models.TextField(blank=True, help_text="Markdown; rendered without raw HTML or scripts.")
    status = models.CharField(max_length=20, choices=ProductStatus.choices, default=ProductStatus.DRAFT, db_index=True)
    sensitivity = models.CharField(max_length=30, choices=SensitivityLabel.choices, default=SensitivityLabel.GENERAL)
    discoverability = models.CharField(
        max_length=20,
        choices=Discoverability.choices,
        default=Discoverability.DISCOVERABLE,
        help_text="Only matters for Highly Confidential products.",
    )
    glossary_terms = models.JSONField(default=list, blank=True)
    source_engine = models.CharField(max_length=20, choices=SourceEngine.choices, blank=True)
    source_database = models.CharField(max_length=200, blank=True)
    source_schema = models.CharField(max_length=200, blank=True)
    source_table = models.CharField(max_length=200, blank=True)
    source_path = models.CharField(max_length=500, blank=True, help_text="For file sets and APIs: a path or URL.")
    freshness_sla_hours = models.PositiveIntegerField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    # Denormalised by the services from the SLA and last refresh, so the freshness facet is a plain filter.
    fresh_until = models.DateTimeField(null=True, blank=True, editable=False)
    late_until = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Weighted full-text document (name A, tags/terms B, description/columns C) written by the services on
    # PostgreSQL; its GIN index is created by a PostgreSQL-only migration.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    # Plain words (name, tags, terms, column names) for trigram similarity, so typos still match.
    search_document = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("own_product", "Is an owner of the product"),
            ("steward_product", "Is a steward of the product"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="product_unique_slug_per_tenant"),
            models.CheckConstraint(condition=Q(freshness_sla_hours__isnull=True) | Q(freshness_sla_hours__gt=0),
                                   name="product_sla_positive"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "sensitivity"])]

    def __str__(self):
        return self.name

    @property
    def is_highly_confidential(self) -> bool:
        return self.sensitivity == SensitivityLabel.HIGHLY_CONFIDENTIAL

    @property
    def freshness(self) -> str:
        """fresh: refreshed within the SLA; late: within twice the SLA; stale: beyond; unknown: no SLA or refresh."""
        if self.fresh_until is None:
            return Freshness.UNKNOWN
        now = timezone.now()
        if now <= self.fresh_until:
            return Freshness.FRESH
        if now <= self.late_until:
            return Freshness.LATE
        return Freshness.STALE

    def get_freshness_display(self) -> str:
        return Freshness(self.freshness).label

    @property
    def location(self) -> str:
        if self.source_path:
            return self.source_path
        return ".".join(p for p in (self.source_database, self.source_schema, self.source_table) if p)


class ProductTag(models.Model):
    """A tag on a product (lower case), a row each so the tag facet counts in SQL."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="product_tag_unique")]
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name


class ProductColumn(models.Model):
    """A column of a product's schema. ``is_scopable``: access can be limited to some values of this column."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="columns")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    data_type = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    classification = models.CharField(max_length=20, choices=ColumnClassification.choices, blank=True)
    is_nullable = models.BooleanField(default=True)
    is_scopable = models.BooleanField(default=False)

    class Meta:
        ordering = ["product", "position"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="product_column_unique_name"),
            models.UniqueConstraint(fields=["product", "position"], name="product_column_unique_position"),
        ]

    def __str__(self):
        return f"{self.name} {self.data_type}"


class LineageEdge(models.Model):
    """``upstream`` (a product, or an external source by name) feeds ``downstream``."""

    downstream = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="upstream_edges")
    upstream = models.ForeignKey(
        DataProduct, on_delete=models.CASCADE, null=True, blank=True, related_name="downstream_edges"
    )
    external_source = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(upstream__isnull=False) & Q(external_source=""))
                | (Q(upstream__isnull=True) & ~Q(external_source="")),
                name="lineage_one_upstream",
            ),
            models.CheckConstraint(condition=~Q(upstream=models.F("downstream")), name="lineage_not_self"),
            models.UniqueConstraint(fields=["downstream", "upstream"], condition=Q(upstream__isnull=False),
                                    name="lineage_unique_product_edge"),
            models.UniqueConstraint(fields=["downstream", "external_source"], condition=Q(upstream__isnull=True),
                                    name="lineage_unique_external_edge"),
        ]

    def __str__(self):
        return f"{self.upstream or self.external_source} → {self.downstream}"


class ProductChange(models.Model):
    """One row of a product's version history, written by the services."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"v{self.version}: {self.summary}"


class ProductUserObjectPermission(UserObjectPermissionBase):
    """A user's object permission (owner, steward) on a product: a direct FK for fast policy joins."""

    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="user_permissions")

    class Meta(UserObjectPermissionBase.Meta):
        pass


class ProductGroupObjectPermission(GroupObjectPermissionBase):
    """A group's object permission on a product."""

    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="group_permissions")

    class Meta(GroupObjectPermissionBase.Meta):
        pass
