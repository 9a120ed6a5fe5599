"""Settings for Loom Portal, read from the environment (django-environ).

The embedded default (no environment at all) is the demo: SQLite and Celery in
eager mode. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and
LOOM_ENV=production. A malformed DATABASE_URL or CELERY_BROKER_URL stops
start-up with one line that names the setting (see loom_portal.config).
"""

from pathlib import Path

import environ

from loom_portal import observability
from loom_portal.config import ConfigError, parse_broker_url, parse_database_url, parse_serving_databases

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

LOOM_ENV = env.str("LOOM_ENV", default="development")
PRODUCTION = LOOM_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ConfigError("SECRET_KEY: set a random value of at least 50 characters in production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-loom-portal-key-change-me-0123456789abcdefghij")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "graphene_django",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "mozilla_django_oidc",
    "loom_portal",
    "domains",
    "marketplace",
    "chargeback",
    "devportal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "loom_portal.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "loom_portal.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "loom_portal.urls"
WSGI_APPLICATION = "loom_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "loom_portal.context_processors.portal",
                "marketplace.context_processors.access_nav",
            ],
        },
    },
]

# --- Data stores ---------------------------------------------------------
DATABASES = {
    "default": parse_database_url(
        env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        setting="DATABASE_URL",
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: unset broker = eager (the embedded demo) -----------------------
CELERY_BROKER_URL = parse_broker_url(env.str("CELERY_BROKER_URL", default=""), setting="CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# The queue tasks go to and workers read (`celery -A loom_portal worker -Q <name>`).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Periodic jobs: the DatabaseScheduler copies these into django-celery-beat's tables at start-up, where
# platform owners can pause or reschedule them in the admin.
CELERY_BEAT_SCHEDULE = {
    "grants-expire": {"task": "marketplace.grants_expire", "schedule": 300.0},
    "grants-reconcile": {"task": "marketplace.grants_reconcile", "schedule": 3600.0},
    "grants-recertify": {"task": "marketplace.grants_recertify", "schedule": 86400.0},
    "access-requests-remind": {"task": "marketplace.access_requests_remind", "schedule": 3600.0},
    "apim-reconcile": {"task": "marketplace.apim_reconcile", "schedule": 900.0},
    "catalog-changes-prune": {"task": "marketplace.catalog_changes_prune", "schedule": 86400.0},
}

# --- Access: serving databases, RLS principals, request and grant policy ----
# Where products' data is served from, by the name products give as their source database:
# "finance=postgres://owner:pw@host:5432/finance,hr=sqlite:///path/to/folder". The URL's user must own the
# protected tables (it writes entitlements and runs consumers' queries after SET ROLE). The embedded demo
# serves its sample tables from SQLite files in .cache/serving.
SERVING_DATABASES = parse_serving_databases(
    env.str(
        "LOOM_SERVING_DATABASES",
        default=f"finance=sqlite:///{BASE_DIR / '.cache' / 'serving'}" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "",
    ),
    setting="LOOM_SERVING_DATABASES",
)
# Consumers' database roles are this prefix plus the user's id.
RLS_PRINCIPAL_PREFIX = env.str("LOOM_RLS_PRINCIPAL_PREFIX", default="loom_user_")
ACCESS_REQUEST_SLA_HOURS = env.int("ACCESS_REQUEST_SLA_HOURS", default=48)
GRANT_RECERTIFY_DAYS = env.int("GRANT_RECERTIFY_DAYS", default=90)
# Grants unused (no data-API call) for this many days are revoked by grants_recertify; 0 turns it off.
GRANT_AUTO_REVOKE_UNUSED_DAYS = env.int("GRANT_AUTO_REVOKE_UNUSED_DAYS", default=0)
DATA_API_MAX_PAGE = 1000
DATA_API_MAX_CSV_ROWS = env.int("DATA_API_MAX_CSV_ROWS", default=1_000_000)

# --- Auth ------------------------------------------------------------------
AUTH_USER_MODEL = "loom_portal.User"
AUTHENTICATION_BACKENDS = [
    "loom_portal.auth.oidc.EntraIDBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-guardian: object permissions live in direct-FK tables (see domains.models)
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-allauth: local accounts (demo and break-glass). No self sign-up.
ACCOUNT_ADAPTER = "loom_portal.auth.allauth.LoomAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Loom Portal"

# --- Entra ID (mozilla-django-oidc) -------------------------------------------
AZURE_CLOUD = env.str("AZURE_CLOUD", default="AzureCloud")
ENTRA_TENANT_ID = env.str("ENTRA_TENANT_ID", default="organizations")
# Entra tenant ids whose users may sign in; a tenant is created on first sign-in
# only when its id is on this list.
ENTRA_ALLOWED_TENANT_IDS = env.list("ENTRA_ALLOWED_TENANT_IDS", default=[])
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=bool(env.str("OIDC_RP_CLIENT_ID", default="")))
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_VERIFY_KID = env.bool("OIDC_VERIFY_KID", default=True)
# Seconds to wait for the token and JWKS endpoints (the library waits forever by default).
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=15)
# Endpoint defaults derive from the cloud (loom_portal.azure.clouds); each can be overridden.
_login_host = {"AzureCloud": "https://login.microsoftonline.com", "AzureUSGovernment": "https://login.microsoftonline.us"}.get(
    AZURE_CLOUD
)
if _login_host is None:
    raise ConfigError("AZURE_CLOUD: expected AzureCloud or AzureUSGovernment, got " + repr(AZURE_CLOUD))
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str(
    "OIDC_OP_AUTHORIZATION_ENDPOINT", default=f"{_login_host}/{ENTRA_TENANT_ID}/oauth2/v2.0/authorize"
)
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default=f"{_login_host}/{ENTRA_TENANT_ID}/oauth2/v2.0/token")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default=f"{_login_host}/{ENTRA_TENANT_ID}/discovery/v2.0/keys")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
# The expected issuer; "{tid}" is replaced by the token's tenant id (multi-tenant apps).
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default=f"{_login_host}/{{tid}}/v2.0")
# Called after each Entra sign-in with (user=, group_ids=): apps map group claims to their roles.
LOOM_SIGN_IN_HOOKS = ["domains.services.domain_roles_sync_from_groups"]
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"

