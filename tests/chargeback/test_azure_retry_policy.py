"""The throttling-aware retry policy of loom_portal.azure (used by every management client)."""

from azure.core.utils import case_insensitive_dict

from loom_portal.azure.retry import ThrottlingRetryPolicy, retry_after_seconds

PREFIX = "x-ms-ratelimit-microsoft.costmanagement"


def test_the_wait_is_the_largest_of_the_ratelimit_headers_and_retry_after():
    headers = case_insensitive_dict(
        {
            f"{PREFIX}-qpu-retry-after": "7",
            f"{PREFIX}-entity-retry-after": "3",
            f"{PREFIX}-tenant-retry-after": "12",
            f"{PREFIX}-clienttype-retry-after": "1",
            "Retry-After": "5",
        }
    )
    requested_wait = retry_after_seconds(headers)
    assert requested_wait == 12


def test_a_plain_retry_after_counts_when_it_is_the_largest():
    requested_wait = retry_after_seconds({f"{PREFIX}-qpu-retry-after": "2", "Retry-After": "30"})
    assert requested_wait == 30


def test_no_throttling_header_means_no_requested_wait_and_garbage_is_ignored():
    no_wait = retry_after_seconds({"Content-Type": "application/json"})
    assert no_wait is None
    requested_wait = retry_after_seconds({f"{PREFIX}-qpu-retry-after": "soon", "Retry-After": "4"})
    assert requested_wait == 4


def test_the_policy_reads_the_headers_of_a_pipeline_response():
    class Response:  # the shape RetryPolicy hands to get_retry_after: .http_response.headers
        class http_response:  # noqa: N801
            headers = case_insensitive_dict({f"{PREFIX}-qpu-retry-after": "9"})

    assert ThrottlingRetryPolicy(max_wait=60).get_retry_after(Response()) == 9
