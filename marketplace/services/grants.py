"""Grants: applied by the RLS engine, verified as the consumer, ended by revoke or expiry, kept in sync.

pending → active → expired | revoked, or pending → failed when the engine did not enforce the scope.
``grant_apply`` and ``grant_unapply`` run in Celery (``acks_late``): each locks the grant row, does its engine
work (idempotent: entitlement rows are deleted and rewritten by grant id) and changes state once, so a worker
killed half way leaves the grant as it was and the redelivered task finishes it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from loom_portal import audit, authz
from loom_portal.services import job_run_finish, job_run_start, notification_send
from marketplace import serving
from marketplace.choices import LIVE_GRANT_STATUSES, GrantStatus
from marketplace.models import ApiKey, Grant, ProductUsageDaily
from marketplace.rls import Probe, ScopeError
from marketplace.rls.base import entitlements_for
from marketplace.services.access import max_grant_days, reviewers

ENDED_STATUSES = (GrantStatus.EXPIRED, GrantStatus.REVOKED)


def _locked(grant_id: int) -> Grant:
    return Grant.objects.select_for_update().select_related("product__domain", "grantee").get(pk=grant_id)


def _my_access_url() -> str:
    return reverse("my_access")


def _tell_reviewers(grant: Grant, title: str, body: str) -> None:
    for user in reviewers(grant.product):
        notification_send(recipient=user, title=title, body=body, url=reverse("grant_detail", args=[grant.pk]))


def _on_commit_subscription_sync(grant: Grant) -> None:
    """Keep the grant's APIM subscription in step (only when the product is published to APIM)."""
    if not hasattr(grant.product, "api_publication"):
        return
    try:
        from marketplace.apim.tasks import api_subscription_sync
    except ImportError:  # APIM publishing not installed in this build
        return
    transaction.on_commit(lambda: api_subscription_sync.delay(grant_id=grant.pk), robust=True)


def _other_live_specs(grant: Grant, target) -> tuple:
    """The principal's other active grants on the same product (rows they allow are legitimately visible)."""
    others = Grant.objects.filter(product=grant.product, principal=grant.principal, status=GrantStatus.ACTIVE).exclude(
        pk=grant.pk
    )
    return tuple(serving.grant_spec(other, target) for other in others)


# --- Apply, verify, unapply (Celery) ------------------------------------------------------------------


@transaction.atomic
def grant_apply(*, grant_id: int) -> Grant:
    """Write the grant's entitlements, verify them as the consumer, and activate it (or mark it failed)."""
    grant = _locked(grant_id)
    if grant.status != GrantStatus.PENDING or grant.apply_sql:
        return grant  # already applied, ended, or waiting for a DBA: nothing to do (idempotent)
    target = serving.target_for(grant.product)
    if target is None:
        grant.status_reason = (
            "No row-level engine serves this product: give access in the source system, then confirm here."
        )
        grant.save(update_fields=["status_reason"])
        audit.record(actor=None, action="grant.awaiting_confirmation", target=grant)
        _tell_reviewers(grant, f"Confirm access to {grant.product.name}", grant.status_reason)
        return grant
    spec = serving.grant_spec(grant, target)
    if not target.connected:
        with serving.engine(target) as rls:
            grant.apply_sql = rls.sql_for(spec)
        grant.status_reason = f"Awaiting a DBA: run this SQL on the {target.engine} warehouse, then confirm."
        grant.save(update_fields=["apply_sql", "status_reason"])
        audit.record(actor=None, action="grant.awaiting_dba", target=grant, data={"engine": target.engine})
        _tell_reviewers(grant, f"SQL to run for {grant.product.name}", grant.status_reason)
        return grant

    try:
        with serving.engine(target) as rls:
            serving.ensure_protected(rls, target, grant.principal)
            rls.apply(spec)
            result = rls.verify(spec, Probe(other_grants=_other_live_specs(grant, target)))
            if not result.ok:
                rls.revoke(spec)  # fail closed: a grant that does not match its scope shows nothing
    except serving.ServingUnavailable:
        raise  # transient: the task retries; the grant stays pending
    except psycopg.OperationalError as error:
        raise serving.ServingUnavailable(str(error)) from error
    except (ScopeError, psycopg.Error, serving.ServingError) as error:
        return _fail(grant, f"The engine refused the grant: {error}")

    if not result.ok:
        return _fail(grant, f"Verification failed: {result.reason}")
    now = timezone.now()
    grant.status, grant.status_reason = GrantStatus.ACTIVE, result.reason
    grant.engine_applied, grant.activated_at, grant.verified_at = True, now, now
    grant.save(update_fields=["status", "status_reason", "engine_applied", "activated_at", "verified_at"])
    audit.record(actor=None, action="grant.activated", target=grant,
                 data={"engine": target.engine, "rows_seen": result.rows_seen})
    notification_send(recipient=grant.grantee, title=f"Access to {grant.product.name} is active",
                      body=f"{grant.scope_display}, until {grant.expires_at:%Y-%m-%d}. Create an API key to use it.",
                      url=_my_access_url())
    _on_commit_subscription_sync(grant)
    return grant


