from django.db import models

#: Cost Management tag keys; values match Workspace.workspace_id and Domain slug/name case-insensitively.
WORKSPACE_TAG = "loomWorkspaceId"
DOMAIN_TAG = "loomDomain"

#: The label of cost that carries no (known) domain.
UNALLOCATED = "Unallocated"


class AzureCloudName(models.TextChoices):
    AZURE_CLOUD = "AzureCloud", "Azure (commercial)"
    AZURE_US_GOVERNMENT = "AzureUSGovernment", "Azure Government"


class CostType(models.TextChoices):
    ACTUAL = "ActualCost", "Actual cost"
    AMORTIZED = "AmortizedCost", "Amortized cost"


class TagKey(models.TextChoices):
    WORKSPACE = WORKSPACE_TAG, "loomWorkspaceId"
    DOMAIN = DOMAIN_TAG, "loomDomain"


class GroupBy(models.TextChoices):
    DOMAIN = "domain", "Domain"
    WORKSPACE = "workspace", "Workspace"
    PRODUCT = "product", "Data product (showback by data-API usage)"


class Granularity(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"


class ThresholdType(models.TextChoices):
    """Azure budget notification kinds: spend so far, or spend forecast for the period."""

    ACTUAL = "Actual", "Actual"
    FORECASTED = "Forecasted", "Forecasted"


class BudgetTimeGrain(models.TextChoices):
    MONTHLY = "Monthly", "Monthly"


class PushState(models.TextChoices):
    """Where a budget stands with Azure."""

    PENDING = "pending", "Waiting to be pushed"
    PUSHED = "pushed", "In Azure"
    FAILED = "failed", "Push failed"


class AllocationMethod(models.TextChoices):
    PROPORTIONAL = "proportional", "Proportional to tagged spend"
    EVEN = "even", "Evenly"
    FIXED = "fixed", "Fixed percentages"
