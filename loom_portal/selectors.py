"""Reads for the core models. Every selector takes the actor and fails closed through authz."""

from django.shortcuts import get_object_or_404

from loom_portal import authz
from loom_portal.models import AuditEvent, JobRun, Notification, Tenant, User


def tenant_list(*, actor):
    return authz.restrict(Tenant.objects.all(), actor, "loom_portal.view_tenant")


def user_list(*, actor):
    return authz.restrict(User.objects.select_related("tenant"), actor, "loom_portal.view_user")


def user_get(*, actor, pk) -> User:
    return get_object_or_404(user_list(actor=actor), pk=pk)


def audit_event_list(*, actor):
    return authz.restrict(AuditEvent.objects.select_related("tenant"), actor, "loom_portal.view_auditevent")


def notification_list(*, actor, unread_only: bool = False):
    qs = authz.restrict(Notification.objects.all(), actor, "loom_portal.view_notification")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notification_get(*, actor, pk) -> Notification:
    return get_object_or_404(notification_list(actor=actor), pk=pk)


def job_run_list(*, actor):
    return authz.restrict(JobRun.objects.all(), actor, "loom_portal.view_jobrun")
