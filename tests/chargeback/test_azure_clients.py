"""loom_portal.azure: clouds, credentials and the Cost Management client factory."""

import pytest
from azure.mgmt.costmanagement import CostManagementClient
from django.core.exceptions import ImproperlyConfigured

from loom_portal.azure import clients, clouds
from loom_portal.azure.credentials import StaticTokenCredential, azure_credential, management_base_url


def test_each_cloud_knows_its_resource_manager_and_login_hosts():
    gov = clouds.get_cloud("AzureUSGovernment")
    assert (gov.resource_manager, gov.login_host) == ("https://management.usgovcloudapi.net", "https://login.microsoftonline.us")
    assert gov.arm_scope == "https://management.usgovcloudapi.net/.default"
    assert clouds.get_cloud("AzureCloud").resource_manager == "https://management.azure.com"


def test_an_unknown_cloud_is_refused_with_the_choices_named():
    with pytest.raises(ValueError, match="AzureCloud, AzureUSGovernment"):
        clouds.get_cloud("AzureChinaCloud")


def test_the_base_url_defaults_to_the_cloud_and_plain_http_is_only_for_loopback(settings):
    settings.AZURE_MANAGEMENT_URL = ""
    assert management_base_url(clouds.AZURE_US_GOVERNMENT) == "https://management.usgovcloudapi.net"
    settings.AZURE_MANAGEMENT_URL = "http://management.example.com"
    with pytest.raises(ImproperlyConfigured, match="AZURE_MANAGEMENT_URL"):
        management_base_url(clouds.AZURE_CLOUD)


def test_a_static_token_replaces_default_azure_credential_when_configured(settings):
    settings.AZURE_STATIC_TOKEN = "t0k3n"
    credential = azure_credential("AzureCloud")
    assert isinstance(credential, StaticTokenCredential)
    assert credential.get_token("https://management.azure.com/.default").token == "t0k3n"


def test_the_cost_management_client_targets_the_scope_cloud(settings):
    settings.AZURE_MANAGEMENT_URL = ""
    settings.AZURE_STATIC_TOKEN = "t0k3n"

    class Scope:
        cloud = "AzureUSGovernment"

    client = clients.cost_management_client(Scope())
    assert isinstance(client, CostManagementClient)
    assert client._config.base_url == "https://management.usgovcloudapi.net"
    assert client._config.credential_scopes == ["https://management.usgovcloudapi.net/.default"]
