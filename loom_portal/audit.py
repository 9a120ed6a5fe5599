"""Recording audit events. Called by services, inside their transaction."""

from django.db import models

from loom_portal.models import AuditEvent


def record(*, actor, action: str, target: models.Model | None = None, tenant=None, data: dict | None = None) -> AuditEvent:
    """Append one audit event. ``tenant`` defaults to the target's, then the actor's."""
    if tenant is None and target is not None:
        tenant = getattr(target, "tenant", None) if not _is_tenant(target) else target
    if tenant is None and actor is not None and getattr(actor, "is_authenticated", False):
        tenant = actor.tenant
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        tenant=tenant,
        actor=actor if is_user else None,
        actor_repr=(actor.email or actor.username) if is_user else "system",
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        data=data or {},
    )


def _is_tenant(obj) -> bool:
    return obj._meta.label == "loom_portal.Tenant"
