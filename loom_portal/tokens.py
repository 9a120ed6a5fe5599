"""Personal API tokens: ``loom_pat_<prefix>_<secret>``, stored as prefix + SHA-256 of the secret."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from loom_portal import audit, authz
from loom_portal.models import ApiToken

TOKEN_PREFIX = "loom_pat_"
MAX_LIFETIME_DAYS = 365


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor, name: str, lifetime_days: int | None = 90) -> IssuedToken:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name so you can recognise it later."})
    if len(name) > 100:
        raise ValidationError({"name": "Use at most 100 characters."})
    if lifetime_days is not None and not (1 <= lifetime_days <= MAX_LIFETIME_DAYS):
        raise ValidationError({"lifetime_days": f"Choose between 1 and {MAX_LIFETIME_DAYS} days."})
    if actor.tenant_id is None:
        raise ValidationError("Only members of a tenant create API tokens.")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        tenant=actor.tenant,
        user=actor,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        expires_at=timezone.now() + timedelta(days=lifetime_days) if lifetime_days else None,
    )
    audit.record(actor=actor, action="api_token.created", target=token)
    return IssuedToken(token=token, plaintext=f"{TOKEN_PREFIX}{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    authz.require(actor, "loom_portal.change_apitoken", token)
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        token.refresh_from_db()
        audit.record(actor=actor, action="api_token.revoked", target=token)
    return token


def api_token_authenticate(plaintext: str):
    """The active user behind a token, or None. Records last use at most once a minute."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = plaintext[len(TOKEN_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    token = ApiToken.objects.select_related("user", "user__tenant").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)) or not token.is_usable:
        return None
    user = token.user
    if not user.is_active or user.tenant_id != token.tenant_id or (user.tenant and not user.tenant.is_active):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


def api_token_list(*, actor):
    return authz.restrict(ApiToken.objects.all(), actor, "loom_portal.view_apitoken")