# --- Azure clients (loom_portal.azure) -----------------------------------------
# Empty: each cloud's Resource Manager endpoint. Tests point it at a loopback double.
AZURE_MANAGEMENT_URL = env.str("AZURE_MANAGEMENT_URL", default="")
# Tests and loopback doubles only: a static bearer token instead of DefaultAzureCredential.
AZURE_STATIC_TOKEN = env.str("AZURE_STATIC_TOKEN", default="")
AZURE_RETRY_TOTAL = env.int("AZURE_RETRY_TOTAL", default=5)
AZURE_RETRY_BACKOFF_FACTOR = env.float("AZURE_RETRY_BACKOFF_FACTOR", default=0.8)
# A throttling wait longer than this (seconds) is not slept in-process: the job is retried later.
AZURE_RETRY_MAX_WAIT = env.float("AZURE_RETRY_MAX_WAIT", default=60.0)

# --- API Management (marketplace.apim, devportal) ----------------------------------
# The APIM instance products are published to; empty APIM_SERVICE_NAME = publishing is off.
APIM_SUBSCRIPTION_ID = env.str("APIM_SUBSCRIPTION_ID", default="")
APIM_RESOURCE_GROUP = env.str("APIM_RESOURCE_GROUP", default="")
APIM_SERVICE_NAME = env.str("APIM_SERVICE_NAME", default="")
# The gateway consumers call (https://<service>.azure-api.net); shown in snippets.
APIM_GATEWAY_URL = env.str("APIM_GATEWAY_URL", default="")
# Seconds between polls of a long-running APIM operation (an OpenAPI import).
APIM_POLLING_INTERVAL = env.float("APIM_POLLING_INTERVAL", default=5.0)
# The portal's own public URL: the backend of published APIs and the base of the snippets.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://localhost:8000")

# --- Cosmos DB mirror of the catalog (marketplace.listings) ---------------------------
# Published products are mirrored to the Loom Console's container; empty COSMOS_ENDPOINT = mirror off.
COSMOS_ENDPOINT = env.str("COSMOS_ENDPOINT", default="")
COSMOS_KEY = env.str("COSMOS_KEY", default="")
COSMOS_DATABASE = env.str("COSMOS_DATABASE", default="")
COSMOS_LISTINGS_CONTAINER = env.str("COSMOS_LISTINGS_CONTAINER", default="marketplace-listings")
# Tests only: the loopback Cosmos emulator serves a self-signed certificate.
COSMOS_CONNECTION_VERIFY = env.bool("COSMOS_CONNECTION_VERIFY", default=True)
if PRODUCTION and not COSMOS_CONNECTION_VERIFY:
    raise ConfigError("COSMOS_CONNECTION_VERIFY: certificate checks cannot be turned off in production")

# --- Chargeback ------------------------------------------------------------------
# Trailing days Azure may restate: re-pulled on every scheduled ingest.
CHARGEBACK_RESTATEMENT_DAYS = env.int("CHARGEBACK_RESTATEMENT_DAYS", default=3)
# FOCUS exports in Blob Storage: a connection string (a SAS or key; Azurite in tests). Empty: the portal's
# Azure credential (managed identity) against the account_url the import is given.
CHARGEBACK_FOCUS_STORAGE_CONNECTION_STRING = env.str("CHARGEBACK_FOCUS_STORAGE_CONNECTION_STRING", default="")

# --- REST ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "loom_portal.api.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["loom_portal.api.PolicyPermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "loom_portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loom Portal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the sensitivity labels, whichever model field uses them.
    "ENUM_NAME_OVERRIDES": {
        "SensitivityLabelEnum": "loom_portal.choices.SensitivityLabel",
        "ProductStatusEnum": "marketplace.choices.ProductStatus",
        "AccessRequestStatusEnum": "marketplace.choices.AccessRequestStatus",
        "GrantStatusEnum": "marketplace.choices.GrantStatus",
    },
}

GRAPHENE = {"SCHEMA": "loom_portal.schema.schema", "ATOMIC_MUTATIONS": True}

# --- Static files: everything served by the portal itself (air-gapped) -------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="loom-portal@localhost")
# Only read by django.core.mail.backends.filebased.EmailBackend (one file per message batch).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".cache" / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Production hardening (manage.py check --deploy reports nothing) ---------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# --- Observability (loom_portal.observability) ------------------------------------
# JSON lines (request id, tenant id, user id; credentials redacted) or plain text on stderr.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in ("json", "text"):
    raise ConfigError("LOG_FORMAT: expected json or text, got " + repr(LOG_FORMAT))
LOGGING = observability.logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# Request counts and latency for Prometheus, right after the request id is known.
MIDDLEWARE.insert(
    MIDDLEWARE.index("loom_portal.middleware.RequestIdMiddleware") + 1, "loom_portal.observability.RequestContextMiddleware"
)
# /metrics requires "Authorization: Bearer <METRICS_TOKEN>" when this is set.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Traces and metrics go to Application Insights only when this is set (observability.setup()).
APPLICATIONINSIGHTS_CONNECTION_STRING = env.str("APPLICATIONINSIGHTS_CONNECTION_STRING", default="")
OTEL_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", default="loom-portal")
