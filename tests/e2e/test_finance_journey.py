"""In Chromium: finance signs in, opens the month × domain matrix, drills into a domain and downloads its CSV;
no request leaves the portal's host. Cost is ingested through the real path (SDK → Cost Management double)."""

import csv
import io
import os
from urllib.parse import urlsplit

import pytest

from chargeback import services
from tests import factories
from tests.chargeback import conftest as chargeback_fixtures
from tests.chargeback.conftest import SUBSCRIPTION, day
from tests.conftest import requires_postgres
from tests.factories import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop here

CHROMIUM = os.environ.get("LOOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SCREENSHOTS = os.environ.get("LOOM_E2E_SCREENSHOTS", "")
cost_api = chargeback_fixtures.cost_api  # the Cost Management double
cost_scope = chargeback_fixtures.cost_scope


@pytest.fixture
def costs(cost_api, cost_scope, platform_owner, domain, workspace):
    hr = factories.make_domain(platform_owner, "Human Resources", slug="hr")
    factories.make_workspace(platform_owner, domain, "contoso-fin-close", name="Month-end close")
    for usage_day, cost, tags in [
        (day(10, 9), 100, {"loomWorkspaceId": "contoso-fin-ledger"}),
        (day(1), 50, {"loomWorkspaceId": "contoso-fin-ledger"}),
        (day(2), 20.5, {"loomWorkspaceId": "contoso-fin-close"}),
        (day(3), 10, {"loomDomain": "finance"}),
        (day(5), 60, {"loomDomain": "hr"}),
        (day(6), 7, {}),
    ]:
        cost_api.add_cost(SUBSCRIPTION, usage_day, cost, **tags)
    services.costs_ingest(scope=cost_scope, date_from=day(1, 9), date_to=day(31))
    return hr


@requires_postgres
@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_finance_opens_the_month_matrix_drills_into_a_domain_and_downloads_its_csv(live_server, costs, finance):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    seen = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(accept_downloads=True)
        page.on("request", lambda request: seen.append(request.url))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", finance.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        page.click("a[data-nav=chargeback]")
        page.fill("input[name=from]", "2026-09")
        page.fill("input[name=to]", "2026-10")
        page.click("form[aria-label=Period] button[type=submit]")
        matrix = page.locator("[data-testid=cost-matrix]")
        expect(matrix.locator("thead")).to_contain_text("Sep 2026")
        expect(matrix.locator("tr[data-row=finance]")).to_contain_text("180.50")
        expect(matrix.locator("tr[data-row=hr]")).to_contain_text("60.00")
        expect(matrix.locator("tr[data-row=Unallocated]")).to_contain_text("7.00")
        expect(page.locator("[data-testid=monthly-chart] svg rect")).to_have_count(2)
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, "finance-matrix.png"), full_page=True)

        matrix.locator("tr[data-row=finance] th a").click()
        expect(page.locator("h1")).to_have_text("Finance: cost by workspace")
        workspaces = page.locator("[data-testid=cost-matrix]")
        expect(workspaces).to_contain_text("Ledger analytics (contoso-fin-ledger)")
        expect(workspaces).to_contain_text("Month-end close (contoso-fin-close)")

        with page.expect_download() as download_info:
            page.click("[data-testid=csv-download]")
        download = download_info.value
        rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
        browser.close()

    assert download.suggested_filename == "chargeback-finance-2026-09-2026-10.csv"
    assert rows[0] == ["Workspace", "Currency", "2026-09", "2026-10", "Total"]
    assert rows[1:] == [
        ["Ledger analytics (contoso-fin-ledger)", "USD", "100.00", "50.00", "150.00"],
        ["Month-end close (contoso-fin-close)", "USD", "0.00", "20.50", "20.50"],
        ["No workspace (domain-tagged)", "USD", "0.00", "10.00", "10.00"],
        ["Total", "USD", "100.00", "80.50", "180.50"],
    ]
    foreign = {u for u in seen if not u.startswith(("data:", "blob:")) and urlsplit(u).hostname not in ("127.0.0.1", "localhost")}
    assert not foreign, f"requests left the portal's host: {sorted(foreign)}"
