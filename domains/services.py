"""Writes for domains, workspaces and stewardship. Each records an audit event in its transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, remove_perm

from domains.choices import DomainRole
from domains.models import Domain, DomainUserObjectPermission, Workspace
from loom_portal import audit, authz
from loom_portal.choices import SensitivityLabel

# --- Domains -----------------------------------------------------------------


def _clean_domain_fields(*, tenant, name: str, parent: Domain | None, default_sensitivity: str, domain=None):
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "A domain needs a name."
    elif len(name) > 120:
        errors["name"] = "Use at most 120 characters."
    elif Domain.objects.filter(tenant=tenant, name__iexact=name).exclude(pk=getattr(domain, "pk", None)).exists():
        errors["name"] = f"A domain named {name!r} already exists."
    if default_sensitivity not in SensitivityLabel.values:
        errors["default_sensitivity"] = f"Choose one of: {', '.join(SensitivityLabel.values)}."
    if parent is not None:
        if parent.tenant_id != tenant.pk:
            errors["parent"] = "The parent domain belongs to another tenant."
        elif domain is not None and _is_descendant_or_self(parent, domain):
            errors["parent"] = "A domain cannot be placed under itself or one of its sub-domains."
    if errors:
        raise ValidationError(errors)
    return name


def _is_descendant_or_self(candidate: Domain, domain: Domain) -> bool:
    node, seen = candidate, set()
    while node is not None and node.pk not in seen:
        if node.pk == domain.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


@transaction.atomic
def domain_create(
    *,
    actor,
    name: str,
    slug: str = "",
    description: str = "",
    parent: Domain | None = None,
    entra_group_id=None,
    default_sensitivity: str = SensitivityLabel.GENERAL,
    tenant=None,
) -> Domain:
    """Create a domain in the actor's tenant (a superuser may name another tenant)."""
    if not authz.can(actor, "domains.add_domain"):
        raise PermissionError("Only platform owners create domains.")
    tenant = tenant if (tenant is not None and actor.is_superuser) else actor.tenant
    if tenant is None:
        raise ValidationError({"tenant": "Choose the tenant the domain belongs to."})
    name = _clean_domain_fields(tenant=tenant, name=name, parent=parent, default_sensitivity=default_sensitivity)
    slug = slugify(slug or name)[:80]
    if not slug:
        raise ValidationError({"slug": "The slug must contain letters or digits."})
    if Domain.objects.filter(tenant=tenant, slug=slug).exists():
        raise ValidationError({"slug": f"A domain with slug {slug!r} already exists."})
    domain = Domain.objects.create(
        tenant=tenant,
        name=name,
        slug=slug,
        description=description,
        parent=parent,
        entra_group_id=entra_group_id or None,
        default_sensitivity=default_sensitivity,
    )
    audit.record(actor=actor, action="domain.created", target=domain)
    return domain


@transaction.atomic
def domain_update(
    *,
    actor,
    domain: Domain,
    name: str,
    description: str,
    parent: Domain | None,
    entra_group_id,
    default_sensitivity: str,
) -> Domain:
    authz.require(actor, "domains.change_domain", domain)
    domain = Domain.objects.select_for_update().get(pk=domain.pk)
    name = _clean_domain_fields(
        tenant=domain.tenant, name=name, parent=parent, default_sensitivity=default_sensitivity, domain=domain
    )
    new = {
        "name": name,
        "description": description,
        "parent_id": parent.pk if parent else None,
        "entra_group_id": entra_group_id or None,
        "default_sensitivity": default_sensitivity,
    }
    changes = {k: v for k, v in new.items() if getattr(domain, k) != v}
    for field, value in changes.items():
        setattr(domain, field, value)
    domain.save(update_fields=[f.removesuffix("_id") if f == "parent_id" else f for f in changes] or None)
    audit.record(actor=actor, action="domain.updated", target=domain, data={"changes": sorted(changes)})
    return domain


@transaction.atomic
def domain_delete(*, actor, domain: Domain) -> None:
    authz.require(actor, "domains.delete_domain", domain)
    if domain.children.exists() or domain.workspaces.exists():
        raise ValidationError("Remove or move this domain's sub-domains and workspaces before deleting it.")
    audit.record(actor=actor, action="domain.deleted", target=domain, data={"slug": domain.slug})
    try:
        with transaction.atomic():
            domain.delete()
    except IntegrityError as exc:
        raise ValidationError("This domain is still referenced and cannot be deleted.") from exc


# --- Stewardship and ownership (django-guardian object permissions) ------------


def _role_perm(role: str) -> str:
    if role not in DomainRole.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(DomainRole.values)}."})
    return f"domains.{role}"


@transaction.atomic
def domain_assign_role(*, actor, domain: Domain, user, role: str) -> bool:
    """Make ``user`` a steward or owner of ``domain``. Returns False when they already were."""
    perm = _role_perm(role)
    if actor is not None:
        authz.require(actor, "domains.manage_stewards", domain)
    if user.tenant_id != domain.tenant_id:
        raise ValidationError({"user": "The user belongs to another tenant."})
    if not user.is_active:
        raise ValidationError({"user": "The user is deactivated."})
    if DomainUserObjectPermission.objects.filter(
        user=user, content_object=domain, permission__codename=role
    ).exists():
        return False
    assign_perm(perm, user, domain)
    audit.record(actor=actor, action=f"domain.{role}.assigned", target=domain, data={"user_id": user.pk, "user": str(user)})
    return True


@transaction.atomic
def domain_remove_role(*, actor, domain: Domain, user, role: str) -> bool:
    """Take a steward or owner role away. Returns False when the user did not hold it."""
    perm = _role_perm(role)
    if actor is not None:
        authz.require(actor, "domains.manage_stewards", domain)
    if not DomainUserObjectPermission.objects.filter(
        user=user, content_object=domain, permission__codename=role
    ).exists():
        return False
    remove_perm(perm, user, domain)
    audit.record(actor=actor, action=f"domain.{role}.removed", target=domain, data={"user_id": user.pk, "user": str(user)})
    return True


@transaction.atomic
def domain_roles_sync_from_groups(*, user, group_ids: set[str]) -> None:
    """At Entra sign-in: membership of a domain's Entra group makes the user its steward,
    and its owner when they also hold the domain-owner app role. Roles granted by hand stay."""
    wanted = {str(g).lower() for g in group_ids}
    for domain in Domain.objects.filter(tenant=user.tenant, entra_group_id__isnull=False):
        if str(domain.entra_group_id).lower() in wanted:
            domain_assign_role(actor=None, domain=domain, user=user, role=DomainRole.STEWARD)
            if user.is_domain_owner:
                domain_assign_role(actor=None, domain=domain, user=user, role=DomainRole.OWNER)


# --- Workspaces ----------------------------------------------------------------


def _clean_workspace_fields(*, tenant, domain: Domain, workspace_id: str, name: str, owner, workspace=None):
    errors = {}
    workspace_id = (workspace_id or "").strip()
    name = (name or "").strip()
    if not workspace_id:
        errors["workspace_id"] = "Enter the workspace's loomWorkspaceId tag value."
    elif len(workspace_id) > 100:
        errors["workspace_id"] = "Use at most 100 characters."
    elif (
        Workspace.objects.filter(tenant=tenant, workspace_id__iexact=workspace_id)
        .exclude(pk=getattr(workspace, "pk", None))
        .exists()
    ):
        errors["workspace_id"] = f"Another workspace already uses the tag value {workspace_id!r} (tags match case-insensitively)."
    if not name:
        errors["name"] = "A workspace needs a name."
    if domain is None:
        errors["domain"] = "Choose the workspace's domain."
    elif domain.tenant_id != tenant.pk:
        errors["domain"] = "The domain belongs to another tenant."
    if owner is not None and owner.tenant_id != tenant.pk:
        errors["owner"] = "The owner belongs to another tenant."
    if errors:
        raise ValidationError(errors)
    return workspace_id, name


@transaction.atomic
def workspace_create(
    *, actor, domain: Domain, workspace_id: str, name: str, cost_centre: str = "", owner=None
) -> Workspace:
    if not authz.can(actor, "domains.add_workspace"):
        raise PermissionError("Only platform owners and domain owners create workspaces.")
    if domain is not None and not actor.is_platform_owner and not actor.is_superuser:
        authz.require(actor, "domains.change_domain", domain)
    tenant = domain.tenant if domain is not None else actor.tenant
    if not actor.is_superuser and tenant.pk != actor.tenant_id:
        raise ValidationError({"domain": "The domain belongs to another tenant."})
    workspace_id, name = _clean_workspace_fields(
        tenant=tenant, domain=domain, workspace_id=workspace_id, name=name, owner=owner
    )
    workspace = Workspace.objects.create(
        tenant=tenant, domain=domain, workspace_id=workspace_id, name=name, cost_centre=cost_centre, owner=owner
    )
    audit.record(actor=actor, action="workspace.created", target=workspace)
    return workspace


@transaction.atomic
def workspace_update(
    *, actor, workspace: Workspace, domain: Domain, workspace_id: str, name: str, cost_centre: str, owner
) -> Workspace:
    authz.require(actor, "domains.change_workspace", workspace)
    if domain.pk != workspace.domain_id and not actor.is_platform_owner and not actor.is_superuser:
        authz.require(actor, "domains.change_domain", domain)
    workspace_id, name = _clean_workspace_fields(
        tenant=workspace.tenant, domain=domain, workspace_id=workspace_id, name=name, owner=owner, workspace=workspace
    )
    new = {
        "domain_id": domain.pk,
        "workspace_id": workspace_id,
        "name": name,
        "cost_centre": cost_centre,
        "owner_id": owner.pk if owner else None,
    }
    changes = {k: v for k, v in new.items() if getattr(workspace, k) != v}
    if changes:
        Workspace.objects.filter(pk=workspace.pk).update(**changes)
        workspace.refresh_from_db()
        audit.record(actor=actor, action="workspace.updated", target=workspace, data={"changes": sorted(changes)})
    return workspace


@transaction.atomic
def workspace_delete(*, actor, workspace: Workspace) -> None:
    authz.require(actor, "domains.delete_workspace", workspace)
    audit.record(actor=actor, action="workspace.deleted", target=workspace, data={"workspace_id": workspace.workspace_id})
    try:
        with transaction.atomic():
            workspace.delete()
    except IntegrityError as exc:
        raise ValidationError("This workspace is still referenced and cannot be deleted.") from exc
