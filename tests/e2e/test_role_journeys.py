"""In Chromium: each demo user signs in through the real form and sees the navigation of their role,
and no request of any page leaves the portal's own host (air-gapped by default)."""

import os
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop here

CHROMIUM = os.environ.get("LOOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "Loom-demo-2026!"

# email -> (nav links they must see, nav links they must not see, home cards they must see)
ROLES = {
    "consumer@contoso.example": ({"catalog"}, {"admin", "chargeback"}, set()),
    "steward@contoso.example": ({"catalog"}, {"admin", "chargeback"}, set()),
    "owner@contoso.example": ({"catalog", "chargeback"}, {"admin"}, {"domain_owner"}),
    "finance@contoso.example": ({"catalog", "chargeback"}, {"admin"}, {"finance"}),
    "admin@contoso.example": ({"catalog", "admin"}, {"chargeback"}, {"platform_owner"}),
}


@pytest.fixture
def browser_page():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.requests_seen = []
        page.console_errors = []
        page.on("request", lambda request: page.requests_seen.append(request.url))
        page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("response", lambda r: page.console_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        yield page
        browser.close()


def _sign_in(page, base_url, email, password=PASSWORD):
    page.goto(f"{base_url}/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form[data-testid=local-sign-in] button[type=submit]")


def _assert_stayed_home(page):
    foreign = {
        url for url in page.requests_seen
        if not url.startswith(("data:", "blob:")) and urlsplit(url).hostname not in ("127.0.0.1", "localhost")
    }
    assert not foreign, f"requests left the portal's host: {sorted(foreign)}"
    assert not page.console_errors, page.console_errors


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_each_demo_user_signs_in_and_sees_the_navigation_of_their_role(live_server, browser_page):
    call_command("loom_demo", quiet=True)
    page = browser_page
    for email, (must_see, must_not_see, cards) in ROLES.items():
        _sign_in(page, live_server.url, email)
        page.wait_for_selector("[data-testid=role-cards]")
        nav = set(page.eval_on_selector_all("nav.mainnav a[data-nav]", "links => links.map(a => a.dataset.nav)"))
        assert must_see <= nav, (email, nav)
        assert not (must_not_see & nav), (email, nav)
        shown = set(page.eval_on_selector_all("[data-card]", "cards => cards.map(c => c.dataset.card)"))
        assert shown == cards, (email, shown)
        for path in ("/domains/", "/domains/finance/", "/account/tokens/", "/notifications/"):
            assert page.goto(f"{live_server.url}{path}").status == 200, (email, path)
        page.click("[data-testid=user-menu]")
        page.click("text=Sign out")
        page.wait_for_url("**/accounts/login/**")
    _assert_stayed_home(page)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_keeps_you_on_the_sign_in_page_with_a_message(live_server, browser_page):
    call_command("loom_demo", quiet=True)
    page = browser_page
    _sign_in(page, live_server.url, "consumer@contoso.example", "not-the-password")
    assert "/accounts/login/" in page.url
    assert "not correct" in page.inner_text("form[data-testid=local-sign-in]")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_platform_owner_runs_the_back_office_for_their_tenant_only(live_server, browser_page):
    call_command("loom_demo", quiet=True)
    page = browser_page
    _sign_in(page, live_server.url, "admin@contoso.example")
    page.click("a[data-nav=admin]")
    page.click("a[href='/admin/domains/domain/']")
    page.wait_for_selector("#result_list")
    rows = page.eval_on_selector_all("#result_list tbody tr th a", "links => links.map(a => a.textContent)")
    assert sorted(rows) == ["Finance", "HR", "Mission Ops"]  # not Fabrikam's three
    page.goto(f"{live_server.url}/admin/loom_portal/auditevent/")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() > 0
    _assert_stayed_home(page)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_graphiql_runs_a_query_from_the_portals_own_assets(live_server, browser_page):
    call_command("loom_demo", quiet=True)
    page = browser_page
    _sign_in(page, live_server.url, "consumer@contoso.example")
    page.goto(f"{live_server.url}/graphql/")
    page.wait_for_selector(".graphiql-container")
    page.click(".graphiql-execute-button")
    page.wait_for_selector(".result-window .CodeMirror-code:has-text('contoso.example')")
    assert "Contoso Federal" in page.inner_text(".result-window")
    _assert_stayed_home(page)
