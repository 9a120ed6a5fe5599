"""The one place that knows each Azure cloud's endpoints (DESIGN.md §5).

Pure data, no Django: settings and clients both read it. A deployment may still
point clients at another host with ``settings.AZURE_MANAGEMENT_URL`` (tests use
it for loopback doubles).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str
    resource_manager: str  # Azure Resource Manager endpoint (no trailing slash)
    login_host: str  # Microsoft Entra ID authority host

    @property
    def arm_scope(self) -> str:
        """The OAuth scope for Resource Manager tokens."""
        return f"{self.resource_manager}/.default"


AZURE_CLOUD = Cloud("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com")
AZURE_US_GOVERNMENT = Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us")

CLOUDS: dict[str, Cloud] = {c.name: c for c in (AZURE_CLOUD, AZURE_US_GOVERNMENT)}


def get_cloud(name: str) -> Cloud:
    """The cloud called ``name`` (AzureCloud or AzureUSGovernment); ValueError names the choices otherwise."""
    try:
        return CLOUDS[name]
    except KeyError:
        raise ValueError(f"Unknown Azure cloud {name!r}: expected one of {', '.join(CLOUDS)}.") from None
