from django.db import models

from loom_portal.choices import SensitivityLabel  # noqa: F401 - re-exported for this app's callers


class ProductKind(models.TextChoices):
    TABLE = "table", "Table"
    VIEW = "view", "View"
    SEMANTIC_MODEL = "semantic_model", "Semantic model"
    KQL_FUNCTION = "kql_function", "KQL function"
    FILE_SET = "file_set", "File set"
    API = "api", "API"


class ProductStatus(models.TextChoices):
    """draft → published → deprecated → retired (see marketplace.services)."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


#: Statuses every member of the tenant may see (subject to the Highly Confidential rule).
LISTED_STATUSES = (ProductStatus.PUBLISHED, ProductStatus.DEPRECATED)


class Discoverability(models.TextChoices):
    """How a Highly Confidential product shows up for people who are not entitled to it."""

    DISCOVERABLE = "discoverable", "Discoverable (listed, details on request)"
    HIDDEN = "hidden", "Hidden (only entitled people see it)"


class SourceEngine(models.TextChoices):
    POSTGRES = "postgres", "PostgreSQL"
    SQLSERVER = "sqlserver", "SQL Server / Synapse / Fabric warehouse"
    DATABRICKS = "databricks", "Databricks (Unity Catalog)"
    ADX = "adx", "Azure Data Explorer"
    POWERBI = "powerbi", "Power BI"
    ADLS = "adls", "ADLS Gen2"


class Freshness(models.TextChoices):
    """Computed from the freshness SLA and the last refresh (see DataProduct.freshness)."""

    FRESH = "fresh", "Fresh"
    LATE = "late", "Late"
    STALE = "stale", "Stale"
    UNKNOWN = "unknown", "Unknown"


class ColumnClassification(models.TextChoices):
    NONE = "", "None"
    PII = "pii", "PII"
    SENSITIVE_PII = "sensitive_pii", "Sensitive PII"
    FINANCIAL = "financial", "Financial"
    CONFIDENTIAL = "confidential", "Confidential"


class ProductRole(models.TextChoices):
    """Object roles on a product, held as django-guardian object permissions."""

    OWNER = "own_product", "Owner"
    STEWARD = "steward_product", "Steward"


class ProductSort(models.TextChoices):
    RELEVANCE = "relevance", "Relevance"
    NEWEST = "newest", "Newest"
    NAME = "name", "Name"


class AccessRequestStatus(models.TextChoices):
    """requested → approved | denied | withdrawn (see marketplace.services.access)."""

    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ApprovalStep(models.TextChoices):
    """Highly Confidential products need both steps, in this order; others need the steward's only."""

    STEWARD = "steward", "Steward"
    DOMAIN_OWNER = "domain_owner", "Domain owner"


class GrantStatus(models.TextChoices):
    """pending → active → expired | revoked; ``failed`` when the engine did not enforce the scope."""

    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


#: Grants whose entitlement rows should exist in the engine.
LIVE_GRANT_STATUSES = (GrantStatus.PENDING, GrantStatus.ACTIVE, GrantStatus.FAILED)


class ApiPublicationState(models.TextChoices):
    PENDING = "pending", "Pending sync"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    UNPUBLISHING = "unpublishing", "Being removed"
    REMOVED = "removed", "Removed"


class ApiSubscriptionState(models.TextChoices):
    """Mirrors APIM's subscription states that the portal drives."""

    PENDING = "pending", "Pending sync"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    FAILED = "failed", "Failed"
