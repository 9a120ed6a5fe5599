"""Microsoft Entra ID sign-in on top of mozilla-django-oidc.

The library checks only the signature and alg and matches users by email. We
also verify ``aud``, ``iss`` (per tenant) and ``tid``, read the identity from
the ID token's claims, and hand them to ``loom_portal.identity``, which matches
on (tenant, oid). A refusal is remembered on the request so the callback view
can show the person why.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from loom_portal import identity

log = logging.getLogger(__name__)


class EntraIDBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        if not settings.OIDC_ENABLED or request is None or "code" not in request.GET:
            return None  # not an OIDC callback: leave it to the other backends
        try:
            return super().authenticate(request, **kwargs)
        except identity.SignInRefused as refusal:
            self._refuse(request, refusal)
        except (SuspiciousOperation, jwt.PyJWTError) as exc:
            self._refuse(request, identity.SignInRefused("token_invalid", "Your sign-in token could not be verified.", detail=str(exc)))
        except requests.RequestException as exc:
            self._refuse(
                request,
                identity.SignInRefused("provider_unreachable", "The identity provider could not be reached. Try again.", detail=str(exc)),
            )
        return None

    def get_token(self, payload):
        try:
            return super().get_token(payload)
        except requests.HTTPError as exc:
            response = exc.response
            if response is None or response.status_code >= 500:
                raise
            raise identity.SignInRefused(
                "code_rejected",
                "The identity provider did not accept this sign-in. Start again.",
                detail=f"{response.status_code} {_oauth_error(response)}",
            ) from None

    def get_user(self, user_id):
        # The library's get_user skips Django's is_active check: a user disabled while
        # signed in would stay signed in. Keep ModelBackend's behaviour.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _refuse(self, request, refusal):
        log.warning("Entra sign-in refused: %s (%s)", refusal.code, refusal.detail)
        identity.sign_in_refused(refusal=refusal)
        request.loom_sign_in_refusal = refusal

    def verify_token(self, token, **kwargs):
        try:
            payload = super().verify_token(token, **kwargs)
        except jwt.ExpiredSignatureError:
            raise identity.SignInRefused("token_expired", "Your sign-in token has expired. Sign in again.") from None
        self._verify_entra_claims(payload)
        return payload

    def _verify_entra_claims(self, payload):
        aud = payload.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise identity.SignInRefused("wrong_audience", "Your sign-in token was issued for another application.", detail=str(aud))
        tid = payload.get("tid")
        if not tid:
            raise identity.SignInRefused("missing_claims", "Your sign-in token has no 'tid' claim, so you cannot be identified.")
        expected_issuer = settings.OIDC_OP_ISSUER.replace("{tid}", str(tid))
        if payload.get("iss") != expected_issuer:
            raise identity.SignInRefused(
                "wrong_issuer", "Your sign-in token comes from an unexpected issuer.", detail=f"{payload.get('iss')} != {expected_issuer}"
            )
        allowed = settings.ENTRA_ALLOWED_TENANT_IDS
        if settings.ENTRA_TENANT_ID not in ("organizations", "common") and not allowed:
            # A single-tenant app: the token's tenant must be the configured one.
            if str(tid).lower() != settings.ENTRA_TENANT_ID.lower():
                raise identity.SignInRefused("unknown_tenant", "Your organisation is not registered with this portal.", detail=str(tid))

    def get_userinfo(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            # The user info endpoint may add claims but never change who the user is.
            extra = super().get_userinfo(access_token, id_token, payload)
            claims.update({k: v for k, v in extra.items() if k not in ("oid", "tid", "sub", "iss", "aud")})
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        return identity.entra_sign_in(claims=self.get_userinfo(access_token, id_token, payload))

    def filter_users_by_claims(self, claims):  # never used: matching is on (tid, oid) in identity
        return self.UserModel.objects.none()


def _oauth_error(response) -> str:
    """The OAuth error of a token endpoint response (RFC 6749 §5.2), e.g. "invalid_grant: AADSTS70008 ..."."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, dict):
        return str(body)[:300]
    return ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))[:300]