def _fail(grant: Grant, reason: str) -> Grant:
    grant.status, grant.status_reason, grant.engine_applied = GrantStatus.FAILED, reason[:2000], False
    grant.save(update_fields=["status", "status_reason", "engine_applied"])
    audit.record(actor=None, action="grant.failed", target=grant, data={"reason": reason[:500]})
    _tell_reviewers(grant, f"Grant for {grant.product.name} failed", reason)
    notification_send(recipient=grant.grantee, title=f"Access to {grant.product.name} could not be applied",
                      body="The stewards have been told.", url=_my_access_url())
    return grant


@transaction.atomic
def grant_unapply(*, grant_id: int) -> Grant:
    """Remove an ended grant's entitlement rows from the engine (idempotent)."""
    grant = _locked(grant_id)
    if grant.status not in ENDED_STATUSES or not grant.engine_applied:
        return grant
    target = serving.target_for(grant.product)
    if target is not None and target.connected:
        try:
            with serving.engine(target) as rls:
                rls.revoke(serving.grant_spec(grant, target))
        except psycopg.OperationalError as error:
            raise serving.ServingUnavailable(str(error)) from error
    grant.engine_applied = False
    grant.save(update_fields=["engine_applied"])
    audit.record(actor=None, action="grant.unapplied", target=grant)
    return grant


def _end(grant: Grant, *, status: str, actor, reason: str) -> Grant:
    now = timezone.now()
    grant.status, grant.ended_at, grant.status_reason = status, now, reason[:2000]
    grant.ended_by = actor if getattr(actor, "is_authenticated", False) else None
    if grant.apply_sql and grant.engine not in ("postgres", "embedded"):
        # The warehouse holds what a DBA applied: tell them what to run to take it away.
        target = serving.target_for(grant.product)
        if target is not None:
            with serving.engine(target) as rls:
                grant.apply_sql = rls.revoke_sql(serving.grant_spec(grant, target))
    grant.save(update_fields=["status", "ended_at", "status_reason", "ended_by", "apply_sql"])
    ApiKey.objects.filter(grant=grant, revoked_at__isnull=True).update(revoked_at=now)
    from marketplace.tasks import grant_unapply as unapply_task

    if grant.engine_applied:
        transaction.on_commit(lambda: unapply_task.delay(grant_id=grant.pk), robust=True)
    _on_commit_subscription_sync(grant)
    return grant


# --- Steward and consumer actions ------------------------------------------------------------------------


@transaction.atomic
def grant_revoke(*, actor, grant: Grant, reason: str = "") -> Grant:
    """End a live grant now: stewards (a reason is required) or the consumer giving it up."""
    is_steward = authz.can(actor, "marketplace.manage_grant", grant)
    if not is_steward:
        authz.require(actor, "marketplace.relinquish_grant", grant)
    reason = (reason or "").strip()
    if is_steward and grant.grantee_id != actor.pk and not reason:
        raise ValidationError({"reason": "Say why the grant is revoked; the consumer sees it."})
    grant = _locked(grant.pk)
    if grant.status not in LIVE_GRANT_STATUSES:
        raise ValidationError({"status": f"Grant #{grant.pk} is already {grant.get_status_display().lower()}."})
    _end(grant, status=GrantStatus.REVOKED, actor=actor, reason=reason or "Given up by the consumer.")
    audit.record(actor=actor, action="grant.revoked", target=grant, data={"reason": reason[:500]})
    if grant.grantee_id != actor.pk:
        notification_send(recipient=grant.grantee, title=f"Access to {grant.product.name} revoked",
                          body=f"{actor}: {reason}", url=_my_access_url())
    return grant


