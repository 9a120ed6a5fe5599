"""Every environment variable loom_portal/settings.py reads in production is set on the container
apps (infra/bicep/main.bicep, appEnvironment), and every variable the apps set is read by someone.

When settings.py starts reading a new variable, either set it in appEnvironment or add it to
NOT_SET_IN_PRODUCTION below with the reason its default is right in production."""

import ast
from pathlib import Path

from tests.infra import bicep

SETTINGS = Path(__file__).resolve().parents[2] / "loom_portal" / "settings.py"

# Read by settings.py, deliberately left to its default in production.
NOT_SET_IN_PRODUCTION = {
    "DEBUG": "defaults to False when LOOM_ENV=production",
    "OIDC_ENABLED": "derived from OIDC_RP_CLIENT_ID",
    "OIDC_VERIFY_KID": "True by default; only the local test issuer turns it off",
    "OIDC_TIMEOUT": "15 s default",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "derived from AZURE_CLOUD and ENTRA_TENANT_ID",
    "OIDC_OP_TOKEN_ENDPOINT": "derived from AZURE_CLOUD and ENTRA_TENANT_ID",
    "OIDC_OP_JWKS_ENDPOINT": "derived from AZURE_CLOUD and ENTRA_TENANT_ID",
    "OIDC_OP_USER_ENDPOINT": "unused with Entra ID (claims come from the ID token)",
    "OIDC_OP_ISSUER": "derived from AZURE_CLOUD",
    "AZURE_MANAGEMENT_URL": "derived from AZURE_CLOUD; tests point it at loopback doubles",
    "AZURE_STATIC_TOKEN": "tests only: production authenticates with the managed identity",
    "AZURE_RETRY_TOTAL": "default retry policy",
    "AZURE_RETRY_BACKOFF_FACTOR": "default retry policy",
    "AZURE_RETRY_MAX_WAIT": "default retry policy",
    "CHARGEBACK_RESTATEMENT_DAYS": "3-day default matches Cost Management restatement",
    "EMAIL_FILE_PATH": "only read by the file e-mail backend (development)",
    "EMAIL_TIMEOUT": "30 s default",
    "SECURE_SSL_REDIRECT": "True in production",
    "SECURE_HSTS_SECONDS": "one year in production",
    "LOOM_RLS_PRINCIPAL_PREFIX": "loom_user_ default; tests use a per-session prefix",
    "ACCESS_REQUEST_SLA_HOURS": "48 h default reminder",
    "GRANT_RECERTIFY_DAYS": "90-day recertification default",
    "GRANT_AUTO_REVOKE_UNUSED_DAYS": "off by default; a tenant policy decision",
    "DATA_API_MAX_CSV_ROWS": "one million rows per CSV download by default",
    "CHARGEBACK_FOCUS_STORAGE_CONNECTION_STRING": "production reads FOCUS exports with the managed identity",
    "COSMOS_KEY": "production writes listings with the managed identity (Cosmos DB data contributor)",
    "COSMOS_LISTINGS_CONTAINER": "marketplace-listings, the Loom Console's container",
    "COSMOS_CONNECTION_VERIFY": "certificate checks stay on in production (settings refuse otherwise)",
    "APIM_POLLING_INTERVAL": "5 s default between polls of an API Management OpenAPI import",
}

# Set on the apps but read by a process rather than by settings.py.
READ_OUTSIDE_SETTINGS = {
    "AZURE_CLIENT_ID": "azure-identity: DefaultAzureCredential picks the user-assigned identity",
    "WEB_CONCURRENCY": "Procfile web: gunicorn --workers",
    "CELERY_WORKER_CONCURRENCY": "Procfile worker: celery --concurrency",
}

_ENV_METHODS = {
    "str",
    "bool",
    "int",
    "float",
    "list",
    "tuple",
    "dict",
    "json",
    "url",
    "db_url",
    "cache_url",
    "path",
}


def settings_reads() -> set[str]:
    """Names settings.py reads: env("X"), env.<type>("X"), os.environ["X"], os.environ.get("X"), os.getenv("X")."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            is_env = (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "env"
                and func.attr in _ENV_METHODS
            )
            is_os = isinstance(func, ast.Attribute) and (
                (func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os")
                or (func.attr == "get" and ast.unparse(func.value) == "os.environ")
            )
            if is_env or is_os:
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def bicep_sets() -> set[str]:
    objects = bicep.objects_in(bicep.variable(bicep.MAIN, "appEnvironment"))
    return {bicep.string_value(o["name"]) for o in objects if "name" in o}


def test_the_settings_reader_finds_the_reads_it_should():
    reads = settings_reads()

    assert {
        "LOOM_ENV",
        "SECRET_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "LOG_FORMAT",
        "METRICS_TOKEN",
    } <= reads


def test_every_variable_settings_reads_in_production_is_set_on_the_apps():
    missing = settings_reads() - bicep_sets() - set(NOT_SET_IN_PRODUCTION)

    assert not missing, (
        f"set these in infra/bicep/main.bicep appEnvironment (or explain them here): {sorted(missing)}"
    )


def test_every_variable_set_on_the_apps_is_read():
    unread = bicep_sets() - settings_reads() - set(READ_OUTSIDE_SETTINGS)

    assert not unread, f"nothing reads these: {sorted(unread)}"


def test_the_exceptions_name_only_variables_settings_really_reads():
    assert set(NOT_SET_IN_PRODUCTION) <= settings_reads()
    assert not set(NOT_SET_IN_PRODUCTION) & bicep_sets()


def test_the_test_only_static_token_is_never_set_in_production():
    assert "AZURE_STATIC_TOKEN" not in bicep_sets()
    assert "AZURE_STATIC_TOKEN" not in bicep.MAIN.read_text()
