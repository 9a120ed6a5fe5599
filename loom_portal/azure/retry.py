"""A retry policy that honours Azure Resource Manager throttling.

azure-core retries a POST 429 only when a plain ``Retry-After`` header is
present and never reads the ``x-ms-ratelimit-*-retry-after`` headers that Cost
Management sends (one per quota: qpu, entity, tenant, clienttype). This policy
retries 429 for every method (a throttled request was not processed, so a POST
is safe to repeat) and waits for the largest of those headers and
``Retry-After``. A wait longer than ``max_wait`` is not slept in-process: the
429 surfaces and the caller turns it into a TransientAzureError so the job is
retried later instead of holding a worker.
"""

from __future__ import annotations

import re

from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.policies._utils import parse_retry_after
from azure.core.utils import case_insensitive_dict

_RATELIMIT_RETRY_AFTER = re.compile(r"^x-ms-ratelimit-.*retry-after$", re.IGNORECASE)


def retry_after_seconds(headers) -> float | None:
    """The longest wait any throttling header asks for, in seconds (None when none is present)."""
    waits = []
    for name, value in case_insensitive_dict(headers or {}).items():
        lowered = name.lower()
        try:
            if lowered == "retry-after" or _RATELIMIT_RETRY_AFTER.match(lowered):
                waits.append(parse_retry_after(str(value).strip()))
            elif lowered in ("retry-after-ms", "x-ms-retry-after-ms"):
                waits.append(parse_retry_after(str(value).strip()) / 1000.0)
        except (ValueError, TypeError, OverflowError):
            continue  # an unparseable header is ignored, never fatal
    return max(waits) if waits else None


class ThrottlingRetryPolicy(RetryPolicy):
    """RetryPolicy + 429 on any method + the x-ms-ratelimit-*-retry-after headers."""

    def __init__(self, *, max_wait: float = 60.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wait = max_wait

    def get_retry_after(self, response) -> float | None:
        return retry_after_seconds(response.http_response.headers)

    def is_retry(self, settings, response) -> bool:
        status = response.http_response.status_code
        if status == 429:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_wait:
                return False
            return bool(settings["total"])
        return super().is_retry(settings, response)
