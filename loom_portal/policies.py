"""Authorization rules for the core models (see loom_portal.authz)."""

from django.db.models import Q

from loom_portal import authz
from loom_portal.models import ApiToken, AuditEvent, JobRun, Notification, Tenant, User


def is_platform_owner(actor) -> bool:
    return actor.is_platform_owner


@authz.register("loom_portal.access_admin")
def _access_admin(actor):
    return actor.is_platform_owner


@authz.register("loom_portal.view_tenant", model=Tenant, tenant_field="pk")
def _view_tenant(actor):
    return authz.ALL


@authz.register("loom_portal.change_tenant", model=Tenant, tenant_field="pk", visible_via="loom_portal.view_tenant")
def _change_tenant(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("loom_portal.view_user", model=User)
def _view_user(actor):
    # Every member sees the people of their tenant (owners, stewards, requesters).
    return authz.ALL


@authz.register("loom_portal.change_user", model=User, visible_via="loom_portal.view_user")
def _change_user(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("loom_portal.add_user")
def _add_user(actor):
    return actor.is_platform_owner


@authz.register("loom_portal.view_auditevent", model=AuditEvent)
def _view_auditevent(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("loom_portal.view_notification", model=Notification)
def _view_notification(actor):
    return Q(recipient=actor)


@authz.register("loom_portal.change_notification", model=Notification, visible_via="loom_portal.view_notification")
def _change_notification(actor):
    return Q(recipient=actor)


@authz.register("loom_portal.view_jobrun", model=JobRun)
def _view_jobrun(actor):
    if actor.is_platform_owner:
        return authz.ALL
    if actor.is_finance:
        return Q(name__startswith="chargeback.") | Q(started_by=actor)
    return Q(started_by=actor)


@authz.register("loom_portal.add_tenant")
def _add_tenant(actor):
    return False  # only superusers (who pass every rule) create tenants


@authz.register("loom_portal.view_apitoken", model=ApiToken)
def _view_apitoken(actor):
    return Q(user=actor)


@authz.register("loom_portal.change_apitoken", model=ApiToken, visible_via="loom_portal.view_apitoken")
def _change_apitoken(actor):
    return Q(user=actor)
