"""Factories for the Azure management SDK clients, configured for the deployment's cloud.

Every client gets the credential from ``credentials.azure_credential``, the
Resource Manager endpoint of its cloud (or ``settings.AZURE_MANAGEMENT_URL``),
and the throttling-aware retry policy.
"""

from __future__ import annotations

from django.conf import settings

from loom_portal.azure.clouds import Cloud, get_cloud
from loom_portal.azure.credentials import authentication_policy_for, azure_credential, management_base_url
from loom_portal.azure.retry import ThrottlingRetryPolicy


def retry_policy() -> ThrottlingRetryPolicy:
    return ThrottlingRetryPolicy(
        retry_total=getattr(settings, "AZURE_RETRY_TOTAL", 5),
        retry_backoff_factor=getattr(settings, "AZURE_RETRY_BACKOFF_FACTOR", 0.8),
        max_wait=getattr(settings, "AZURE_RETRY_MAX_WAIT", 60.0),
    )


def _cloud_of(scope_or_cloud) -> Cloud:
    if isinstance(scope_or_cloud, Cloud):
        return scope_or_cloud
    name = getattr(scope_or_cloud, "cloud", scope_or_cloud) or settings.AZURE_CLOUD
    return get_cloud(str(name))


def management_client_kwargs(scope_or_cloud=None) -> dict:
    """Keyword arguments shared by every management client: credential, base_url, scopes and policies."""
    cloud = _cloud_of(scope_or_cloud)
    credential = azure_credential(cloud)
    base_url = management_base_url(cloud)
    kwargs = {
        "credential": credential,
        "base_url": base_url,
        "credential_scopes": [cloud.arm_scope],
        "retry_policy": retry_policy(),
    }
    auth = authentication_policy_for(base_url, credential, cloud)
    if auth is not None:
        kwargs["authentication_policy"] = auth
    return kwargs


def cost_management_client(scope=None):
    """A CostManagementClient for ``scope`` (anything with a ``cloud`` attribute, a cloud name, or None)."""
    from azure.mgmt.costmanagement import CostManagementClient

    return CostManagementClient(**management_client_kwargs(scope))


def consumption_client(scope=None):
    """A ConsumptionManagementClient for ``scope`` (a CostScope, anything with a ``cloud``, a cloud name, or None).

    Budgets are addressed by their ARM ``scope`` path; the client's subscription id is
    only used by subscription-level operations, so the scope's subscription (or a nil
    GUID for management-group and billing scopes) is given.
    """
    import re

    from azure.mgmt.consumption import ConsumptionManagementClient

    match = re.match(r"^/?subscriptions/([0-9a-fA-F-]{36})", str(getattr(scope, "scope", "") or ""))
    subscription_id = match.group(1) if match else "00000000-0000-0000-0000-000000000000"
    return ConsumptionManagementClient(subscription_id=subscription_id, **management_client_kwargs(scope))


def api_management_client(scope=None):
    """An ApiManagementClient for the configured APIM instance's subscription (settings.APIM_*)."""
    from azure.mgmt.apimanagement import ApiManagementClient

    return ApiManagementClient(
        subscription_id=settings.APIM_SUBSCRIPTION_ID,
        polling_interval=getattr(settings, "APIM_POLLING_INTERVAL", 5.0),
        **management_client_kwargs(scope),
    )
