"""In Chromium: an owner exposes a product as an API; a consumer with a grant opens its developer page, copies
the Python snippet, runs it and gets only their rows, reads their APIM key; after revoke the APIM double shows
the subscription suspended and the same snippet fails."""

import os
import subprocess
import sys

import pytest

from marketplace.services import grants as grant_services
from tests.conftest import requires_postgres
from tests.factories import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("LOOM_CHROMIUM", "/usr/bin/chromium")


def _sign_in(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@requires_postgres
@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_expose_consume_and_revoke_in_the_browser(live_server, apim, orders_product, bronze, platform_owner, consumer,
                                                  steward, grant_for, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    grant = grant_for(consumer, orders_product, {"region": ["EMEA"]})
    data_key = grant_services.api_key_create(actor=consumer, grant=grant).plaintext
    base = live_server.url

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        owner = browser.new_page()
        _sign_in(owner, base, platform_owner)
        owner.click("a[data-nav=developers]")
        owner.goto(f"{base}/developers/products/{orders_product.slug}/expose/")
        owner.select_option("select[name=tier]", label="Bronze")
        owner.click("[data-testid=expose-form] button[type=submit]")
        expect(owner.locator("[data-testid=publication-state]")).to_have_text("Published")

        page = browser.new_context().new_page()
        foreign = []
        page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(base) else None)
        _sign_in(page, base, consumer)
        page.goto(f"{base}/developers/")
        page.click(f"[data-testid=product-apis] a[href='/developers/apis/{orders_product.slug}/']")
        page.click("[data-testid=snippet-python] summary")
        snippet = page.locator("[data-testid=snippet-python] pre").inner_text()
        script = tmp_path / "rows.py"
        script.write_text(snippet)
        env = {**os.environ, "LOOM_API_KEY": data_key, "LOOM_BASE_URL": base}
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 0, result.stderr
        printed = [line for line in result.stdout.splitlines() if line.strip()]
        assert len(printed) == 3 and all("'region': 'EMEA'" in line for line in printed), printed

        page.goto(f"{base}/developers/apis/{orders_product.slug}/swagger/")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sales orders data API")
        expect(page.locator(".swagger-ui .opblock-summary-path").first).to_contain_text("/rows")

        page.goto(f"{base}/developers/keys/")
        page.click("[data-testid=subscriptions] a code")
        page.click("[data-testid=show-keys] button")
        sid = grant.api_subscription.apim_subscription_id
        expect(page.locator("[data-testid=primary-key]")).to_have_text(apim.subscriptions[sid].secrets["primaryKey"])

        grant_services.grant_revoke(actor=steward, grant=grant, reason="Project ended")
        assert apim.subscription_state(sid) == "suspended"
        page.goto(f"{base}/developers/keys/{grant.pk}/")
        expect(page.locator("[data-testid=subscription-state]")).to_have_text("Suspended")
        again = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
        assert again.returncode != 0 and ("401" in again.stderr or "403" in again.stderr), again.stderr
        assert not foreign, f"requests left the host: {foreign}"
        browser.close()
