"""Domains (business areas) and Loom workspaces, with stewardship as object permissions."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from loom_portal.choices import SensitivityLabel


class Domain(models.Model):
    """A business domain (Finance, HR, Mission Ops) that owns data products and workspaces."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="domains")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    entra_group_id = models.UUIDField(
        null=True, blank=True, help_text="Members of this Entra group become stewards of the domain at sign-in."
    )
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    default_sensitivity = models.CharField(
        max_length=30, choices=SensitivityLabel.choices, default=SensitivityLabel.GENERAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("steward_domain", "Is a steward of the domain"),
            ("own_domain", "Is an owner of the domain"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="domain_unique_slug_per_tenant"),
            models.UniqueConstraint("tenant", Lower("name"), name="domain_unique_name_per_tenant"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="domain_not_own_parent"),
        ]

    def __str__(self):
        return self.name


class DomainUserObjectPermission(UserObjectPermissionBase):
    """A user's object permission (steward, owner) on a domain: a direct FK for fast policy joins."""

    content_object = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="user_permissions")

    class Meta(UserObjectPermissionBase.Meta):
        pass


class DomainGroupObjectPermission(GroupObjectPermissionBase):
    """A group's object permission on a domain."""

    content_object = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="group_permissions")

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class Workspace(models.Model):
    """A Loom workspace; ``workspace_id`` is the value of the ``loomWorkspaceId`` tag on its Azure resources."""

    tenant = models.ForeignKey("loom_portal.Tenant", on_delete=models.PROTECT, related_name="workspaces")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="workspaces")
    workspace_id = models.CharField(max_length=100, help_text="The loomWorkspaceId tag value.")
    name = models.CharField(max_length=120)
    cost_centre = models.CharField(max_length=60, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Tag values are matched case-insensitively, so they must be unique that way.
            models.UniqueConstraint("tenant", Lower("workspace_id"), name="workspace_unique_tag_per_tenant"),
        ]

    def __str__(self):
        return f"{self.name} ({self.workspace_id})"
