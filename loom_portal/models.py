"""Core models: tenants, users, the audit log, notifications and job progress."""

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from loom_portal.choices import JobStatus, Role


class Tenant(models.Model):
    """An organisation using the portal. Every business row belongs to exactly one tenant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    entra_tenant_id = models.UUIDField(
        null=True, blank=True, unique=True, help_text="Microsoft Entra directory (tenant) id, when signing in with Entra ID."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class LoomUserManager(UserManager):
    pass


class User(AbstractUser):
    """A person in one tenant. Entra users are matched on (tenant, entra_object_id), never on email alone."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    entra_object_id = models.UUIDField(null=True, blank=True, help_text="The Entra `oid` claim.")
    is_finance = models.BooleanField(default=False, help_text="Finance role: sees the tenant's chargeback.")
    is_domain_owner = models.BooleanField(default=False, help_text="Domain owner role (Loom.DomainOwner).")
    is_platform_owner = models.BooleanField(
        default=False, help_text="Platform owner role: runs the back office (Django admin) for the tenant."
    )

    objects = LoomUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "entra_object_id"],
                condition=Q(entra_object_id__isnull=False),
                name="user_unique_entra_object_per_tenant",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email or self.username

    @property
    def roles(self) -> list[str]:
        """The portal roles this user holds in their tenant (consumer always)."""
        roles = [Role.CONSUMER]
        if self.is_domain_owner:
            roles.append(Role.DOMAIN_OWNER)
        if self.is_finance:
            roles.append(Role.FINANCE)
        if self.is_platform_owner:
            roles.append(Role.PLATFORM_OWNER)
        return roles


class AuditEvent(models.Model):
    """An append-only record of who did what. On PostgreSQL a trigger refuses UPDATE and DELETE."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # DO_NOTHING: the log keeps the actor id even if the user row goes (an UPDATE would be refused).
    actor = models.ForeignKey(User, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False)
    actor_repr = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only")


class Notification(models.Model):
    """A message for one user, shown in the notifications menu."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once the e-mail copy went out; the delivery task checks it under a row lock so it sends once.
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title


class JobRun(models.Model):
    """Progress of a long job (an ingest, an import, a reconciliation), shown in the UI and admin."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=100, db_index=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.RUNNING)
    progress_current = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.name} ({self.status})"

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, int(self.progress_current * 100 / self.progress_total))


class ApiToken(models.Model):
    """A personal API token for scripts. Only a hash of the secret is stored; the token is shown once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, help_text="Public part of the token, used to find it.")
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 of the secret part (high entropy: no slow hash needed).")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} (loom_pat_{self.prefix}_…)"

    @property
    def is_usable(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
