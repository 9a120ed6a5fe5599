"""The API catalog costs the same number of queries for 1 and for 25 published APIs."""

import pytest

from marketplace import services as product_services
from tests.marketplace.access.conftest import ORDER_COLUMNS


@pytest.mark.parametrize("count", [1, 25])
def test_the_catalog_query_count_does_not_grow_with_the_apis(apim, platform_owner, domain, bronze, expose, signed_in,
                                                             consumer, django_assert_num_queries, count):
    for n in range(count):
        product = product_services.product_create(actor=platform_owner, domain=domain, name=f"Orders {n}",
                                                  columns=ORDER_COLUMNS)
        expose(platform_owner, product_services.product_publish(actor=platform_owner, product=product), bronze)
    client = signed_in(consumer)
    client.get("/developers/")  # warm the session and the user

    with django_assert_num_queries(9) as captured:
        page = client.get("/developers/").content.decode()

    assert page.count('href="/developers/apis/orders-') == count, len(captured)