@transaction.atomic
def grant_renew(*, actor, grant: Grant, days: int) -> Grant:
    """Extend a live grant by ``days`` from its current expiry (never past the label's maximum from today)."""
    authz.require(actor, "marketplace.manage_grant", grant)
    grant = _locked(grant.pk)
    if grant.status not in (GrantStatus.ACTIVE, GrantStatus.PENDING):
        raise ValidationError({"status": f"Only active or pending grants are renewed; #{grant.pk} is {grant.status}."})
    limit = max_grant_days(grant.product)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": "Give a whole number of days."}) from None
    if not 1 <= days <= limit:
        raise ValidationError({"days": f"Choose between 1 and {limit} days."})
    now = timezone.now()
    new_expiry = min(max(grant.expires_at, now) + timedelta(days=days), now + timedelta(days=limit))
    before = grant.expires_at
    grant.expires_at = new_expiry
    grant.save(update_fields=["expires_at"])
    audit.record(actor=actor, action="grant.renewed", target=grant,
                 data={"from": before.isoformat(), "to": new_expiry.isoformat()})
    notification_send(recipient=grant.grantee, title=f"Access to {grant.product.name} renewed",
                      body=f"Now until {new_expiry:%Y-%m-%d}.", url=_my_access_url())
    return grant


@transaction.atomic
def grant_confirm_applied(*, actor, grant: Grant) -> Grant:
    """A steward confirms that a DBA ran the SQL (or access was given by hand): the grant becomes active."""
    authz.require(actor, "marketplace.manage_grant", grant)
    grant = _locked(grant.pk)
    if grant.status != GrantStatus.PENDING or grant.engine in ("postgres", "embedded"):
        raise ValidationError({"status": "Only grants waiting for a DBA or a manual step are confirmed by hand."})
    now = timezone.now()
    grant.status, grant.activated_at, grant.engine_applied = GrantStatus.ACTIVE, now, bool(grant.apply_sql)
    grant.status_reason = f"Confirmed applied by {actor}."
    grant.save(update_fields=["status", "activated_at", "engine_applied", "status_reason"])
    audit.record(actor=actor, action="grant.activated", target=grant, data={"confirmed_by_hand": True})
    notification_send(recipient=grant.grantee, title=f"Access to {grant.product.name} is active",
                      body=f"{grant.scope_display}, until {grant.expires_at:%Y-%m-%d}.", url=_my_access_url())
    _on_commit_subscription_sync(grant)
    return grant


@transaction.atomic
def grant_recertify(*, actor, grant: Grant) -> Grant:
    """A steward confirms the consumer still needs the grant."""
    authz.require(actor, "marketplace.manage_grant", grant)
    grant = _locked(grant.pk)
    if grant.status != GrantStatus.ACTIVE:
        raise ValidationError({"status": "Only active grants are recertified."})
    grant.recertified_at, grant.recertification_requested_at = timezone.now(), None
    grant.save(update_fields=["recertified_at", "recertification_requested_at"])
    audit.record(actor=actor, action="grant.recertified", target=grant)
    return grant


# --- Beat jobs --------------------------------------------------------------------------------------------


def grants_expire(*, now=None) -> int:
    """End every live grant past its expiry (each in its own transaction). Returns how many ended."""
    now = now or timezone.now()
    ended = 0
    for pk in Grant.objects.filter(status__in=LIVE_GRANT_STATUSES, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            grant = _locked(pk)
            if grant.status not in LIVE_GRANT_STATUSES or grant.expires_at > now:
                continue
            _end(grant, status=GrantStatus.EXPIRED, actor=None, reason="Expired.")
            audit.record(actor=None, action="grant.expired", target=grant)
            notification_send(recipient=grant.grantee, title=f"Access to {grant.product.name} expired",
                              body="Request it again if you still need it.", url=_my_access_url())
            ended += 1
    return ended


def grants_recertify(*, now=None) -> dict:
    """Ask stewards to confirm grants older than GRANT_RECERTIFY_DAYS (once per round), and revoke grants
    unused for GRANT_AUTO_REVOKE_UNUSED_DAYS when that policy is on."""
    now = now or timezone.now()
    asked = revoked = 0
    unused_days = settings.GRANT_AUTO_REVOKE_UNUSED_DAYS
    if unused_days > 0:
        cutoff = now - timedelta(days=unused_days)
        stale = Grant.objects.filter(status=GrantStatus.ACTIVE, activated_at__lte=cutoff).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff)
        )
        for pk in stale.values_list("pk", flat=True):
            with transaction.atomic():
                grant = _locked(pk)
                if grant.status != GrantStatus.ACTIVE:
                    continue
                reason = f"No data-API call in {unused_days} days (automatic revocation policy)."
                _end(grant, status=GrantStatus.REVOKED, actor=None, reason=reason)
                audit.record(actor=None, action="grant.revoked", target=grant, data={"reason": reason, "policy": True})
                notification_send(recipient=grant.grantee, title=f"Access to {grant.product.name} revoked",
                                  body=reason, url=_my_access_url())
                revoked += 1
    due = now - timedelta(days=settings.GRANT_RECERTIFY_DAYS)
    waiting = Grant.objects.filter(status=GrantStatus.ACTIVE, recertification_requested_at__isnull=True).filter(
        Q(recertified_at__lte=due) | Q(recertified_at__isnull=True, activated_at__lte=due)
    )
    for pk in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            grant = _locked(pk)
            if grant.recertification_requested_at is not None or grant.status != GrantStatus.ACTIVE:
                continue
            grant.recertification_requested_at = now
            grant.save(update_fields=["recertification_requested_at"])
            used = f"last used {grant.last_used_at:%Y-%m-%d}" if grant.last_used_at else "never used"
            _tell_reviewers(grant, f"Recertify {grant.grantee}'s access to {grant.product.name}",
                            f"Confirm or revoke ({used}).")
            audit.record(actor=None, action="grant.recertification_requested", target=grant)
            asked += 1
    return {"asked": asked, "revoked": revoked}


