from django.db import models


class Role(models.TextChoices):
    CONSUMER = "consumer", "Consumer"
    STEWARD = "steward", "Steward"
    DOMAIN_OWNER = "domain_owner", "Domain owner"
    FINANCE = "finance", "Finance"
    PLATFORM_OWNER = "platform_owner", "Platform owner"


class JobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class SensitivityLabel(models.TextChoices):
    PUBLIC = "public", "Public"
    GENERAL = "general", "General"
    CONFIDENTIAL = "confidential", "Confidential"
    HIGHLY_CONFIDENTIAL = "highly_confidential", "Highly Confidential"


# Entra app role values mapped to portal roles at sign-in.
ENTRA_APP_ROLES = {
    "Loom.PlatformOwner": Role.PLATFORM_OWNER,
    "Loom.Finance": Role.FINANCE,
    "Loom.DomainOwner": Role.DOMAIN_OWNER,
}
