"""Signing people in from Microsoft Entra ID claims (called by loom_portal.auth.oidc).

Users are matched on (tenant, oid), never on email alone. A tenant is created on
first sign-in only when its Entra id is on ENTRA_ALLOWED_TENANT_IDS. Entra app
roles map to portal roles on every sign-in; other apps add their own mapping
(e.g. domain stewardship from group claims) through LOOM_SIGN_IN_HOOKS.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from loom_portal import audit, services
from loom_portal.choices import ENTRA_APP_ROLES
from loom_portal.models import Tenant, User


class SignInRefused(Exception):
    """Sign-in is refused; ``message`` is safe to show the person, ``code`` goes to the audit log."""

    def __init__(self, code: str, message: str, *, tenant: Tenant | None = None, detail: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.tenant = tenant
        self.detail = detail


def _uuid_claim(claims: dict, name: str) -> uuid.UUID:
    value = claims.get(name)
    if not value:
        raise SignInRefused("missing_claims", f"Your sign-in token has no '{name}' claim, so you cannot be identified.")
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise SignInRefused("malformed_claims", f"Your sign-in token's '{name}' claim is not a valid identifier.") from None


def _email_from(claims: dict) -> str:
    for key in ("email", "preferred_username", "upn"):
        value = (claims.get(key) or "").strip().lower()
        if "@" in value:
            return value
    return ""


def portal_roles_from(claims: dict) -> set[str]:
    return {ENTRA_APP_ROLES[role] for role in claims.get("roles") or [] if role in ENTRA_APP_ROLES}


def _allowed_tenant_ids() -> set[str]:
    return {value.strip().lower() for value in settings.ENTRA_ALLOWED_TENANT_IDS if value.strip()}


@transaction.atomic
def entra_sign_in(*, claims: dict) -> User:
    """Find or create the user for verified ID-token claims; raise SignInRefused when they may not sign in."""
    tid = _uuid_claim(claims, "tid")
    oid = _uuid_claim(claims, "oid")

    tenant = _tenant_for(tid, claims)
    if not tenant.is_active:
        raise SignInRefused("tenant_disabled", "Your organisation's access to this portal is suspended.", tenant=tenant)

    email = _email_from(claims)
    user = User.objects.select_for_update().filter(tenant=tenant, entra_object_id=oid).first()
    if user is None:
        user = _user_create(tenant=tenant, oid=oid, email=email, claims=claims)
    if not user.is_active:
        raise SignInRefused("user_disabled", "Your account is disabled. Contact your platform owner.", tenant=tenant)
    updates = {
        k: v
        for k, v in {
            "email": email or user.email,
            "first_name": (claims.get("given_name") or user.first_name)[:150],
            "last_name": (claims.get("family_name") or user.last_name)[:150],
        }.items()
        if getattr(user, k) != v
    }
    if updates:
        User.objects.filter(pk=user.pk).update(**updates)
        user.refresh_from_db()

    services.user_set_roles(actor=None, user=user, roles=portal_roles_from(claims), source="entra")
    groups = {str(g) for g in claims.get("groups") or []}
    for hook in getattr(settings, "LOOM_SIGN_IN_HOOKS", []):
        import_string(hook)(user=user, group_ids=groups)
    audit.record(actor=user, action="user.signed_in", target=user, data={"method": "entra"})
    return user


def _tenant_for(tid: uuid.UUID, claims: dict) -> Tenant:
    tenant = Tenant.objects.filter(entra_tenant_id=tid).first()
    if tenant is not None:
        return tenant
    if str(tid) not in _allowed_tenant_ids():
        raise SignInRefused(
            "unknown_tenant",
            "Your organisation is not registered with this portal. Ask your platform owner to add it.",
            detail=str(tid),
        )
    try:
        with transaction.atomic():
            return services.tenant_create(
                actor=None,
                name=claims.get("tenant_name") or f"Entra tenant {str(tid)[:8]}",
                slug=f"entra-{tid}",
                entra_tenant_id=tid,
            )
    except (IntegrityError, ValidationError):
        # Another person of the same organisation signed in for the first time at the same moment.
        tenant = Tenant.objects.filter(entra_tenant_id=tid).first()
        if tenant is None:
            raise
        return tenant


def _user_create(*, tenant: Tenant, oid: uuid.UUID, email: str, claims: dict) -> User:
    try:
        with transaction.atomic():
            user = User.objects.create(
                tenant=tenant,
                entra_object_id=oid,
                username=f"entra-{tenant.entra_tenant_id}-{oid}",
                email=email,
                first_name=(claims.get("given_name") or "")[:150],
                last_name=(claims.get("family_name") or "")[:150],
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            audit.record(actor=None, action="user.created_from_entra", target=user, tenant=tenant)
            return user
    except IntegrityError:
        # The same person finished signing in in another window at the same moment.
        return User.objects.select_for_update().get(tenant=tenant, entra_object_id=oid)


def sign_in_refused(*, refusal: SignInRefused) -> None:
    """Record a refused sign-in in the audit log (outside the failed transaction)."""
    audit.record(
        actor=None,
        action="user.sign_in_refused",
        tenant=refusal.tenant,
        data={"method": "entra", "code": refusal.code, "detail": refusal.detail[:500]},
    )
