"""Writes for the core models. Every write records an audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from loom_portal import audit, authz
from loom_portal.choices import JobStatus
from loom_portal.models import JobRun, Notification, Tenant, User

# --- Tenants ---------------------------------------------------------------


@transaction.atomic
def tenant_create(*, actor, name: str, slug: str = "", entra_tenant_id=None) -> Tenant:
    """Create a tenant. Only deployment operators (superusers) or trusted sign-in flows (actor=None) do this."""
    if actor is not None and not actor.is_superuser:
        raise PermissionError("Only a deployment operator creates tenants.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A tenant needs a name."})
    slug = slug or slugify(name)[:80]
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A tenant with slug {slug!r} already exists."})
    if entra_tenant_id and Tenant.objects.filter(entra_tenant_id=entra_tenant_id).exists():
        raise ValidationError({"entra_tenant_id": "Another tenant already has this Entra tenant id."})
    tenant = Tenant.objects.create(name=name, slug=slug, entra_tenant_id=entra_tenant_id or None)
    audit.record(actor=actor, action="tenant.created", target=tenant, data={"entra_tenant_id": str(entra_tenant_id or "")})
    return tenant


@transaction.atomic
def tenant_update(*, actor, tenant: Tenant, name: str, is_active: bool) -> Tenant:
    authz.require(actor, "loom_portal.change_tenant", tenant)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A tenant needs a name."})
    if tenant.pk == actor.tenant_id and not is_active:
        raise ValidationError({"is_active": "You cannot deactivate your own tenant."})
    changes = {k: v for k, v in {"name": name, "is_active": is_active}.items() if getattr(tenant, k) != v}
    Tenant.objects.filter(pk=tenant.pk).update(**changes)
    tenant.refresh_from_db()
    audit.record(actor=actor, action="tenant.updated", target=tenant, data={"changes": sorted(changes)})
    return tenant


# --- Users -----------------------------------------------------------------

ROLE_FIELDS = ("is_finance", "is_domain_owner", "is_platform_owner")


@transaction.atomic
def user_create(
    *,
    actor,
    tenant: Tenant,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    is_finance: bool = False,
    is_domain_owner: bool = False,
    is_platform_owner: bool = False,
) -> User:
    """Create a local account (demo or break-glass). Platform owners create users in their own tenant."""
    if actor is not None and not actor.is_superuser:
        if not authz.can(actor, "loom_portal.add_user") or actor.tenant_id != tenant.pk:
            raise PermissionError("You cannot create users in this tenant.")
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise ValidationError({"email": "Enter a valid email address."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"A user with email {email} already exists."})
    user = User(
        tenant=tenant,
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_finance=is_finance,
        is_domain_owner=is_domain_owner,
        is_platform_owner=is_platform_owner,
        is_staff=is_platform_owner,
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(actor=actor, action="user.created", target=user, tenant=tenant, data={"roles": user.roles})
    return user


@transaction.atomic
def user_update(
    *,
    actor,
    user: User,
    first_name: str,
    last_name: str,
    is_active: bool,
    is_finance: bool,
    is_domain_owner: bool,
    is_platform_owner: bool,
) -> User:
    """Change a user's name, roles or whether they may sign in."""
    authz.require(actor, "loom_portal.change_user", user)
    if user.pk == actor.pk and (not is_active or not is_platform_owner) and not actor.is_superuser:
        raise ValidationError("You cannot remove your own platform-owner role or deactivate yourself.")
    new = {
        "first_name": first_name,
        "last_name": last_name,
        "is_active": is_active,
        "is_finance": is_finance,
        "is_domain_owner": is_domain_owner,
        "is_platform_owner": is_platform_owner,
        "is_staff": is_platform_owner or user.is_superuser,
    }
    changes = {k: v for k, v in new.items() if getattr(user, k) != v}
    if changes:
        User.objects.filter(pk=user.pk).update(**changes)
        user.refresh_from_db()
        audit.record(actor=actor, action="user.updated", target=user, data={k: changes[k] for k in sorted(changes)})
    return user


@transaction.atomic
def user_set_roles(*, actor, user: User, roles: set[str], source: str) -> User:
    """Set the tenant roles of a user from an identity provider's claims (``actor`` is None: the sign-in flow)."""
    new = {
        "is_finance": "finance" in roles,
        "is_domain_owner": "domain_owner" in roles,
        "is_platform_owner": "platform_owner" in roles,
    }
    new["is_staff"] = new["is_platform_owner"] or user.is_superuser
    changes = {k: v for k, v in new.items() if getattr(user, k) != v}
    if changes:
        User.objects.filter(pk=user.pk).update(**changes)
        user.refresh_from_db()
        audit.record(actor=actor, action="user.roles_changed", target=user, data={"source": source, **changes})
    return user


# --- Notifications -----------------------------------------------------------


def notification_send(*, recipient: User, title: str, body: str = "", url: str = "", email: bool = True) -> Notification:
    """Notify one user in the portal and, when they have an address, enqueue the e-mail copy after commit."""
    note = Notification.objects.create(tenant=recipient.tenant, recipient=recipient, title=title[:200], body=body, url=url)
    if email and recipient.email:
        from loom_portal.tasks import notification_deliver_email as deliver_task

        # robust: a broker outage must not undo or break the request that created the notification.
        transaction.on_commit(lambda: deliver_task.delay(notification_id=note.pk), robust=True)
    return note


@transaction.atomic
def notification_deliver_email(*, notification: Notification) -> bool:
    """Send the e-mail copy of a notification once. Returns False when it was already sent (or has no address).

    The row lock makes concurrent or repeated deliveries of the same notification send one mail;
    an SMTP error rolls back, leaving ``emailed_at`` empty so a retry sends it.
    """
    note = Notification.objects.select_for_update().select_related("recipient").get(pk=notification.pk)
    if note.emailed_at is not None or not note.recipient.email:
        return False
    send_mail(note.title, f"{note.body}\n\n{note.url}".strip(), None, [note.recipient.email], fail_silently=False)
    sent_at = timezone.now()
    Notification.objects.filter(pk=note.pk).update(emailed_at=sent_at)
    notification.emailed_at = sent_at
    return True


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    authz.require(actor, "loom_portal.change_notification", notification)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db()
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor) -> int:
    qs = authz.restrict(Notification.objects.all(), actor, "loom_portal.change_notification")
    return qs.filter(read_at__isnull=True).update(read_at=timezone.now())


# --- Job runs ----------------------------------------------------------------


def job_run_start(*, name: str, tenant=None, started_by=None, total: int | None = None, message: str = "") -> JobRun:
    return JobRun.objects.create(name=name, tenant=tenant, started_by=started_by, progress_total=total, message=message)


def job_run_progress(*, job_run: JobRun, advance: int = 0, total: int | None = None, message: str | None = None) -> None:
    """Record progress atomically (F()), so concurrent workers never lose an increment."""
    updates = {"progress_current": F("progress_current") + advance}
    if total is not None:
        updates["progress_total"] = total
    if message is not None:
        updates["message"] = message[:500]
    JobRun.objects.filter(pk=job_run.pk).update(**updates)


def job_run_finish(*, job_run: JobRun, error: str = "", message: str | None = None) -> JobRun:
    updates = {
        "status": JobStatus.FAILED if error else JobStatus.SUCCEEDED,
        "error": error,
        "finished_at": timezone.now(),
    }
    if message is not None:
        updates["message"] = message[:500]
    JobRun.objects.filter(pk=job_run.pk).update(**updates)
    job_run.refresh_from_db()
    return job_run
