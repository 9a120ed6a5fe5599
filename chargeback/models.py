"""Chargeback: where Azure cost comes from (CostScope), what it was (CostRecord), and tags no one has mapped yet."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from chargeback.choices import UNALLOCATED, AzureCloudName, CostType, TagKey

_NAME = r"[^/]+"
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ARM_SCOPE_PATTERNS = [
    re.compile(rf"^/subscriptions/{_GUID}$", re.IGNORECASE),
    re.compile(rf"^/subscriptions/{_GUID}/resourceGroups/{_NAME}$", re.IGNORECASE),
    re.compile(rf"^/providers/Microsoft\.Management/managementGroups/{_NAME}$", re.IGNORECASE),
    re.compile(
        rf"^/providers/Microsoft\.Billing/billingAccounts/{_NAME}"
        rf"(/(departments|enrollmentAccounts|customers)/{_NAME}|/billingProfiles/{_NAME}(/invoiceSections/{_NAME})?)?$",
        re.IGNORECASE,
    ),
]


def normalize_arm_scope(value: str) -> str:
    """``value`` with one leading slash and no trailing slash."""
    value = (value or "").strip()
    return "/" + value.strip("/") if value else ""


def validate_arm_scope(value: str) -> None:
    scope = normalize_arm_scope(value)
    if not any(p.match(scope) for p in ARM_SCOPE_PATTERNS):
        raise ValidationError(
            f"{value!r} is not a Cost Management scope: use /subscriptions/<id>, /subscriptions/<id>/resourceGroups/<name>, "
            "/providers/Microsoft.Management/managementGroups/<id> or /providers/Microsoft.Billing/billingAccounts/<id>[/...]."
        )


class CostScope(models.Model):
    """An ARM scope whose cost is ingested daily (subscription, resource group, management group or billing scope)."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    cloud = models.CharField(max_length=30, choices=AzureCloudName.choices, default=AzureCloudName.AZURE_CLOUD)
    scope = models.CharField(max_length=400, validators=[validate_arm_scope], help_text="e.g. /subscriptions/<id>")
    cost_type = models.CharField(max_length=20, choices=CostType.choices, default=CostType.ACTUAL)
    enabled = models.BooleanField(default=True)
    history_start = models.DateField(help_text="The first day to ingest.")
    last_complete_day = models.DateField(
        null=True, blank=True, help_text="The last day ingested; the next run re-pulls the trailing restated days."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("scope"), "cost_type", name="costscope_unique_scope_per_tenant"),
        ]

    def __str__(self):
        return f"{self.name} ({self.cost_type})"

    @property
    def arm_path(self) -> str:
        """The scope as the SDK's ``{scope}`` path parameter (no leading slash)."""
        return normalize_arm_scope(self.scope).lstrip("/")


class CostRecord(models.Model):
    """Direct cost of one day, one tag combination and one currency in one scope.

    The natural key makes re-runs idempotent: ingestion replaces a scope's window
    and the unique constraint guarantees no day is ever counted twice. Cost without
    a known domain has ``domain`` null and is reported as *Unallocated*.
    """

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    scope = models.ForeignKey(CostScope, on_delete=models.CASCADE, related_name="records")
    usage_date = models.DateField()
    cost_type = models.CharField(max_length=20, choices=CostType.choices)
    workspace = models.ForeignKey("domains.Workspace", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    domain = models.ForeignKey("domains.Domain", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    workspace_tag = models.CharField(max_length=256, blank=True, help_text="The loomWorkspaceId value as Azure reported it.")
    domain_tag = models.CharField(max_length=256, blank=True, help_text="The loomDomain value as Azure reported it.")
    cost = models.DecimalField(max_digits=24, decimal_places=10)
    currency = models.CharField(max_length=8)

    class Meta:
        ordering = ["usage_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "cost_type", "usage_date", "workspace_tag", "domain_tag", "currency"],
                name="costrecord_natural_key",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "usage_date"]),
            models.Index(fields=["tenant", "domain", "usage_date"]),
        ]

    def __str__(self):
        return f"{self.usage_date} {self.domain_label} {self.cost} {self.currency}"

    @property
    def domain_label(self) -> str:
        return self.domain.name if self.domain_id else UNALLOCATED


class UnmappedTagValue(models.Model):
    """A tag value seen in cost data that matches no workspace or domain, for a platform owner to map."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.CASCADE, related_name="+")
    tag_key = models.CharField(max_length=40, choices=TagKey.choices)
    value = models.CharField(max_length=256)
    first_seen = models.DateField(help_text="The earliest usage day that carried this value.")
    last_seen = models.DateField(help_text="The latest usage day that carried this value.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tag_key", "value"]
        constraints = [
            models.UniqueConstraint("tenant", "tag_key", Lower("value"), name="unmappedtag_unique_value"),
        ]

    def __str__(self):
        return f"{self.tag_key}={self.value}"
