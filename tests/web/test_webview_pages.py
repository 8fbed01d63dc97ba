"""The WebView Loyalty Page over HTTP, on both databases: links, cookies, pages, errors."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.config import Settings
from tessera.customers.service import find_customer
from tessera.kit.clock import utcnow
from tessera.store.tables import sites, webview_sessions
from tests.conftest import app_client
from tests.factories import Tenant, make_customer, make_tenant

SESSIONS = "/v2/sites/{site_id}/webviews/sessions"

# Three ways to earn and three rewards (500, 1,000 and 2,000 points), in English and German.
PAGE_PROGRAM: dict[str, object] = {
    "rules": [
        {
            "id": 1,
            "kind": "join_program",
            "points": 100,
            "title": {"en": "Join the program", "de": "Dem Programm beitreten"},
        },
        {
            "id": 2,
            "kind": "purchase",
            "points": 5,
            "per_currency_unit": 1,
            "title": {"en": "Make a purchase", "de": "Einkaufen"},
            "description": {
                "en": "On every order, online or in store.",
                "de": "Bei jeder Bestellung, online oder im Laden.",
            },
        },
        {
            "id": 3,
            "kind": "birthday",
            "points": 250,
            "title": {"en": "Celebrate your birthday", "de": "Geburtstag feiern"},
        },
    ],
    "rewards": [
        {
            "id": 1,
            "kind": "free_shipping_voucher",
            "points": 500,
            "title": {"en": "Free shipping", "de": "Kostenloser Versand"},
        },
        {
            "id": 3,
            "kind": "custom",
            "points": 1000,
            "title": {"en": "Coffee on us", "de": "Kaffee geht auf uns"},
        },
        {
            "id": 2,
            "kind": "custom",
            "points": 2000,
            "title": {"en": "Canvas tote bag", "de": "Stofftasche"},
        },
    ],
}


async def page_tenant(db: AsyncEngine, name: str = "Lion Rewards") -> Tenant:
    return await make_tenant(db, name=name, program=PAGE_PROGRAM)


async def session_path(client: httpx.AsyncClient, tenant: Tenant, **body: object) -> str:
    """Create a WebView session through the Admin API; the path of its URL."""
    response = await client.post(
        SESSIONS.format(site_id=tenant.site.id),
        json={"channel": "app", **body},
        headers=tenant.auth,
    )
    assert response.status_code == 201, response.text
    url: str = response.json()["webview_session"]["url"]
    return url.removeprefix("http://testserver")


async def open_page(client: httpx.AsyncClient, tenant: Tenant, **body: object) -> httpx.Response:
    """Open a fresh session URL and follow its redirect to the page."""
    opened = await client.get(await session_path(client, tenant, **body))
    assert opened.status_code == 303, opened.text
    return await client.get(opened.headers["location"])


def customer(merchant_id: str) -> dict[str, str]:
    return {"merchant_id": merchant_id, "email": f"{merchant_id}@example.com"}


async def test_opening_the_link_sets_a_visit_cookie_and_redirects_to_a_token_free_page(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    path = await session_path(client, tenant)
    token = path.rsplit("/", 1)[1]
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/webview/page"
    assert token not in response.headers["location"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tessera_visit=")
    assert token not in cookie
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "Path=/webview" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "secure" not in attributes  # public URL is plain http in tests


async def test_the_visit_cookie_is_secure_when_the_public_url_is_https(
    settings: Settings, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    async with app_client(settings.with_(public_url="https://loyalty.example.com")) as http:
        url = (
            await http.post(
                SESSIONS.format(site_id=tenant.site.id),
                json={"channel": "app"},
                headers=tenant.auth,
            )
        ).json()["webview_session"]["url"]
        response = await http.get(url.removeprefix("https://loyalty.example.com"))
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


async def test_a_public_url_with_a_path_keeps_redirect_cookie_and_styles_under_it(
    settings: Settings, db: AsyncEngine
) -> None:
    # A proxy serves Tessera at https://shop.example.com/loyalty and strips the prefix.
    tenant = await page_tenant(db)
    public = "https://shop.example.com/loyalty"
    async with app_client(settings.with_(public_url=public)) as http:
        url = (
            await http.post(
                SESSIONS.format(site_id=tenant.site.id),
                json={"channel": "app"},
                headers=tenant.auth,
            )
        ).json()["webview_session"]["url"]
        assert url.startswith(public + "/webview/")
        opened = await http.get(url.removeprefix(public))
        assert opened.headers["location"] == "/loyalty/webview/page"
        assert "Path=/loyalty/webview" in opened.headers["set-cookie"]
        # The client keeps cookies by path; the app behind the proxy sees /webview/page.
        http.cookies.set("tessera_visit", opened.cookies["tessera_visit"], path="/webview")
        page = await http.get("/webview/page")
    assert 'href="/loyalty/webview/static/loyalty.css"' in page.text


async def test_reloading_the_page_keeps_working_for_the_visit(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    first = await open_page(client, tenant)
    second = await client.get("/webview/page")
    assert first.status_code == second.status_code == 200
    assert "Lion Rewards" in second.text


async def test_the_link_can_be_opened_again_while_it_is_valid(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    path = await session_path(client, tenant)
    assert (await client.get(path)).status_code == 303
    assert (await client.get(path)).status_code == 303
    assert (await client.get("/webview/page")).status_code == 200


async def test_every_webview_answer_is_no_store_with_a_strict_policy(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    path = await session_path(client, tenant)
    answers = [
        await client.get(path),
        await client.get("/webview/page"),
        await client.get("/webview/static/loyalty.css"),
        await client.get("/webview/" + "0" * 32),
        await client.get("/webview/no/such/page"),
    ]
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.url
        assert response.headers["referrer-policy"] == "no-referrer", response.url
    page = answers[1]
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # falls back to default-src 'none': no script at all
    assert "<script" not in page.text


async def test_an_unknown_link_shows_the_not_valid_page(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    response = await client.get("/webview/" + "ab" * 16)
    assert response.status_code == 404
    assert "This link is not valid" in response.text
    assert "set-cookie" not in response.headers


async def test_a_tampered_link_shows_the_not_valid_page(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    path = await session_path(client, tenant)
    tampered = path[:-1] + ("0" if path[-1] != "0" else "1")
    response = await client.get(tampered)
    assert response.status_code == 404
    assert "This link is not valid" in response.text


async def test_an_expired_link_shows_the_expired_page_in_the_visitors_language(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    path = await session_path(client, tenant)
    async with db.begin() as conn:
        await conn.execute(
            webview_sessions.update().values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = await client.get(path, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert response.status_code == 410
    assert "Dieser Link ist abgelaufen" in response.text
    assert '<html lang="de">' in response.text
    assert "Traceback" not in response.text


async def test_the_page_without_a_visit_cookie_explains_how_to_open_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/webview/page")
    assert response.status_code == 401
    assert "Please open the loyalty page from the app" in response.text


async def test_a_forged_visit_cookie_is_refused(client: httpx.AsyncClient) -> None:
    client.cookies.set("tessera_visit", "f" * 32, path="/webview")
    response = await client.get("/webview/page")
    assert response.status_code == 401


async def test_an_expired_visit_shows_the_visit_ended_page(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    assert (await open_page(client, tenant)).status_code == 200
    async with db.begin() as conn:
        await conn.execute(
            webview_sessions.update().values(visit_expires_at=utcnow() - timedelta(seconds=1))
        )
    response = await client.get("/webview/page")
    assert response.status_code == 410
    assert "Your visit has ended" in response.text


async def test_the_guest_page_invites_the_shopper_to_join(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    page = (await open_page(client, tenant)).text
    assert "Join Lion Rewards" in page
    assert 'href="https://shop.example.com"' in page
    assert "Your points" not in page
    assert "Make a purchase" in page and "5 points per $1" in page
    assert "Join the program" in page and "100 points" in page
    assert "Free shipping" in page and "500 points" in page
    assert "Canvas tote bag" in page and "2,000 points" in page


async def test_the_customer_page_shows_the_balance_and_what_it_can_redeem(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    await make_customer(db, tenant, "c-1", points=1250)
    page = (await open_page(client, tenant, customer=customer("c-1"))).text
    assert "Your points" in page
    assert '<span class="balance-number">1,250</span>' in page
    assert "Join Lion Rewards" not in page
    assert "You can redeem 2 rewards right now." in page
    assert "You have enough points for this reward" in page  # free shipping costs 500
    assert "750 points to go" in page  # the tote bag costs 2,000


async def test_the_page_speaks_the_sessions_language_and_currency(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    await make_customer(db, tenant, "c-de", points=1)
    page = (
        await open_page(client, tenant, customer=customer("c-de"), language="de", currency="eur")
    ).text
    assert '<html lang="de">' in page
    assert "Deine Punkte" in page
    assert '<span class="balance-unit">Punkt</span>' in page  # singular for one point
    assert "5 Punkte pro 1\xa0€" in page
    assert "Einkaufen" in page and "Stofftasche" in page
    assert "Noch 499 Punkte" in page
    assert "2.000 Punkte" in page


async def test_an_unknown_merchant_id_becomes_a_customer_on_first_use(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    path = await session_path(client, tenant, customer=customer("new-42"))
    async with db.connect() as conn:
        assert await find_customer(conn, tenant.program_id, "new-42") is None
    assert (await client.get(path)).status_code == 303
    async with db.connect() as conn:
        created = await find_customer(conn, tenant.program_id, "new-42")
    assert created is not None
    assert created.email == "new-42@example.com"
    assert created.state == "enrolled"  # the program enrols automatically


async def test_a_new_customer_earns_the_join_points_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    page = (await open_page(client, tenant, customer=customer("new-43"))).text
    assert '<span class="balance-number">100</span>' in page  # join_program: 100 points
    again = (await open_page(client, tenant, customer=customer("new-43"))).text
    assert '<span class="balance-number">100</span>' in again


async def test_a_new_merchant_id_with_another_customers_email_is_refused_clearly(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    await make_customer(db, tenant, "owner-1", email="taken@example.com")
    path = await session_path(
        client, tenant, customer={"merchant_id": "intruder-2", "email": "taken@example.com"}
    )
    response = await client.get(path)
    assert response.status_code == 409
    assert "Your account could not be opened" in response.text
    assert "set-cookie" not in response.headers
    async with db.connect() as conn:
        assert await find_customer(conn, tenant.program_id, "intruder-2") is None


async def test_a_visit_only_ever_shows_its_own_customer(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    lions = await page_tenant(db)
    tigers = await page_tenant(db, "Tiger Club")
    # Same merchant id in two programs: different customers, different balances.
    await make_customer(db, lions, "shared-1", points=111)
    await make_customer(db, tigers, "shared-1", points=999)
    await make_customer(db, lions, "other-2", points=777)
    page = (await open_page(client, lions, customer=customer("shared-1"))).text
    assert '<span class="balance-number">111</span>' in page
    assert "Lion Rewards" in page
    assert "Tiger Club" not in page
    assert "999" not in page and "777" not in page


async def test_the_theme_sets_the_colours_and_keeps_button_text_readable(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    async with db.begin() as conn:
        await conn.execute(
            sites.update()
            .where(sites.c.id == tenant.site.id)
            .values(
                theme={
                    "primary_colour": "#FFD600",
                    "logo_url": "https://cdn.example.com/logo.png",
                    "text_colour": "red;}</style><script>alert(1)</script>",
                }
            )
        )
    response = await open_page(client, tenant)
    page = response.text
    assert "--primary:#ffd600;--on-primary:#111111;" in page  # dark text on yellow
    assert "--text:#1f2933;" in page  # the broken colour fell back to the default
    assert "<script" not in page
    assert 'src="https://cdn.example.com/logo.png"' in page
    assert (
        "img-src 'self' data: https://cdn.example.com"
        in response.headers["content-security-policy"]
    )
