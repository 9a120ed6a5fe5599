"""Errors from Azure calls, sorted into "try again later" and "do not retry"."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

TRANSIENT_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})


class TransientAzureError(Exception):
    """Azure was throttling or unavailable; the same call may succeed later (Celery retries these)."""

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return True
    return isinstance(exc, HttpResponseError) and getattr(exc, "status_code", None) in TRANSIENT_STATUS_CODES


def as_transient(exc: BaseException) -> TransientAzureError:
    """Wrap a transient SDK error, keeping the status code and the server's requested wait."""
    status = getattr(exc, "status_code", None)
    retry_after = None
    response = getattr(exc, "response", None)
    if response is not None:
        from loom_portal.azure.retry import retry_after_seconds

        retry_after = retry_after_seconds(response.headers)
    what = f"HTTP {status}" if status else type(exc).__name__
    return TransientAzureError(f"Azure is unavailable or throttling ({what}): {exc}", status_code=status, retry_after=retry_after)
