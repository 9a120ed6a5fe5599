"""Reads for domains and workspaces. Each takes the actor and owns its prefetching."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404

from domains.choices import DomainRole
from domains.models import Domain, DomainUserObjectPermission, Workspace
from loom_portal import authz


def domain_list(*, actor):
    qs = Domain.objects.select_related("parent").annotate(workspace_count=Count("workspaces", distinct=True))
    return authz.restrict(qs, actor, "domains.view_domain")


def domain_get(*, actor, slug: str | None = None, pk=None) -> Domain:
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    qs = domain_list(actor=actor).prefetch_related(
        Prefetch("workspaces", queryset=Workspace.objects.select_related("owner")),
        Prefetch(
            "user_permissions",
            queryset=DomainUserObjectPermission.objects.select_related("user", "permission").order_by(
                "user__first_name", "user__last_name"
            ),
        ),
        "children",
    )
    return get_object_or_404(qs, **lookup)


def domain_people(domain: Domain) -> dict[str, list]:
    """Owners and stewards of a domain fetched by ``domain_get`` (no extra queries)."""
    people = {DomainRole.OWNER: [], DomainRole.STEWARD: []}
    for entry in domain.user_permissions.all():
        if entry.permission.codename in people and entry.user.is_active:
            people[entry.permission.codename].append(entry.user)
    return {"owners": people[DomainRole.OWNER], "stewards": people[DomainRole.STEWARD]}


def domain_ids_for(*, actor, perm: str):
    """Ids of the domains ``actor`` may ``perm`` (for other apps' policies and filters)."""
    return authz.restrict(Domain.objects.all(), actor, perm).values("pk")


def workspace_list(*, actor):
    return authz.restrict(Workspace.objects.select_related("domain", "owner"), actor, "domains.view_workspace")


def workspace_get(*, actor, pk) -> Workspace:
    return get_object_or_404(workspace_list(actor=actor), pk=pk)


def workspace_match(*, tenant, tag_value: str) -> Workspace | None:
    """The workspace whose loomWorkspaceId matches ``tag_value`` case-insensitively (system reads, e.g. ingestion)."""
    return Workspace.objects.filter(tenant=tenant, workspace_id__iexact=(tag_value or "").strip()).first()


def domain_match(*, tenant, tag_value: str) -> Domain | None:
    """The domain whose slug, else name, matches the loomDomain tag ``tag_value`` case-insensitively (system reads)."""
    value = (tag_value or "").strip()
    if not value:
        return None
    qs = Domain.objects.filter(tenant=tenant)
    return qs.filter(slug__iexact=value).first() or qs.filter(name__iexact=value).first()


def domain_role_holders(domain: Domain, *roles: str):
    """Active users holding one of ``roles`` (DomainRole values) on ``domain`` directly: whom to notify."""
    from django.contrib.auth import get_user_model

    holders = DomainUserObjectPermission.objects.filter(content_object=domain, permission__codename__in=roles)
    return get_user_model().objects.filter(pk__in=holders.values("user"), is_active=True)
