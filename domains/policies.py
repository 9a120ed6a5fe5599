"""Authorization rules for domains and workspaces (see loom_portal.authz)."""

from django.db.models import Q

from domains.choices import DomainRole
from domains.models import Domain, DomainGroupObjectPermission, DomainUserObjectPermission, Workspace
from loom_portal import authz


def domains_where(actor, *roles: str):
    """Subquery of the ids of domains on which ``actor`` holds one of ``roles`` (directly or through a group)."""
    codenames = list(roles)
    direct = DomainUserObjectPermission.objects.filter(user=actor, permission__codename__in=codenames)
    via_group = DomainGroupObjectPermission.objects.filter(group__user=actor, permission__codename__in=codenames)
    return direct.values("content_object").union(via_group.values("content_object"))


def _owned(actor, field="pk"):
    return Q(**{f"{field}__in": domains_where(actor, DomainRole.OWNER)})


@authz.register("domains.view_domain", model=Domain)
def _view_domain(actor):
    return authz.ALL


@authz.register("domains.add_domain")
def _add_domain(actor):
    return actor.is_platform_owner


@authz.register("domains.change_domain", model=Domain, visible_via="domains.view_domain")
def _change_domain(actor):
    return authz.ALL if actor.is_platform_owner else _owned(actor)


@authz.register("domains.delete_domain", model=Domain, visible_via="domains.view_domain")
def _delete_domain(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("domains.manage_stewards", model=Domain, visible_via="domains.view_domain")
def _manage_stewards(actor):
    return authz.ALL if actor.is_platform_owner else _owned(actor)


@authz.register("domains.steward_domain", model=Domain, visible_via="domains.view_domain")
def _steward_domain(actor):
    """Stewards and owners work the domain's queue."""
    return Q(pk__in=domains_where(actor, DomainRole.STEWARD, DomainRole.OWNER))


@authz.register("domains.view_workspace", model=Workspace)
def _view_workspace(actor):
    return authz.ALL


@authz.register("domains.add_workspace")
def _add_workspace(actor):
    return actor.is_platform_owner or actor.is_domain_owner


@authz.register("domains.change_workspace", model=Workspace, visible_via="domains.view_workspace")
def _change_workspace(actor):
    return authz.ALL if actor.is_platform_owner else _owned(actor, "domain")


@authz.register("domains.delete_workspace", model=Workspace, visible_via="domains.view_workspace")
def _delete_workspace(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING
