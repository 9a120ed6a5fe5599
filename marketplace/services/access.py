"""Access requests: a consumer asks, stewards (and for Highly Confidential products a domain owner) decide.

requested → approved | denied | withdrawn. Approval creates the Grant and enqueues ``grant_apply`` after
commit. Every decision locks the request row first, so two stewards approving at the same moment produce
one grant: the second finds the request already decided.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from domains.choices import DomainRole
from domains.selectors import domain_role_holders
from loom_portal import audit, authz
from loom_portal.choices import SensitivityLabel
from loom_portal.services import notification_send
from marketplace import serving
from marketplace.choices import AccessRequestStatus, ApprovalStep, ProductRole, ProductStatus
from marketplace.models import AccessApproval, AccessRequest, DataProduct, Grant, ProductUserObjectPermission

#: The longest a grant may last, by the product's sensitivity label.
MAX_GRANT_DAYS = {
    SensitivityLabel.PUBLIC: 365,
    SensitivityLabel.GENERAL: 365,
    SensitivityLabel.CONFIDENTIAL: 180,
    SensitivityLabel.HIGHLY_CONFIDENTIAL: 90,
}
MAX_SCOPE_VALUES = 100


def max_grant_days(product: DataProduct) -> int:
    return MAX_GRANT_DAYS.get(product.sensitivity, 90)


# --- Validation ----------------------------------------------------------------------------------------


def clean_scope(product: DataProduct, scope) -> dict[str, list[str]]:
    """The scope as {column: sorted distinct values}; errors name the column. {} means all rows."""
    if scope in (None, ""):
        scope = {}
    if not isinstance(scope, dict):
        raise ValidationError({"scope": "Give the scope as an object: {column: [allowed values]}."})
    scopable = [c.name for c in product.columns.all() if c.is_scopable]
    cleaned: dict[str, list[str]] = {}
    for column, values in scope.items():
        if column not in scopable:
            hint = f"scopable columns are {', '.join(scopable)}" if scopable else "this product has no scopable column"
            raise ValidationError({"scope": f"Column {column!r} cannot scope access: {hint}."})
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list | tuple):
            raise ValidationError({"scope": f"Column {column!r}: give a list of allowed values."})
        distinct = sorted({str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip()})
        if len(distinct) != len({str(v).strip() for v in values}) or not distinct:
            raise ValidationError({"scope": f"Column {column!r}: give at least one non-empty text value."})
        if len(distinct) > MAX_SCOPE_VALUES or any(len(v) > 256 or "\x00" in v for v in distinct):
            raise ValidationError(
                {"scope": f"Column {column!r}: at most {MAX_SCOPE_VALUES} values of at most 256 characters."}
            )
        cleaned[column] = distinct
    if not cleaned and scopable and not product.all_rows_requestable:
        raise ValidationError(
            {"scope": f"{product.name} does not grant all rows: choose values for one of {', '.join(scopable)}."}
        )
    return cleaned


def _clean_duration(product: DataProduct, duration_days) -> int:
    limit = max_grant_days(product)
    try:
        days = int(duration_days)
    except (TypeError, ValueError):
        raise ValidationError({"duration_days": "Give the duration as a whole number of days."}) from None
    if not 1 <= days <= limit:
        label = product.get_sensitivity_display()
        raise ValidationError({"duration_days": f"Choose between 1 and {limit} days ({label} products)."})
    return days


# --- People to tell ----------------------------------------------------------------------------------------


def reviewers(product: DataProduct):
    """Who works this product's queue: its owners and stewards, and its domain's owners and stewards."""
    on_product = ProductUserObjectPermission.objects.filter(
        content_object=product, permission__codename__in=[ProductRole.OWNER, ProductRole.STEWARD]
    ).values("user")
    on_domain = domain_role_holders(product.domain, DomainRole.STEWARD, DomainRole.OWNER).values("pk")
    return get_user_model().objects.filter(Q(pk__in=on_product) | Q(pk__in=on_domain), is_active=True)


def _notify(users, *, title: str, body: str, url: str, exclude=None) -> None:
    for user in users:
        if exclude is None or user.pk != exclude.pk:
            notification_send(recipient=user, title=title, body=body, url=url)


def _queue_url() -> str:
    return reverse("access_queue")


def _my_access_url() -> str:
    return reverse("my_access")


# --- Requests --------------------------------------------------------------------------------------------


@transaction.atomic
def access_request_create(*, actor, product: DataProduct, purpose: str, scope=None, duration_days) -> AccessRequest:
    """Ask for ``scope`` of ``product`` for ``duration_days``. Stewards are notified."""
    authz.require(actor, "marketplace.request_access", product)
    purpose = " ".join((purpose or "").split())
    if len(purpose) < 10:
        raise ValidationError({"purpose": "Say what you need the data for (at least 10 characters)."})
    if len(purpose) > 2000:
        raise ValidationError({"purpose": "Keep the purpose under 2,000 characters."})
    cleaned_scope = clean_scope(product, scope)
    days = _clean_duration(product, duration_days)
    if AccessRequest.objects.filter(product=product, requester=actor, status=AccessRequestStatus.REQUESTED).exists():
        raise ValidationError({"product": f"You already have an open request for {product.name}."})
    try:
        with transaction.atomic():
            request = AccessRequest.objects.create(
                tenant=product.tenant, product=product, requester=actor, purpose=purpose, scope=cleaned_scope,
                duration_days=days, approvals_required=2 if product.is_highly_confidential else 1,
            )
    except IntegrityError:  # a concurrent identical request won the race
        raise ValidationError({"product": f"You already have an open request for {product.name}."}) from None
    audit.record(actor=actor, action="access_request.created", target=request,
                 data={"product": product.slug, "scope": cleaned_scope, "duration_days": days})
    _notify(reviewers(product), exclude=actor, title=f"Access request for {product.name}",
            body=f"{actor} asks for {request.scope_display} for {days} days: {purpose}", url=_queue_url())
    return request


def _locked(request: AccessRequest) -> AccessRequest:
    return AccessRequest.objects.select_for_update().select_related("product__domain", "requester").get(pk=request.pk)


def _require_open(request: AccessRequest) -> None:
    if request.status != AccessRequestStatus.REQUESTED:
        raise ValidationError(
            {"status": f"Request #{request.pk} is already {request.get_status_display().lower()}; nothing changed."}
        )


def next_step(request: AccessRequest) -> str | None:
    """The approval step still missing (steward first, then domain owner), or None when complete."""
    given = {a.step for a in request.approvals.all()}
    if ApprovalStep.STEWARD not in given:
        return ApprovalStep.STEWARD
    if request.approvals_required == 2 and ApprovalStep.DOMAIN_OWNER not in given:
        return ApprovalStep.DOMAIN_OWNER
    return None


@transaction.atomic
def access_request_approve(*, actor, request: AccessRequest, note: str = "") -> AccessRequest:
    """Give the next approval step. The last step approves the request and creates its grant."""
    authz.require(actor, "marketplace.review_accessrequest", request)
    request = _locked(request)
    _require_open(request)
    if request.requester_id == actor.pk:
        raise PermissionError("Nobody approves their own request.")
    step = next_step(request)
    if step == ApprovalStep.DOMAIN_OWNER:
        if not authz.can(actor, "domains.change_domain", request.product.domain):
            raise PermissionError("The second approval of a Highly Confidential request belongs to a domain owner.")
        if request.approvals.filter(approver=actor).exists():
            raise ValidationError({"status": "The two approvals must come from two different people."})
    AccessApproval.objects.create(request=request, step=step, approver=actor, note=(note or "").strip()[:2000])
    audit.record(actor=actor, action="access_request.approval_given", target=request, data={"step": step})
    if next_step(request) is not None:
        _notify(
            domain_role_holders(request.product.domain, DomainRole.OWNER), exclude=actor,
            title=f"Second approval needed: {request.product.name}",
            body=f"{actor} approved {request.requester}'s request; a domain owner must approve it too.",
            url=_queue_url(),
        )
        return request
    request.status = AccessRequestStatus.APPROVED
    request.decided_by, request.decided_at, request.decision_reason = actor, timezone.now(), (note or "").strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    grant = _grant_create(request)
    audit.record(actor=actor, action="access_request.approved", target=request, data={"grant_id": grant.pk})
    notification_send(recipient=request.requester, title=f"Access to {request.product.name} approved",
                      body=f"{actor} approved {request.scope_display} until {grant.expires_at:%Y-%m-%d}.",
                      url=_my_access_url())
    return request


def _grant_create(request: AccessRequest) -> Grant:
    product = request.product
    target = serving.target_for(product)
    grant = Grant.objects.create(
        tenant=request.tenant, product=product, request=request, grantee=request.requester,
        principal=serving.principal_for(request.requester), engine=target.engine if target else "",
        scope=request.scope, expires_at=timezone.now() + timedelta(days=request.duration_days),
    )
    audit.record(actor=None, action="grant.created", target=grant, data={"request_id": request.pk})
    from marketplace.tasks import grant_apply

    transaction.on_commit(lambda: grant_apply.delay(grant_id=grant.pk), robust=True)
    return grant


@transaction.atomic
def access_request_deny(*, actor, request: AccessRequest, reason: str) -> AccessRequest:
    authz.require(actor, "marketplace.review_accessrequest", request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the request is denied; the requester sees it."})
    request = _locked(request)
    _require_open(request)
    request.status = AccessRequestStatus.DENIED
    request.decided_by, request.decided_at, request.decision_reason = actor, timezone.now(), reason[:2000]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record(actor=actor, action="access_request.denied", target=request, data={"reason": reason[:500]})
    notification_send(recipient=request.requester, title=f"Access to {request.product.name} denied",
                      body=f"{actor}: {reason}", url=_my_access_url())
    return request


@transaction.atomic
def access_request_withdraw(*, actor, request: AccessRequest) -> AccessRequest:
    authz.require(actor, "marketplace.withdraw_accessrequest", request)
    request = _locked(request)
    _require_open(request)
    request.status = AccessRequestStatus.WITHDRAWN
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(actor=actor, action="access_request.withdrawn", target=request)
    return request


def access_requests_decide(*, actor, requests, approve: bool, reason: str = "") -> tuple[int, list[str]]:
    """Bulk approve or deny from the queue: each request in its own transaction; returns (done, errors)."""
    done, errors = 0, []
    for request in requests:
        try:
            if approve:
                access_request_approve(actor=actor, request=request, note=reason)
            else:
                access_request_deny(actor=actor, request=request, reason=reason)
            done += 1
        except ValidationError as error:
            errors.append(f"#{request.pk}: {' '.join(m for msgs in error.message_dict.values() for m in msgs)}")
        except (PermissionError, PermissionDenied, Http404) as error:
            errors.append(f"#{request.pk}: {error or 'you may not decide this request'}")
    return done, errors


def access_requests_remind(*, now=None) -> int:
    """Remind reviewers of requests waiting past the SLA, once per request. Returns how many were reminded."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.ACCESS_REQUEST_SLA_HOURS)
    reminded = 0
    overdue = AccessRequest.objects.filter(
        status=AccessRequestStatus.REQUESTED, created_at__lte=cutoff, reminded_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in overdue:
        with transaction.atomic():
            request = AccessRequest.objects.select_for_update().select_related("product__domain").get(pk=pk)
            if request.reminded_at is not None or request.status != AccessRequestStatus.REQUESTED:
                continue
            request.reminded_at = now
            request.save(update_fields=["reminded_at"])
            _notify(reviewers(request.product), exclude=request.requester,
                    title=f"Waiting over {settings.ACCESS_REQUEST_SLA_HOURS} h: {request.product.name}",
                    body=f"{request.requester}'s request #{request.pk} still needs a decision.", url=_queue_url())
            audit.record(actor=None, action="access_request.reminded", target=request)
            reminded += 1
    return reminded


def product_status_allows_requests(product: DataProduct) -> bool:
    return product.status == ProductStatus.PUBLISHED
