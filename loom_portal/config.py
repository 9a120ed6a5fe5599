"""Parsing of connection settings, so a broken value stops start-up with one clear line."""

from urllib.parse import urlsplit

import environ


class ConfigError(Exception):
    """A setting from the environment is missing or malformed. The message names the setting."""


_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "psql"}
_BROKER_SCHEMES = {"redis", "rediss", "memory"}


def parse_database_url(url: str, *, setting: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme not in _DB_SCHEMES:
        raise ConfigError(
            f"{setting}: unsupported or malformed URL {_redact(url)!r} "
            "(expected sqlite:///path or postgres://user:password@host:port/name)"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ConfigError(f"{setting}: malformed URL {_redact(url)!r}: {exc}") from exc
    if scheme != "sqlite" and not config.get("NAME"):
        raise ConfigError(f"{setting}: the URL names no database ({_redact(url)!r})")
    if scheme != "sqlite":
        try:
            int(config.get("PORT") or 5432)
        except ValueError as exc:
            raise ConfigError(f"{setting}: the port is not a number ({_redact(url)!r})") from exc
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
        raise ConfigError(f"{setting}: malformed URL {_redact(url)!r}: {exc}") from exc
    if parts.scheme not in _BROKER_SCHEMES:
        raise ConfigError(f"{setting}: unsupported scheme in {_redact(url)!r} (expected redis:// or rediss://)")
    if parts.scheme != "memory" and not parts.hostname:
        raise ConfigError(f"{setting}: the URL names no host ({_redact(url)!r})")
    return url


def _redact(url: str) -> str:
    """Hide a password in a URL before it goes into a message."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable>"
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
