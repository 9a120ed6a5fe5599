"""Parsing of connection settings, so a broken value stops start-up with one clear line.

Every message names the setting and never shows a password: the URL is shown with its password
replaced by ``***``, and the password is scrubbed from any library error quoted after it.
"""

import re
from urllib.parse import urlsplit

import environ


class ConfigError(Exception):
    """A setting from the environment is missing or malformed. The message names the setting."""


_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "psql"}
_BROKER_SCHEMES = {"redis", "rediss", "memory"}


def parse_database_url(url: str, *, setting: str) -> dict:
    scheme = _scheme(url)
    if scheme not in _DB_SCHEMES:
        raise _error(
            setting, url, "unsupported or malformed URL {url} (expected sqlite:///path or postgres://user:password@host:port/name)"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise _error(setting, url, f"malformed URL {{url}}: {exc}") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise _error(setting, url, "the URL names no database ({url})")
    if scheme != "sqlite":
        try:
            int(config.get("PORT") or 5432)
        except ValueError:
            raise _error(setting, url, "the port is not a number ({url})") from None
        config.setdefault("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


def parse_broker_url(url: str, *, setting: str) -> str:
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise _error(setting, url, f"malformed URL {{url}}: {exc}") from None
    if parts.scheme not in _BROKER_SCHEMES:
        raise _error(setting, url, "unsupported scheme in {url} (expected redis:// or rediss://)")
    if parts.scheme != "memory" and not parts.hostname:
        raise _error(setting, url, "the URL names no host ({url})")
    return url


_SERVING_SCHEMES = {"sqlite", "postgres", "postgresql"}
_SERVING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def parse_serving_databases(value: str, *, setting: str) -> dict[str, str]:
    """``name=url,name=url`` → {name: url}. Names are what products give as their source database."""
    databases: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (value or "").split(","))):
        name, eq, url = item.partition("=")
        name, url = name.strip(), url.strip()
        if not eq or not _SERVING_NAME.fullmatch(name):
            raise _error(setting, url, f"each entry must read name=url with a plain name; {name!r} is not one")
        if _scheme(url) not in _SERVING_SCHEMES:
            raise _error(setting, url, f"{name}: unsupported or malformed URL {{url}} (expected postgres://... or sqlite:///folder)")
        if name in databases:
            raise _error(setting, url, f"{name} is listed twice")
        databases[name] = url
    return databases


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def _password(url: str) -> str:
    """The password of ``[scheme:]//user:password@host...``, found without a URL parser (it may be malformed)."""
    head, at, _host = url.rpartition("@")
    if not at:
        return ""
    credentials = head.partition("//")[2] if "//" in head else head
    return credentials.partition(":")[2]


def _redact(url: str) -> str:
    """Hide a password in a URL before it goes into a message."""
    password = _password(url)
    if not password:
        return url
    head, _at, host = url.rpartition("@")
    return f"{head[: len(head) - len(password)]}***@{host}"


def _error(setting: str, url: str, template: str) -> ConfigError:
    message = f"{setting}: " + template.replace("{url}", repr(_redact(url)))
    password = _password(url)
    if password:  # as a token, so a one-letter password does not mangle the words around it
        message = re.sub(rf"(?<![A-Za-z0-9]){re.escape(password)}(?![A-Za-z0-9])", "***", message)
    return ConfigError(" ".join(message.split()))  # one line, whatever the library said


def load_settings_or_exit(*, exit_code: int = 2) -> None:
    """Load Django's settings now; a ConfigError stops the process with one line naming the setting.

    Called where a process starts outside manage.py (gunicorn's wsgi, Celery worker and beat),
    so a broken DATABASE_URL or CELERY_BROKER_URL never ends in a traceback.
    """
    import sys

    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces the settings module to load
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exit_code) from None
