"""In Chromium: a consumer requests EMEA rows of a product, a steward approves, the consumer creates a key and
the data API returns only EMEA rows (the PostgreSQL policy decides); the steward revokes and the same call is 403."""

import os
import re

import pytest

from tests.conftest import requires_postgres
from tests.factories import PASSWORD
from tests.marketplace.access.conftest import orders_product, serving, serving_database  # noqa: F401 - fixtures

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("LOOM_CHROMIUM", "/usr/bin/chromium")


def sign_in(browser, base_url, user):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


@requires_postgres
@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_request_approve_key_rows_then_revoke(live_server, orders_product, consumer, steward):  # noqa: F811
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    rows_url = f"{live_server.url}/data/v1/products/{orders_product.slug}/rows"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

        consumer_page = sign_in(browser, live_server.url, consumer)
        consumer_page.goto(f"{live_server.url}/catalog/{orders_product.slug}/")
        consumer_page.click("[data-testid=request-access]")
        consumer_page.fill("textarea[name=purpose]", "EMEA revenue review for the quarterly close")
        consumer_page.fill("input[name=scope_region]", "EMEA")
        consumer_page.fill("input[name=duration_days]", "30")
        consumer_page.click("[data-testid=access-request-form] button[type=submit]")
        expect(consumer_page.locator("[data-testid=my-requests]")).to_contain_text("region in EMEA")
        expect(consumer_page.locator("[data-testid=request-status]").first).to_have_text("Requested")

        steward_page = sign_in(browser, live_server.url, steward)
        steward_page.click("a[data-nav=access-queue]")
        queue = steward_page.locator("[data-testid=queue]")
        expect(queue).to_contain_text(consumer.email)
        expect(queue).to_contain_text("EMEA revenue review")
        queue.locator("input[name=ids]").first.check()
        steward_page.click("[data-testid=bulk-approve]")
        expect(steward_page.locator("[data-testid=queue-empty]")).to_be_visible()

        consumer_page.goto(f"{live_server.url}/access/")
        expect(consumer_page.locator("[data-testid=grant-status]").first).to_have_text("Active")
        consumer_page.click("[data-testid=create-key]")
        key = consumer_page.locator("[data-testid=api-key-plaintext]").inner_text().strip()
        assert re.fullmatch(r"loom_key_[0-9a-f]{8}_\S+", key)

        response = consumer_page.request.get(rows_url, headers={"X-Api-Key": key})
        assert response.status == 200
        rows = response.json()["rows"]
        assert [r["id"] for r in rows] == [1, 2, 3]
        assert {r["region"] for r in rows} == {"EMEA"}

        steward_page.goto(f"{live_server.url}/access/queue/?status=approved")
        steward_page.locator("[data-testid=queue] a", has_text="#").first.click()
        steward_page.locator("dd a").first.click()  # the request's grant
        steward_page.fill("[data-testid=revoke] input[name=reason]", "Quarter closed")
        steward_page.click("[data-testid=revoke] button[type=submit]")
        expect(steward_page.locator("[data-testid=grant-status]")).to_have_text("Revoked")

        after = consumer_page.request.get(rows_url, headers={"X-Api-Key": key})
        assert after.status == 403
        assert "revoked" in after.json()["detail"]
        browser.close()
