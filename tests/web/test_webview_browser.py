"""The Loyalty Page in real Chromium (Debian's /usr/bin/chromium) against `tessera serve`.

Playwright's sync API runs its own event loop, so these are plain sync tests; data is prepared
with the async factories in a fresh thread (``run_async``) and sessions through the live API.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page, Response, sync_playwright

from tessera.config import Settings, normalize_database_url
from tessera.store.engine import create_engine
from tessera.store.tables import sites
from tessera.web.theme import contrast
from tests.conftest import LiveServer, run_async
from tests.factories import Tenant, make_customer, make_tenant
from tests.web.test_webview_pages import PAGE_PROGRAM, SESSIONS

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "loyalty-page.png"


@contextmanager
def phone() -> Iterator[Page]:
    """A phone-sized page in a fresh Chromium; a console error (CSP violations included) or a
    failed subresource fails the test. Started inside the test body: Playwright's sync API
    marks the thread's event loop as running, which async fixtures must not see."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make test does)")
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Error pages answer 4xx on purpose; failed subresources are caught by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} {response.url}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
            page = context.new_page()
            page.on("console", on_console)
            page.on("response", on_response)
            yield page
        finally:
            browser.close()
    assert errors == []


def prepare(
    database_url: str,
    with_customer: tuple[str, int] | None = None,
    theme: dict[str, str] | None = None,
) -> Tenant:
    """A tenant (and maybe a customer with points, a site theme) made by the async factories."""

    async def build() -> Tenant:
        engine = create_engine(Settings(database_url=normalize_database_url(database_url)))
        try:
            tenant = await make_tenant(engine, name="Lion Rewards", program=PAGE_PROGRAM)
            if theme:
                async with engine.begin() as conn:
                    await conn.execute(
                        sites.update().where(sites.c.id == tenant.site.id).values(theme=theme)
                    )
            if with_customer:
                await make_customer(engine, tenant, with_customer[0], points=with_customer[1])
            return tenant
        finally:
            await engine.dispose()

    tenant: Tenant = run_async(build())
    return tenant


def session_url(server: LiveServer, tenant: Tenant, **body: Any) -> str:
    response = httpx.post(
        server.url + SESSIONS.format(site_id=tenant.site.id),
        json={"channel": "app", **body},
        headers=tenant.auth,
    )
    assert response.status_code == 201, response.text
    url: str = response.json()["webview_session"]["url"]
    return url


def assert_accessible(page: Page) -> None:
    """axe-core (WCAG 2 A/AA rules, colour contrast included) finds no violation."""
    results = Axe().run(page)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]
    assert violations == []


