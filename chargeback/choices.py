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


class Granularity(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