@dataclass
class ReconcileReport:
    checked: int = 0
    repaired: int = 0
    removed: int = 0
    errors: list[str] | None = None


def grants_reconcile() -> ReconcileReport:
    """Compare the portal's grants with each connected engine's entitlement rows and repair drift: rewrite
    active grants whose rows differ, delete rows of ended or unknown grants. Each repair is an audit event;
    each tenant's run is a JobRun (shown in the back office)."""
    total = ReconcileReport(errors=[])
    by_tenant: dict = {}
    live = Grant.objects.filter(engine__in=("postgres", "embedded")).filter(
        Q(status=GrantStatus.ACTIVE) | Q(engine_applied=True)
    ).select_related("product", "tenant")
    for grant in live:
        target = serving.target_for(grant.product)
        if target is None or not target.connected:
            continue
        targets = by_tenant.setdefault(grant.tenant, {})
        targets.setdefault((target.engine, target.url, target.table), (target, []))[1].append(grant)
    for tenant, targets in by_tenant.items():
        report = ReconcileReport(errors=[])
        job = job_run_start(name="grants_reconcile", tenant=tenant)
        for target, grants in targets.values():
            try:
                with serving.engine(target) as rls:
                    _reconcile_target(rls, target, grants, report)
            except (psycopg.Error, serving.ServingError, ScopeError) as error:
                report.errors.append(f"{target.table.key}: {error}")
        job_run_finish(job_run=job, error="; ".join(report.errors)[:2000],
                       message=f"{report.checked} grants checked, {report.repaired} repaired, {report.removed} removed")
        total.checked += report.checked
        total.repaired += report.repaired
        total.removed += report.removed
        total.errors.extend(report.errors)
    return total


def _reconcile_target(rls, target, grants, report: ReconcileReport) -> None:
    known = {g.pk for g in grants}
    for grant in grants:
        report.checked += 1
        spec = serving.grant_spec(grant, target)
        actual = rls.entitlements(grant.pk)
        if grant.status == GrantStatus.ACTIVE:
            expected = set(entitlements_for(spec))
            if actual != expected:
                serving.ensure_protected(rls, target, grant.principal)
                rls.apply(spec)
                with transaction.atomic():
                    audit.record(actor=None, action="grant.repaired", target=grant,
                                 data={"missing": len(expected - actual), "unexpected": len(actual - expected)})
                report.repaired += 1
        elif actual or grant.engine_applied:
            rls.revoke(spec)
            with transaction.atomic():
                Grant.objects.filter(pk=grant.pk).update(engine_applied=False)
                audit.record(actor=None, action="grant.repaired", target=grant,
                             data={"removed_rows": len(actual), "status": grant.status})
            report.removed += int(bool(actual))
    for grant_id in serving.entitlement_grant_ids(rls, target) - known:
        # Rows for a grant the portal does not hold live on this table (deleted, ended, or written by hand).
        grant = Grant.objects.filter(pk=grant_id).first()
        if grant is not None and grant.status == GrantStatus.ACTIVE and grant.product.source_table == target.table.table:
            continue
        rls.revoke(serving.spec_for_removal(grant_id, target))
        with transaction.atomic():
            audit.record(actor=None, action="grant.orphan_entitlements_removed", tenant=grant.tenant if grant else None,
                         target=grant, data={"grant_id": grant_id, "table": target.table.key})
        report.removed += 1


