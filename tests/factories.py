"""Factories that build through the real services, so tests start from states the portal can reach."""

import itertools

from domains import services as domain_services
from domains.choices import DomainRole
from loom_portal import services
from loom_portal.models import Tenant, User

_seq = itertools.count(1)
PASSWORD = "Test-password-2026!"


def make_tenant(name: str | None = None, **kwargs) -> Tenant:
    n = next(_seq)
    return services.tenant_create(actor=None, name=name or f"Tenant {n}", slug=kwargs.pop("slug", f"tenant-{n}"), **kwargs)


def make_user(tenant: Tenant, email: str | None = None, **roles) -> User:
    n = next(_seq)
    return services.user_create(
        actor=None, tenant=tenant, email=email or f"user{n}@{tenant.slug}.example", first_name="User", last_name=str(n),
        password=PASSWORD, **roles,
    )


def make_domain(admin: User, name: str | None = None, **kwargs):
    n = next(_seq)
    return domain_services.domain_create(actor=admin, name=name or f"Domain {n}", **kwargs)


def make_workspace(admin: User, domain, workspace_id: str | None = None, **kwargs):
    n = next(_seq)
    return domain_services.workspace_create(
        actor=admin, domain=domain, workspace_id=workspace_id or f"ws-{n}", name=kwargs.pop("name", f"Workspace {n}"), **kwargs
    )


def make_steward(admin: User, domain, user: User) -> User:
    domain_services.domain_assign_role(actor=admin, domain=domain, user=user, role=DomainRole.STEWARD)
    return user


def make_owner(admin: User, domain, user: User) -> User:
    domain_services.domain_assign_role(actor=admin, domain=domain, user=user, role=DomainRole.OWNER)
    return user
