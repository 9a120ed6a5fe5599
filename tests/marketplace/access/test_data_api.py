"""The data API returns a product's rows as the consumer's database principal: the engine decides the rows."""

import csv
import io

import pytest

from marketplace.models import ProductUsageDaily
from marketplace.services import access, grants

ROWS_URL = "/data/v1/products/{}/rows"


@pytest.fixture
def emea_grant(consumer, steward, orders_product, django_capture_on_commit_callbacks):
    request = access.access_request_create(actor=consumer, product=orders_product, duration_days=30,
                                           purpose="EMEA revenue review", scope={"region": ["EMEA"]})
    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=steward, request=request)
    return request.grant


@pytest.fixture
def api_key(consumer, emea_grant):
    return grants.api_key_create(actor=consumer, grant=emea_grant, name="notebook").plaintext


def get_rows(client, product, key=None, accept="application/json", **params):
    headers = {"HTTP_ACCEPT": accept}
    if key:
        headers["HTTP_X_API_KEY"] = key
    return client.get(ROWS_URL.format(product.slug), params, **headers)


def test_a_key_returns_only_the_granted_rows(client, orders_product, api_key):
    response = get_rows(client, orders_product, api_key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["id"] for row in body["rows"]] == [1, 2, 3]
    assert {row["region"] for row in body["rows"]} == {"EMEA"}
    assert body["next_cursor"] is None


def test_filters_narrow_inside_the_grant_and_cannot_widen_it(client, orders_product, api_key):
    assert [r["id"] for r in get_rows(client, orders_product, api_key, country="DE").json()["rows"]] == [1, 3]
    assert get_rows(client, orders_product, api_key, region="APAC").json()["rows"] == []


def test_pages_follow_the_cursor(client, orders_product, api_key):
    first = get_rows(client, orders_product, api_key, limit=2).json()
    assert [r["id"] for r in first["rows"]] == [1, 2]
    second = get_rows(client, orders_product, api_key, limit=2, cursor=first["next_cursor"]).json()
    assert [r["id"] for r in second["rows"]] == [3]
    assert second["next_cursor"] is None


def test_csv_when_asked(client, orders_product, api_key):
    response = get_rows(client, orders_product, api_key, accept="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0] == ["id", "region", "country", "amount"]
    assert [row[0] for row in table[1:]] == ["1", "2", "3"]


def test_bad_parameters_are_400_naming_them(client, orders_product, api_key):
    for params, field in [({"limit": "0"}, "limit"), ({"limit": "lots"}, "limit"), ({"cursor": "forged"}, "cursor"),
                          ({"colour": "red"}, "colour")]:
        response = get_rows(client, orders_product, api_key, **params)
        assert response.status_code == 400, params
        assert response.json()["field"] == field


def test_without_a_key_or_grant_the_answer_says_why(client, orders_product, api_key, signed_in, tenant):
    from tests import factories

    assert get_rows(client, orders_product).status_code == 401
    assert get_rows(client, orders_product, "loom_key_nothing_here").status_code == 401
    stranger = factories.make_user(tenant, "stranger@contoso.example")
    response = get_rows(signed_in(stranger), orders_product)
    assert response.status_code == 403
    assert "no active grant" in response.json()["detail"]


def test_the_signed_in_consumer_reads_through_the_session(signed_in, consumer, orders_product, emea_grant):
    response = get_rows(signed_in(consumer), orders_product)
    assert [r["id"] for r in response.json()["rows"]] == [1, 2, 3]


def test_revoking_the_grant_turns_the_same_call_into_403(client, steward, orders_product, emea_grant, api_key,
                                                          django_capture_on_commit_callbacks):
    assert get_rows(client, orders_product, api_key).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        grants.grant_revoke(actor=steward, grant=emea_grant, reason="Project ended")
    response = get_rows(client, orders_product, api_key)
    assert response.status_code == 403
    assert "revoked" in response.json()["detail"]


def test_a_rotated_key_stops_working_and_the_new_one_works(client, consumer, orders_product, api_key):
    from marketplace.models import ApiKey

    rotated = grants.api_key_rotate(actor=consumer, key=ApiKey.objects.get()).plaintext
    assert get_rows(client, orders_product, api_key).status_code == 401
    assert get_rows(client, orders_product, rotated).status_code == 200


def test_every_call_is_counted(client, consumer, orders_product, api_key):
    get_rows(client, orders_product, api_key)
    get_rows(client, orders_product, api_key, limit=1)
    usage = ProductUsageDaily.objects.get(product=orders_product, user=consumer)
    assert (usage.api_calls, usage.rows_returned) == (2, 4)


def test_another_tenant_never_learns_the_product_exists(signed_in, other_tenant_user, orders_product):
    response = get_rows(signed_in(other_tenant_user), orders_product)
    assert response.status_code == 404


def test_a_key_only_opens_its_own_product(client, api_key, platform_owner, domain):
    from marketplace import services

    other = services.product_publish(actor=platform_owner, product=services.product_create(
        actor=platform_owner, domain=domain, name="Other product", columns=[{"name": "id", "data_type": "int"}]))
    response = get_rows(client, other, api_key)
    assert response.status_code == 403
    assert "another product" in response.json()["detail"]