# --- API keys ------------------------------------------------------------------------------------------

KEY_PREFIX = "loom_key_"


def _hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    plaintext: str  # shown once


def _issue(grant: Grant, user, name: str) -> IssuedKey:
    for _ in range(5):
        prefix = secrets.token_hex(4)
        plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(tenant=grant.tenant, grant=grant, user=user, name=name, prefix=prefix,
                                            key_hash=_hash_key(plaintext))
            return IssuedKey(key, plaintext)
        except IntegrityError:
            continue
    raise RuntimeError("Could not issue a unique API key prefix.")


@transaction.atomic
def api_key_create(*, actor, grant: Grant, name: str = "") -> IssuedKey:
    """A data-API key for the consumer's own active grant; the plaintext is returned once, a hash is stored."""
    authz.require(actor, "marketplace.view_grant", grant)
    if grant.grantee_id != actor.pk:
        raise PermissionError("Only the consumer the grant belongs to creates its keys.")
    grant = _locked(grant.pk)
    if grant.status != GrantStatus.ACTIVE or grant.expires_at <= timezone.now():
        raise ValidationError({"grant": f"Grant #{grant.pk} is not active: keys need an active grant."})
    name = " ".join((name or "").split())[:100] or f"Key for {grant.product.name}"
    issued = _issue(grant, actor, name)
    audit.record(actor=actor, action="api_key.created", target=issued.key, data={"grant_id": grant.pk,
                                                                                   "prefix": issued.key.prefix})
    return issued


@transaction.atomic
def api_key_rotate(*, actor, key: ApiKey) -> IssuedKey:
    """Replace a key by a new one (same name and grant); the old one stops working now."""
    authz.require(actor, "marketplace.change_apikey", key)
    key = ApiKey.objects.select_for_update().select_related("grant").get(pk=key.pk)
    if key.revoked_at is not None:
        raise ValidationError({"key": "This key is revoked; create a new one."})
    if key.grant.status != GrantStatus.ACTIVE:
        raise ValidationError({"grant": "The grant is no longer active."})
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    issued = _issue(key.grant, actor, key.name)
    audit.record(actor=actor, action="api_key.rotated", target=issued.key, data={"replaces": key.prefix})
    return issued


@transaction.atomic
def api_key_revoke(*, actor, key: ApiKey) -> ApiKey:
    authz.require(actor, "marketplace.change_apikey", key)
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    if updated:
        audit.record(actor=actor, action="api_key.revoked", target=key)
    return key


def api_key_lookup(plaintext: str) -> ApiKey | None:
    """The key whose hash matches ``plaintext`` (revoked or not), with its grant and user; None if unknown."""
    if not plaintext or not plaintext.startswith(KEY_PREFIX) or len(plaintext) > 200:
        return None
    return (
        ApiKey.objects.select_related("grant__product", "user", "user__tenant")
        .filter(key_hash=_hash_key(plaintext))
        .first()
    )


def api_key_grant_is_live(key: ApiKey) -> bool:
    return key.grant.status == GrantStatus.ACTIVE and key.grant.expires_at > timezone.now()


def api_key_authenticate(plaintext: str) -> ApiKey | None:
    """The live key for ``plaintext`` (not revoked, its grant active and unexpired, its user active), or None."""
    key = api_key_lookup(plaintext)
    if key is None or key.revoked_at is not None or not key.user.is_active or not api_key_grant_is_live(key):
        return None
    return key


# --- Usage -------------------------------------------------------------------------------------------------


def usage_record(*, grant: Grant, rows: int, key: ApiKey | None = None) -> None:
    """Count one data-API call (atomic increments: concurrent calls never lose one)."""
    now = timezone.now()
    day = now.date()
    increments = {"api_calls": F("api_calls") + 1, "rows_returned": F("rows_returned") + rows}
    with transaction.atomic():
        match = ProductUsageDaily.objects.filter(product_id=grant.product_id, user_id=grant.grantee_id, day=day)
        if not match.update(**increments):
            try:
                with transaction.atomic():
                    ProductUsageDaily.objects.create(tenant_id=grant.tenant_id, product_id=grant.product_id,
                                                     user_id=grant.grantee_id, day=day, api_calls=1, rows_returned=rows)
            except IntegrityError:
                match.update(**increments)
        Grant.objects.filter(pk=grant.pk).update(last_used_at=now)
        if key is not None:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