def no_horizontal_scroll(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_guest_page_invites_to_join(
    live_server: Callable[..., LiveServer],
    database_url: str,
    artifacts: Path,
    backend: str,
) -> None:
    tenant = prepare(database_url)
    server = live_server()
    with phone() as page:
        response = page.goto(session_url(server, tenant))
        assert response is not None and response.status == 200
        assert page.url == server.url + "/webview/page"
        assert page.get_by_role("heading", level=1).inner_text() == "Join Lion Rewards"
        assert page.get_by_role("link", name="Join now").is_visible()
        assert page.get_by_role("heading", name="Ways to earn").is_visible()
        assert "5 points per $1" in page.locator("main").inner_text()
        assert_accessible(page)
        page.screenshot(path=artifacts / f"webview-guest-{backend}.png", full_page=True)


def test_customer_page_shows_the_balance_in_german_and_euros(
    live_server: Callable[..., LiveServer],
    database_url: str,
    artifacts: Path,
    backend: str,
) -> None:
    tenant = prepare(database_url, with_customer=("kunde-1", 1250))
    server = live_server()
    url = session_url(
        server,
        tenant,
        language="de",
        currency="eur",
        customer={"merchant_id": "kunde-1", "email": "kunde@example.com"},
    )
    with phone() as page:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("heading", level=1).text_content() == "Deine Punkte"
        assert page.get_by_test_id("balance").inner_text().split() == ["1.250", "Punkte"]
        text = page.locator("main").inner_text()
        assert "5 Punkte pro 1\xa0€" in text
        assert "Du hast genug Punkte für diese Prämie" in text
        assert "Noch 750 Punkte" in text
        page.reload()  # the visit cookie keeps the page working without the URL token
        assert page.get_by_test_id("balance").is_visible()
        assert_accessible(page)
        page.screenshot(path=artifacts / f"webview-customer-de-{backend}.png", full_page=True)


def css_colour(page: Page, selector: str, property_name: str) -> str:
    """A computed colour as ``#rrggbb`` (Chromium reports ``rgb(r, g, b)``)."""
    value = str(
        page.eval_on_selector(
            selector, f"e => getComputedStyle(e).getPropertyValue('{property_name}')"
        )
    )
    r, g, b = (int(part) for part in value[value.index("(") + 1 : value.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def test_theme_colours_style_the_page_and_keep_text_readable(
    live_server: Callable[..., LiveServer],
    database_url: str,
    artifacts: Path,
    backend: str,
) -> None:
    tenant = prepare(
        database_url,
        theme={"primary_colour": "#ffd600", "background_colour": "#fffdf5"},
    )
    server = live_server()
    with phone() as page:
        page.goto(session_url(server, tenant))
        assert css_colour(page, ".hero", "background-color") == "#ffd600"
        assert css_colour(page, "body", "background-color") == "#fffdf5"
        hero_text = css_colour(page, ".hero h1", "color")
        assert contrast(hero_text, "#ffd600") >= 4.5  # dark text on the yellow brand colour
        button = (
            css_colour(page, ".button", "color"),
            css_colour(page, ".button", "background-color"),
        )
        assert contrast(*button) >= 4.5
        assert_accessible(page)
        page.screenshot(path=artifacts / f"webview-theme-{backend}.png", full_page=True)


def test_expired_link_shows_the_expiry_page(
    live_server: Callable[..., LiveServer],
    database_url: str,
    artifacts: Path,
    backend: str,
) -> None:
    tenant = prepare(database_url)
    server = live_server(env={"TESSERA_WEBVIEW_SESSION_TTL": "1"})
    url = session_url(server, tenant)
    time.sleep(1.5)
    with phone() as page:
        response = page.goto(url)
        assert response is not None and response.status == 410
        assert page.get_by_role("heading", level=1).inner_text() == "This link has expired"
        assert_accessible(page)
        page.screenshot(path=artifacts / f"webview-expired-{backend}.png", full_page=True)


def test_page_fits_a_375_pixel_phone_without_horizontal_scroll(
    live_server: Callable[..., LiveServer],
    database_url: str,
    artifacts: Path,
    backend: str,
) -> None:
    tenant = prepare(database_url, with_customer=("c-375", 1250))
    server = live_server()
    with phone() as page:
        page.goto(
            session_url(
                server, tenant, customer={"merchant_id": "c-375", "email": "c-375@example.com"}
            )
        )
        assert page.viewport_size == PHONE
        assert no_horizontal_scroll(page)
        path = artifacts / f"webview-customer-375-{backend}.png"
        page.screenshot(path=path, full_page=True)
        # The README's screenshot is refreshed on request, not on every run.
        if os.environ.get("TESSERA_UPDATE_SCREENSHOTS") == "1" and backend == "sqlite":
            DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SCREENSHOT)


def test_customer_redeems_a_reward_and_sees_the_code_balance_and_history(
    live_server: Callable[..., LiveServer],
    database_url: str,
    artifacts: Path,
    backend: str,
) -> None:
    tenant = prepare(database_url, with_customer=("c-redeem", 1250))
    server = live_server()
    url = session_url(
        server, tenant, customer={"merchant_id": "c-redeem", "email": "c-redeem@example.com"}
    )
    with phone() as page:
        page.goto(url)
        assert page.get_by_test_id("balance").inner_text().split() == ["1,250", "points"]
        # Free shipping (500) and Coffee (1,000) are affordable; the tote bag (2,000) is not.
        assert page.get_by_role("button", name="Redeem Canvas tote bag").count() == 0
        with page.expect_navigation():
            page.get_by_role("button", name="Redeem Free shipping").click()
        assert page.url.startswith(server.url + "/webview/page?claimed=")
        confirmation = page.get_by_test_id("confirmation")
        assert "You redeemed Free shipping" in confirmation.inner_text()
        code = page.get_by_test_id("voucher-code").inner_text()
        assert code.startswith("TSR-") and len(code) == len("TSR-XXXX-XXXX-XXXX-XXXX")
        assert "Your new balance is 750 points." in confirmation.inner_text()
        assert page.get_by_test_id("balance").inner_text().split() == ["750", "points"]
        history = page.get_by_test_id("history").inner_text()
        assert "Free shipping" in history and "-500" in history
        assert code in page.get_by_test_id("claims").inner_text()
        assert_accessible(page)
        path = artifacts / f"webview-redeemed-{backend}.png"
        page.screenshot(path=path, full_page=True)
        if os.environ.get("TESSERA_UPDATE_SCREENSHOTS") == "1" and backend == "sqlite":
            shutil.copyfile(path, DOCS_SCREENSHOT.with_name("loyalty-page-redeemed.png"))
        # Reloading the confirmation does not redeem again (Post/Redirect/Get).
        page.reload()
        assert page.get_by_test_id("balance").inner_text().split() == ["750", "points"]
