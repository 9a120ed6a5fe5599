"""Chargeback: where Azure cost comes from (CostScope), what it was (CostRecord), tags no one has mapped yet,
budgets with their alerts, and allocation rules for unallocated cost."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from chargeback.choices import (
    UNALLOCATED,
    AllocationMethod,
    AzureCloudName,
    BudgetTimeGrain,
    CostType,
    PushState,
    TagKey,
    ThresholdType,
)

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


class CostMonth(models.Model):
    """Monthly totals of CostRecord per scope, domain, workspace and currency.

    Ingestion rewrites the months it touches in the same transaction as the cost rows, so
    the monthly reports read thousands of rows instead of millions and never disagree with
    the daily data.
    """

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    scope = models.ForeignKey(CostScope, on_delete=models.CASCADE, related_name="months")
    month = models.DateField(help_text="The first day of the month.")
    cost_type = models.CharField(max_length=20, choices=CostType.choices)
    workspace = models.ForeignKey("domains.Workspace", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    domain = models.ForeignKey("domains.Domain", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    currency = models.CharField(max_length=8)
    cost = models.DecimalField(max_digits=24, decimal_places=10)
    records = models.PositiveIntegerField(help_text="How many daily cost rows the total sums.")

    class Meta:
        ordering = ["month", "id"]
        indexes = [models.Index(fields=["tenant", "month"]), models.Index(fields=["scope", "month"])]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.domain_id or UNALLOCATED} {self.cost} {self.currency}"


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


BUDGET_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,63}$")


class Budget(models.Model):
    """A monthly cost budget for one domain or one workspace, mirrored to Azure as a Microsoft.Consumption budget.

    The Azure budget lives at the cost scope's ARM scope, filtered by the ``loomDomain``
    or ``loomWorkspaceId`` tag. ``etag`` is the body eTag Azure returned last; the next
    push sends it so a concurrent edit in Azure is detected. ``thresholds`` is a list of
    ``{"type": "Actual"|"Forecasted", "percent": n}``.
    """

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=63, help_text="Also the Azure budget name: letters, digits, - and _.")
    cost_scope = models.ForeignKey(CostScope, on_delete=models.PROTECT, related_name="budgets")
    domain = models.ForeignKey("domains.Domain", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    workspace = models.ForeignKey("domains.Workspace", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=8, default="USD")
    time_grain = models.CharField(max_length=20, choices=BudgetTimeGrain.choices, default=BudgetTimeGrain.MONTHLY)
    start_date = models.DateField(help_text="The first day of a month.")
    end_date = models.DateField(null=True, blank=True, help_text="The last day; empty for open-ended.")
    thresholds = models.JSONField(default=list, blank=True)
    contact_emails = models.JSONField(default=list, blank=True)
    contact_groups = models.JSONField(default=list, blank=True, help_text="Azure Monitor action group resource ids.")
    push_state = models.CharField(max_length=20, choices=PushState.choices, default=PushState.PENDING)
    etag = models.CharField(max_length=200, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    last_push_error = models.TextField(blank=True)
    created_by = models.ForeignKey("loom_portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="budget_unique_name_per_tenant"),
            models.CheckConstraint(
                condition=(models.Q(domain__isnull=False, workspace__isnull=True)
                           | models.Q(domain__isnull=True, workspace__isnull=False)),
                name="budget_for_a_domain_or_a_workspace",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gt=models.F("start_date")),
                name="budget_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def target_label(self) -> str:
        return str(self.workspace) if self.workspace_id else str(self.domain)

    @property
    def tag_filter(self) -> tuple[str, str]:
        """(tag key, tag value) that selects this budget's cost in Azure."""
        if self.workspace_id:
            return TagKey.WORKSPACE.value, self.workspace.workspace_id
        return TagKey.DOMAIN.value, self.domain.slug


class BudgetAlert(models.Model):
    """A threshold of a budget crossed in one month. The unique key makes notifying idempotent."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.CASCADE, related_name="+")
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    period = models.DateField(help_text="The first day of the month.")
    threshold_type = models.CharField(max_length=20, choices=ThresholdType.choices)
    percent = models.PositiveIntegerField()
    spend = models.DecimalField(max_digits=24, decimal_places=2, help_text="Actual or forecast spend when crossed.")
    budget_amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "budget", "threshold_type", "percent"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "period", "threshold_type", "percent"], name="budgetalert_once_per_threshold_period"
            ),
        ]

    def __str__(self):
        return f"{self.budget} {self.period:%Y-%m} {self.threshold_type} {self.percent}%"


class AllocationRule(models.Model):
    """How unallocated cost (no known domain) is split across domains, from a month on.

    proportional: by each target domain's direct (tagged) cost that month; even: equal
    shares; fixed: the shares' percentages (they sum to 100). Without targets,
    proportional and even use every domain with direct cost that month.
    """

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    method = models.CharField(max_length=20, choices=AllocationMethod.choices)
    enabled = models.BooleanField(default=True)
    valid_from = models.DateField(help_text="The first month the rule applies to.")
    valid_to = models.DateField(null=True, blank=True, help_text="The last month; empty for open-ended.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="allocationrule_unique_name_per_tenant"),
        ]

    def __str__(self):
        return self.name


class AllocationShare(models.Model):
    """A target domain of an allocation rule, with its percentage for the fixed method."""

    rule = models.ForeignKey(AllocationRule, on_delete=models.CASCADE, related_name="shares")
    domain = models.ForeignKey("domains.Domain", on_delete=models.CASCADE, related_name="+")
    percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["rule", "domain__name"]
        constraints = [models.UniqueConstraint(fields=["rule", "domain"], name="allocationshare_unique_domain")]

    def __str__(self):
        return f"{self.rule}: {self.domain}"
