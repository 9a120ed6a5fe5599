"""In Chromium: a consumer finds a product by a misspelled word, narrows by domain and sensitivity, and opens
a page that says what it is, who owns it, how fresh it is and how to get access."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import services
from tests.conftest import requires_postgres
from tests.factories import PASSWORD, make_domain

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LOOM_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("LOOM_E2E_SCREENSHOTS", "")


@pytest.fixture
def catalog(platform_owner, domain):
    ops = make_domain(platform_owner, "Mission Ops", slug="mission-ops")
    ledger = services.product_create(
        actor=platform_owner, domain=domain, name="General ledger entries", sensitivity="confidential",
        description="Every **posted** journal line.", tags=["ledger", "accounting"], freshness_sla_hours=24,
        columns=[{"name": "entry_id", "data_type": "bigint"}, {"name": "region", "data_type": "text", "is_scopable": True}],
    )
    services.product_record_refresh(actor=platform_owner, product=ledger, refreshed_at=timezone.now() - timedelta(hours=2))
    services.product_publish(actor=platform_owner, product=ledger)
    for name, dom, label in (("Ledger archive", domain, "general"), ("Ledger stations telemetry", ops, "confidential")):
        services.product_publish(
            actor=platform_owner,
            product=services.product_create(actor=platform_owner, domain=dom, name=name, sensitivity=label, tags=["ledger"]),
        )
    return ledger


@requires_postgres
@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_consumer_finds_a_misspelled_product_narrows_it_and_learns_how_to_get_it(live_server, catalog, consumer, platform_owner):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", consumer.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("a[data-nav=catalog]")
        page.fill("input[name=search]", "ledgr")
        page.click("form[role=search] button")
        expect(page.locator("[data-testid=results] article")).to_have_count(3)
        page.click("[data-facet=domain] a[data-value=finance]")
        expect(page.locator("[data-testid=results] article")).to_have_count(2)
        page.click("[data-facet=sensitivity] a[data-value=confidential]")
        cards = page.locator("[data-testid=results] article")
        expect(cards).to_have_count(1)
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, "catalog.png"), full_page=True)
        cards.first.locator("h2 a").click()
        expect(page.locator("h1")).to_have_text("General ledger entries")
        expect(page.locator("[data-testid=description]")).to_contain_text("Every posted journal line.")
        expect(page.locator("[data-testid=owners]")).to_contain_text(platform_owner.email)
        expect(page.locator("[data-testid=freshness]")).to_contain_text("Fresh")
        expect(page.locator("[data-testid=schema]")).to_contain_text("region")
        expect(page.locator("[data-testid=request-access]")).to_have_text("Request access")
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, "product.png"), full_page=True)
        browser.close()
