"""Developer portal pages: catalog, a product's API, downloads, Swagger UI; tenant isolation on every page."""

import json
import re

import pytest

from marketplace.choices import ApiPublicationState

PRODUCT_PAGES = [
    "/developers/apis/sales-orders/",
    "/developers/apis/sales-orders/openapi.json",
    "/developers/apis/sales-orders/swagger/",
    "/developers/apis/sales-orders/snippets/python",
    "/developers/apis/sales-orders/dto/pydantic",
    "/developers/products/sales-orders/expose/",
]


def test_the_catalog_lists_published_product_apis_and_the_portals_own_apis(exposed, signed_in, consumer):
    response = signed_in(consumer).get("/developers/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/developers/apis/sales-orders/"' in page and "Bronze" in page
    for link in ('href="/api/docs/"', 'href="/api/schema/"', 'href="/graphql/"', 'href="/developers/apim/"'):
        assert link in page


def test_the_api_page_shows_schema_filters_snippets_dtos_and_a_try_it_form(exposed, signed_in, consumer):
    response = signed_in(consumer).get("/developers/apis/sales-orders/")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<form method="get" action="/data/v1/products/sales-orders/rows"' in page
    assert 'name="region"' in page and 'name="country"' in page and 'name="amount"' not in page
    for kind in ("curl", "python", "typescript", "powershell", "csharp"):
        assert f'data-testid="snippet-{kind}"' in page
    for kind in ("pydantic", "typescript", "csharp", "jsonschema", "sql"):
        assert f'data-testid="dto-{kind}"' in page
    assert "https://loom-apim.azure-api.net/loom/t" in page  # the gateway address of the published API
    assert 'data-testid="expose-link"' not in page  # a consumer does not edit the product


def test_the_openapi_document_downloads_with_the_products_columns(orders_product, signed_in, consumer):
    response = signed_in(consumer).get("/developers/apis/sales-orders/openapi.json?download=1")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sales-orders.openapi.json"'
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "http://testserver"}]
    row = document["components"]["schemas"]["SalesOrdersRow"]
    assert list(row["properties"]) == ["id", "region", "country", "amount"]
    assert row["properties"]["amount"]["format"] == "decimal"


def test_swagger_ui_is_served_by_the_portal_from_the_sidecar_assets(orders_product, signed_in, consumer):
    page = signed_in(consumer).get("/developers/apis/sales-orders/swagger/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert 'data-openapi-url="/developers/apis/sales-orders/openapi.json"' in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "nothing may load from another host"


@pytest.mark.parametrize("kind", ["curl", "python", "typescript", "powershell", "csharp"])
def test_each_snippet_downloads_as_a_file(orders_product, signed_in, consumer, kind):
    response = signed_in(consumer).get(f"/developers/apis/sales-orders/snippets/{kind}")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="sales-orders.')
    assert "/data/v1/products/sales-orders/rows" in response.content.decode()


@pytest.mark.parametrize("kind", ["pydantic", "typescript", "csharp", "jsonschema", "sql"])
def test_each_dto_downloads_as_a_file(orders_product, signed_in, consumer, kind):
    response = signed_in(consumer).get(f"/developers/apis/sales-orders/dto/{kind}")

    assert response.status_code == 200
    assert 'filename="sales_orders_row.' in response["Content-Disposition"]


def test_the_apim_snippets_target_the_gateway_with_the_subscription_key_header(exposed, signed_in, consumer):
    text = signed_in(consumer).get("/developers/apis/sales-orders/snippets/python?via=apim").content.decode()

    assert "https://loom-apim.azure-api.net/loom/t" in text and "Ocp-Apim-Subscription-Key" in text


def test_an_unknown_generator_or_target_is_a_404(orders_product, signed_in, consumer):
    client = signed_in(consumer)
    assert client.get("/developers/apis/sales-orders/snippets/cobol").status_code == 404
    assert client.get("/developers/apis/sales-orders/dto/xml").status_code == 404
    assert client.get("/developers/apis/sales-orders/snippets/python?via=moon").status_code == 404


@pytest.mark.parametrize("url", PRODUCT_PAGES)
def test_another_tenants_users_get_a_404_on_every_product_page(orders_product, signed_in, other_tenant_user,
                                                               other_platform_owner, url):
    assert signed_in(other_tenant_user).get(url).status_code == 404
    assert signed_in(other_platform_owner).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/developers/", *PRODUCT_PAGES, "/developers/keys/", "/developers/apim/",
                                 "/developers/templates/"])
def test_every_page_needs_a_signed_in_user(orders_product, client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_editor_exposes_a_product_from_the_form(apim, orders_product, bronze, signed_in, platform_owner,
                                                   django_capture_on_commit_callbacks):
    client = signed_in(platform_owner)
    assert 'data-testid="expose-form"' in client.get("/developers/products/sales-orders/expose/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/developers/products/sales-orders/expose/", {"tier": bronze.pk})

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="publication-state">Published<' in page
    assert len(apim.apis) == 1


def test_a_consumer_may_not_expose_and_nothing_changes(apim, orders_product, bronze, signed_in, consumer):
    client = signed_in(consumer)
    assert client.get("/developers/products/sales-orders/expose/").status_code == 403
    assert client.post("/developers/products/sales-orders/expose/", {"tier": bronze.pk}).status_code == 403
    assert client.post("/developers/products/sales-orders/unpublish/").status_code == 403
    assert not apim.requests


def test_a_bad_tier_is_named_and_nothing_changes(apim, orders_product, bronze, signed_in, platform_owner):
    from marketplace.models import ApiPublication

    response = signed_in(platform_owner).post("/developers/products/sales-orders/expose/", {"tier": "999999"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ApiPublication.objects.exists()


def test_the_editor_unpublishes_from_the_page(exposed, apim, signed_in, platform_owner,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(platform_owner).post("/developers/products/sales-orders/unpublish/")

    assert response.status_code == 302
    exposed.refresh_from_db()
    assert exposed.state == ApiPublicationState.REMOVED and not apim.apis


def test_the_getting_started_guides_render_from_the_repositorys_markdown(signed_in, consumer):
    client = signed_in(consumer)
    catalog = client.get("/developers/").content.decode()
    assert 'href="/developers/guides/consumer-getting-started/"' in catalog

    page = client.get("/developers/guides/consumer-getting-started/").content.decode()
    assert "<h1>Getting started: from a request to your first API call</h1>" in page
    assert client.get("/developers/guides/graphql-for-portal-developers/").status_code == 200
    assert client.get("/developers/guides/..%2Fdeploy/").status_code == 404
    assert client.get("/developers/guides/deploy/").status_code == 404


def test_the_api_page_links_the_products_odcs_contract(orders_product, signed_in, consumer):
    page = signed_in(consumer).get("/developers/apis/sales-orders/").content.decode()
    assert 'href="/catalog/sales-orders/contract.yaml"' in page
