"""The one credential factory (DESIGN.md §5).

Production uses DefaultAzureCredential (managed identity, workload identity,
environment, Azure CLI) against the configured cloud's authority. When
``settings.AZURE_STATIC_TOKEN`` is set (tests, loopback doubles) a static-token
credential is used instead, so nothing tries to reach a login host.

``StaticAuthorizationPolicy`` sets the ``Authorization`` header itself. azure-core's
bearer policy refuses plain-http URLs ("Bearer token authentication is not
permitted for non-TLS protected URLs"), so clients pointed at a plain-http
loopback double use this policy; it refuses any non-loopback plain-http host so a
real token never travels unencrypted.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.policies import SansIOHTTPPolicy
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from loom_portal.azure.clouds import Cloud, get_cloud

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class StaticTokenCredential:
    """A TokenCredential that always returns the same token (tests and loopback doubles only)."""

    def __init__(self, token: str, *, lifetime_seconds: int = 3600):
        if not token:
            raise ImproperlyConfigured("AZURE_STATIC_TOKEN: the static token is empty.")
        self._token = token
        self._lifetime = lifetime_seconds

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + self._lifetime)

    def get_token_info(self, *scopes, options=None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, int(time.time()) + self._lifetime)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def azure_credential(cloud: Cloud | str | None = None):
    """The credential for ``cloud`` (default settings.AZURE_CLOUD)."""
    static = getattr(settings, "AZURE_STATIC_TOKEN", "")
    if static:
        return StaticTokenCredential(static)
    cloud = cloud if isinstance(cloud, Cloud) else get_cloud(cloud or settings.AZURE_CLOUD)
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(authority=cloud.login_host)


class StaticAuthorizationPolicy(SansIOHTTPPolicy):
    """Sets ``Authorization: Bearer <token>`` from ``credential`` on every request, http or https."""

    def __init__(self, credential, *scopes: str):
        super().__init__()
        self._credential = credential
        self._scopes = scopes

    def on_request(self, request):
        url = request.http_request.url
        parts = urlsplit(url)
        if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
            raise ImproperlyConfigured(f"Refusing to send an Azure token over plain http to {parts.hostname}.")
        token = self._credential.get_token(*self._scopes)
        request.http_request.headers["Authorization"] = f"Bearer {token.token}"


def management_base_url(cloud: Cloud) -> str:
    """settings.AZURE_MANAGEMENT_URL when set, otherwise the cloud's Resource Manager endpoint."""
    override = (getattr(settings, "AZURE_MANAGEMENT_URL", "") or "").rstrip("/")
    base_url = override or cloud.resource_manager
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"AZURE_MANAGEMENT_URL: expected an http(s) URL, got {base_url!r}.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ImproperlyConfigured("AZURE_MANAGEMENT_URL: plain http is allowed only for loopback test doubles.")
    return base_url


def authentication_policy_for(base_url: str, credential, cloud: Cloud):
    """None (the SDK's own ARM bearer policy) for https; the static header policy for loopback http."""
    if urlsplit(base_url).scheme == "https":
        return None
    return StaticAuthorizationPolicy(credential, cloud.arm_scope)
