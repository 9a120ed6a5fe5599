from django.db import models

from loom_portal.choices import SensitivityLabel  # noqa: F401 - re-exported for this app's callers


class DomainRole(models.TextChoices):
    """Object roles on a domain, held as django-guardian object permissions."""

    STEWARD = "steward_domain", "Steward"
    OWNER = "own_domain", "Owner"
