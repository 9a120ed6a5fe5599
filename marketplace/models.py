"""Data products: what the catalog lists, with columns, lineage, version history and object roles."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from loom_portal.choices import SensitivityLabel
from marketplace.choices import (
    LIVE_GRANT_STATUSES,
    AccessRequestStatus,
    ApiPublicationState,
    ApiSubscriptionState,
    ApprovalStep,
    ColumnClassification,
    Discoverability,
    Freshness,
    GrantStatus,
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
    all_rows_requestable = models.BooleanField(
        default=True, help_text="Consumers may ask for every row; otherwise a request must scope a column."
    )
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
        indexes = [
            models.Index(fields=["tenant", "status", "sensitivity"]),
            # The catalog's two orders without a search: a page walks the index and stops after 20 rows.
            models.Index(F("tenant"), Lower("name"), F("id"), name="product_name_order"),
            models.Index(F("tenant"), F("created_at").desc(), F("id").desc(), name="product_newest_order"),
        ]

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


class SearchWord(models.Model):
    """A word of some product's search document: the vocabulary a misspelled search word is corrected against.

    Words are added as products are indexed and pruned by ``search.search_words_rebuild``; a word left behind
    only costs a correction that finds nothing (results are always restricted by the policy).
    """

    word = models.CharField(max_length=64, primary_key=True)

    def __str__(self):
        return self.word


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


# --- Access: requests, grants, keys, usage ---------------------------------------------


class AccessRequest(models.Model):
    """A consumer asks for rows of a product: a purpose, a row scope and a duration. Decided through services."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(DataProduct, on_delete=models.PROTECT, related_name="access_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests")
    purpose = models.TextField()
    # column -> allowed values (sorted lists of strings); {} = all rows.
    scope = models.JSONField(default=dict, blank=True)
    duration_days = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=AccessRequestStatus.choices,
                              default=AccessRequestStatus.REQUESTED, db_index=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(duration_days__gt=0), name="access_request_duration_positive"),
            models.CheckConstraint(condition=Q(approvals_required__in=[1, 2]), name="access_request_one_or_two_approvals"),
            # One open request per consumer and product: a second one would only split the steward's attention.
            models.UniqueConstraint(fields=["product", "requester"], condition=Q(status="requested"),
                                    name="access_request_one_open_per_product"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.requester} → {self.product}"

    @property
    def is_open(self) -> bool:
        return self.status == AccessRequestStatus.REQUESTED

    @property
    def scope_display(self) -> str:
        if not self.scope:
            return "All rows"
        return "; ".join(f"{column} in {', '.join(values)}" for column, values in sorted(self.scope.items()))


class AccessApproval(models.Model):
    """One approval step given on a request. The unique step makes a double approval impossible."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="approvals")
    step = models.CharField(max_length=20, choices=ApprovalStep.choices)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "step"], name="access_approval_one_per_step")]

    def __str__(self):
        return f"{self.get_step_display()} approval by {self.approver}"


class Grant(models.Model):
    """An approved request as enforced by the data engine. ``principal`` is the consumer's engine identity."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(DataProduct, on_delete=models.PROTECT, related_name="grants")
    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    grantee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants")
    principal = models.CharField(max_length=128)
    engine = models.CharField(max_length=20, blank=True)
    scope = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=GrantStatus.choices, default=GrantStatus.PENDING, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Why the grant failed, or what a DBA must do.")
    apply_sql = models.TextField(blank=True, help_text="The SQL that applies the grant on its engine.")
    expires_at = models.DateTimeField(db_index=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    # Whether the engine still holds (or may hold) this grant's entitlement rows; cleared by a successful unapply.
    engine_applied = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    recertified_at = models.DateTimeField(null=True, blank=True)
    recertification_requested_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["grantee", "product", "status"])]

    def __str__(self):
        return f"Grant #{self.pk}: {self.grantee} on {self.product}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_GRANT_STATUSES

    @property
    def scope_display(self) -> str:
        if not self.scope:
            return "All rows"
        return "; ".join(f"{column} in {', '.join(values)}" for column, values in sorted(self.scope.items()))


class ApiKey(models.Model):
    """A key for the data API, bound to one grant. Only a hash is stored; the key is shown once."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="api_keys")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Shown to tell keys apart; not a secret.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ProductUsageDaily(models.Model):
    """Data-API calls per product, consumer and day (usage figures, recertification evidence, showback)."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="usage_days")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    api_calls = models.PositiveIntegerField(default=0)
    rows_returned = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["product", "user", "day"], name="usage_one_row_per_day")]
        indexes = [models.Index(fields=["product", "day"])]

    def __str__(self):
        return f"{self.product} {self.user} {self.day}: {self.api_calls}"


# --- API Management publishing --------------------------------------------------------


class ApiTier(models.Model):
    """A subscription tier (Bronze, Silver, Gold...): the rate limit and quota of a product's APIM policy."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    rate_limit_calls = models.PositiveIntegerField(help_text="Calls allowed per renewal period.")
    rate_limit_period_seconds = models.PositiveIntegerField(default=60)
    quota_calls = models.PositiveIntegerField(help_text="Calls allowed per quota period.")
    quota_period_seconds = models.PositiveIntegerField(default=86400)

    class Meta:
        ordering = ["rate_limit_calls"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="api_tier_unique_name"),
            models.CheckConstraint(condition=Q(rate_limit_calls__gt=0) & Q(quota_calls__gt=0)
                                   & Q(rate_limit_period_seconds__gt=0) & Q(quota_period_seconds__gt=0),
                                   name="api_tier_positive"),
        ]

    def __str__(self):
        return self.name


class ApiPublication(models.Model):
    """A product exposed as an API in Azure API Management: what was pushed, its ETags and the last sync."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.CASCADE, related_name="+")
    product = models.OneToOneField(DataProduct, on_delete=models.CASCADE, related_name="api_publication")
    tier = models.ForeignKey(ApiTier, on_delete=models.PROTECT, related_name="publications")
    state = models.CharField(max_length=20, choices=ApiPublicationState.choices, default=ApiPublicationState.PENDING)
    apim_api_id = models.CharField(max_length=256, blank=True)
    apim_product_id = models.CharField(max_length=256, blank=True)
    api_etag = models.CharField(max_length=200, blank=True)
    product_etag = models.CharField(max_length=200, blank=True)
    policy_etag = models.CharField(max_length=200, blank=True)
    openapi_sha256 = models.CharField(max_length=64, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__name"]

    def __str__(self):
        return f"{self.product} in APIM ({self.get_state_display()})"


class ApiSubscription(models.Model):
    """The APIM subscription an active grant becomes (scoped to the product, owned by the consumer).
    Its keys stay in APIM: the portal fetches them with listSecrets when the consumer asks."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.CASCADE, related_name="+")
    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="api_subscription")
    publication = models.ForeignKey(ApiPublication, on_delete=models.CASCADE, related_name="subscriptions")
    apim_subscription_id = models.CharField(max_length=256)
    state = models.CharField(max_length=20, choices=ApiSubscriptionState.choices, default=ApiSubscriptionState.PENDING)
    etag = models.CharField(max_length=200, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.apim_subscription_id} ({self.get_state_display()})"
