"""The Bicep templates in infra/bicep: they parse, every module is used, every parameter and output is
described, secrets only travel as Key Vault references, nothing is public by default and the
container apps run exactly the Procfile's commands. (No Bicep CLI here: tree-sitter-bicep parses.)"""

import re

import pytest

from tests.infra import bicep
from tests.infra.processes import procfile

MODULES = bicep.BICEP_DIR / "modules"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Values that are credentials: they must reach the apps through a Key Vault secret reference.
SENSITIVE = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "OIDC_RP_CLIENT_SECRET",
    "EMAIL_HOST_PASSWORD",
    "METRICS_TOKEN",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
}


def app_environment() -> list[dict]:
    return [o for o in bicep.objects_in(bicep.variable(bicep.MAIN, "appEnvironment")) if "name" in o]


def string_list(path, name) -> set[str]:
    return {bicep.string_value(n) for n in bicep.walk(bicep.variable(path, name)) if n.type == "string"}


@pytest.mark.parametrize("path", bicep.bicep_files(), ids=lambda p: p.name)
def test_every_bicep_file_parses_without_error(path):
    assert not bicep.parse(path).has_error, bicep.syntax_errors(path)


def test_main_targets_a_resource_group():
    assert "targetScope = 'resourceGroup'" in bicep.MAIN.read_text()


def test_every_module_is_referenced_and_every_reference_exists():
    referenced = {p for path in bicep.bicep_files() for p in bicep.module_paths(path)}

    assert all(p.is_file() for p in referenced), sorted(str(p) for p in referenced if not p.is_file())
    assert set(MODULES.glob("*.bicep")) == referenced


@pytest.mark.parametrize("path", bicep.bicep_files(), ids=lambda p: p.name)
def test_every_parameter_and_output_is_described(path):
    root = bicep.parse(path)
    declarations = bicep.named(root, "parameter_declaration") + bicep.named(root, "output_declaration")

    undescribed = [bicep.identifier(d) for d in declarations if "description" not in bicep.decorators_of(d)]
    assert not undescribed


@pytest.mark.parametrize("path", bicep.bicep_files() + bicep.param_files(), ids=lambda p: p.name)
def test_no_subscription_or_tenant_id_is_hard_coded(path):
    """The only GUIDs allowed are built-in role definition ids, each named by a *RoleId variable."""
    role_ids = set()
    if path.suffix == ".bicep":
        for declaration in bicep.named(bicep.parse(path), "variable_declaration"):
            if bicep.identifier(declaration).endswith("RoleId"):
                role_ids.add(bicep.string_value(declaration.children[-1]))

    assert set(GUID.findall(path.read_text())) <= role_ids


@pytest.mark.parametrize("path", bicep.bicep_files(), ids=lambda p: p.name)
def test_resources_use_stable_api_versions(path):
    for declaration in bicep.named(bicep.parse(path), "resource_declaration"):
        type_string = next(c for c in declaration.children if c.type == "string")
        resource_type = bicep.string_value(type_string)
        assert re.fullmatch(r"Microsoft\.[A-Za-z]+(/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}", resource_type), (
            resource_type
        )


def test_the_container_apps_run_the_procfile_commands():
    processes = bicep.object_properties(bicep.variable(MODULES / "containerApps.bicep", "processes"))
    release = bicep.variable(MODULES / "migrationJob.bicep", "releaseCommand")
    commands = procfile()

    assert {name: bicep.string_value(node) for name, node in processes.items()} == {
        name: commands[name] for name in ("web", "worker", "beat")
    }
    assert bicep.string_value(release) == commands["release"]


def test_the_three_apps_share_one_image_and_one_environment():
    text = (MODULES / "containerApps.bicep").read_text()

    assert text.count("image: image") == 3
    assert text.count("env: environmentVariables") == 3
    assert text.count("secrets: secrets") == 3


def test_beat_runs_exactly_one_replica():
    beat = next(
        d for d in bicep.named(bicep.parse(MODULES / "containerApps.bicep"), "resource_declaration")
        if bicep.identifier(d) == "beat"
    )  # fmt: skip
    scale = next(o for o in bicep.objects_in(beat) if "minReplicas" in o)

    assert (scale["minReplicas"].text.decode(), scale["maxReplicas"].text.decode()) == ("1", "1")


def test_credentials_reach_the_apps_only_as_secret_references():
    entries = {bicep.string_value(o["name"]): o for o in app_environment()}

    for name in SENSITIVE:
        assert "secretRef" in entries[name] and "value" not in entries[name], name


def test_every_container_app_secret_is_a_key_vault_reference():
    secrets = bicep.objects_in(bicep.variable(bicep.MAIN, "appSecrets"))

    assert secrets and all(set(s) == {"name", "keyVaultUrl", "identity"} for s in secrets)


def test_every_secret_reference_names_a_secret_written_to_key_vault():
    written = string_list(MODULES / "secrets.bicep", "secretNames")
    referenced_by_main = string_list(bicep.MAIN, "secretNames")
    secret_refs = {bicep.string_value(o["secretRef"]) for o in app_environment() if "secretRef" in o}
    scale_refs = {
        bicep.string_value(o["secretRef"])
        for o in bicep.objects_in(bicep.parse(MODULES / "containerApps.bicep"))
        if "secretRef" in o
    }

    assert referenced_by_main == written
    assert secret_refs | scale_refs <= written


def test_public_network_access_is_off_by_default():
    params = {bicep.identifier(d): d for d in bicep.named(bicep.parse(bicep.MAIN), "parameter_declaration")}

    assert params["internalEnvironment"].children[-1].text.decode() == "true"
    assert bicep.string_value(params["keyVaultPublicNetworkAccess"].children[-1]) == "Disabled"
    for module in ("redis.bicep", "postgres.bicep"):
        assert "publicNetworkAccess: 'Disabled'" in (MODULES / module).read_text(), module
    for module in ("redis.bicep", "keyVault.bicep"):
        assert "Microsoft.Network/privateEndpoints@" in (MODULES / module).read_text(), module


def test_the_identity_gets_the_four_least_privilege_roles():
    roles = {
        "roleCostManagementReader.bicep": "72fafb9e-0641-4937-9268-a91bfd8191a3",  # Cost Management Reader
        "roleApimContributor.bicep": "312a565d-c81f-4fd8-895a-4e21e48d571c",  # API Management Service Contributor
        "keyVault.bicep": "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
        "roleCosmosDataContributor.bicep": "00000000-0000-0000-0000-000000000002",  # Cosmos DB data contributor
    }

    for module, role_id in roles.items():
        assert role_id in (MODULES / module).read_text(), module
    assert "scope: apim" in (MODULES / "roleApimContributor.bicep").read_text()
    assert "scope: vault" in (MODULES / "keyVault.bicep").read_text()


def test_resource_names_follow_one_convention():
    names = bicep.object_properties(bicep.variable(bicep.MAIN, "names"))

    for key, node in names.items():
        assert re.match(r"^(take\()?'[a-z]+-\$\{baseName\}", node.text.decode()), (key, node.text.decode())
