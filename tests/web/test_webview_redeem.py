"""Redeeming on the Loyalty Page over HTTP, on both databases: the engine's redemption behind a
plain form with a per-visit CSRF token, Post/Redirect/Get, tiers, channels and blocked members."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.loyalty.ledger import approved_balance
from tessera.store.tables import claimed_rewards, customers
from tests.factories import Tenant, make_customer, make_tenant
from tests.web.test_webview_pages import (
    PAGE_PROGRAM,
    customer,
    open_page,
    page_tenant,
    session_path,
)

REDEEM = "/webview/page/rewards/{reward_id}/redeem"
FREE_SHIPPING = 1  # 500 points in PAGE_PROGRAM
TOTE_BAG = 2  # 2,000 points

# Silver from 0 points earned, Gold from 1,000; Gold members pay less for free shipping, do not
# see the tote bag, earn more for their birthday. One reward and one rule are not on mobile.
TIERED_PROGRAM: dict[str, object] = {
    "tiers": {
        "boundary_mode": "points",
        "levels": [
            {"id": 1, "name": {"en": "Silver"}, "lower_bound": 0},
            {"id": 2, "name": {"en": "Gold"}, "lower_bound": 1000},
        ],
    },
    "rules": [
        {
            "id": 1,
            "kind": "birthday",
            "points": 250,
            "title": {"en": "Celebrate your birthday"},
            "tier_variants": [{"tier_id": 2, "points": 400}],
        },
        {
            "id": 2,
            "kind": "newsletter_signup",
            "points": 50,
            "title": {"en": "Sign up at the till"},
            "channels": ["pos"],
        },
    ],
    "rewards": [
        {
            "id": 1,
            "kind": "free_shipping_voucher",
            "points": 500,
            "title": {"en": "Free shipping"},
            "tier_variants": [{"tier_id": 2, "points": 300, "title": {"en": "Gold shipping"}}],
        },
        {
            "id": 2,
            "kind": "custom",
            "points": 2000,
            "title": {"en": "Canvas tote bag"},
            "tier_variants": [{"tier_id": 2, "enabled": False}],
        },
        {
            "id": 3,
            "kind": "custom",
            "points": 100,
            "title": {"en": "Web-only sticker"},
            "channels": ["web"],
        },
        {
            "id": 4,
            "kind": "cart_variable_discount_voucher",
            "points": 100,
            "title": {"en": "Points off your order"},
            "minimum_discount": {"usd": 1},
            "maximum_discount": {"usd": 50},
        },
    ],
}


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]*)"', page)
    assert found is not None, "the page has no redeem form"
    return found.group(1)


async def redeem(
    client: httpx.AsyncClient, reward_id: int, token: str | None, **headers: str
) -> httpx.Response:
    data = {} if token is None else {"csrf_token": token}
    return await client.post(REDEEM.format(reward_id=reward_id), data=data, headers=headers)


async def balance(db: AsyncEngine, tenant: Tenant, merchant_id: str) -> int:
    async with db.connect() as conn:
        customer_id = await conn.scalar(
            sa.select(customers.c.id).where(
                customers.c.program_id == tenant.program_id, customers.c.merchant_id == merchant_id
            )
        )
        assert customer_id is not None
        return await approved_balance(conn, customer_id)


async def claims(db: AsyncEngine, tenant: Tenant) -> int:
    async with db.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count()).where(claimed_rewards.c.program_id == tenant.program_id)
        )
    return int(count or 0)


async def member_page(
    client: httpx.AsyncClient, db: AsyncEngine, points: int, merchant_id: str = "c-1"
) -> tuple[Tenant, str]:
    tenant = await page_tenant(db)
    await make_customer(db, tenant, merchant_id, points=points)
    page = await open_page(client, tenant, customer=customer(merchant_id))
    assert page.status_code == 200
    return tenant, page.text


async def test_redeeming_shows_the_voucher_code_the_new_balance_and_the_history(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250)
    answer = await redeem(client, FREE_SHIPPING, csrf_of(page))
    assert answer.status_code == 303
    assert re.fullmatch(r"/webview/page\?claimed=\d+", answer.headers["location"])
    shown = (await client.get(answer.headers["location"])).text
    assert "You redeemed Free shipping" in shown
    code = re.search(r'data-testid="voucher-code">(TSR(?:-[A-Z2-9]{4}){4})<', shown)
    assert code is not None
    assert "Your new balance is 750 points." in shown
    assert '<span class="balance-number">750</span>' in shown
    history = shown[shown.index('data-testid="history"') :]
    assert "Free shipping" in history and "-500" in history
    claimed = shown[shown.index('data-testid="claims"') :]
    assert code.group(1) in claimed
    assert await balance(db, tenant, "c-1") == 750


async def test_a_redeem_without_the_csrf_token_is_refused_and_spends_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, _ = await member_page(client, db, 1250)
    answer = await redeem(client, FREE_SHIPPING, None)
    assert answer.status_code == 403
    assert "This form could not be accepted" in answer.text
    assert await balance(db, tenant, "c-1") == 1250
    assert await claims(db, tenant) == 0


async def test_a_redeem_with_a_wrong_csrf_token_is_refused_and_spends_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250)
    token = csrf_of(page)
    wrong = ("0" if token[0] != "0" else "1") + token[1:]
    for attempt in (wrong, "", "ü" * 64):
        assert (await redeem(client, FREE_SHIPPING, attempt)).status_code == 403
    assert await balance(db, tenant, "c-1") == 1250
    assert await claims(db, tenant) == 0


async def test_a_token_from_an_earlier_visit_is_refused(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250)
    old_token = csrf_of(page)
    # Opening the link again starts a new visit: new cookie, new token.
    await open_page(client, tenant, customer=customer("c-1"))
    assert (await redeem(client, FREE_SHIPPING, old_token)).status_code == 403
    assert await claims(db, tenant) == 0


async def test_a_form_posted_from_another_site_is_refused_even_with_the_token(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250)
    token = csrf_of(page)
    answer = await redeem(client, FREE_SHIPPING, token, origin="https://evil.example.com")
    assert answer.status_code == 403
    answer = await redeem(client, FREE_SHIPPING, token, referer="https://evil.example.com/x")
    assert answer.status_code == 403
    assert await claims(db, tenant) == 0
    # Our own origin, and the "null" origin a no-referrer page sends, are fine.
    assert (await redeem(client, FREE_SHIPPING, token, origin="http://testserver")).is_redirect
    assert (await redeem(client, FREE_SHIPPING, token, origin="null")).is_redirect
    assert await claims(db, tenant) == 2


async def test_the_page_carries_the_token_and_allows_posting_only_to_itself(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, page = await member_page(client, db, 1250)
    assert len(csrf_of(page)) == 64
    answer = await client.get("/webview/page")
    assert "form-action 'self'" in answer.headers["content-security-policy"]
    assert 'action="/webview/page/rewards/1/redeem"' in answer.text
    assert "<script" not in answer.text
    for tag in ("div", "section", "form", "li", "ul"):
        opened = len(re.findall(f"<{tag}[ >]", answer.text))
        assert opened == answer.text.count(f"</{tag}>"), tag


async def test_too_few_points_show_a_message_and_spend_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250)
    # The tote bag has no button at 1,250 points; a forged post for it is refused by the engine.
    assert 'action="/webview/page/rewards/2/redeem"' not in page
    answer = await redeem(client, TOTE_BAG, csrf_of(page))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/webview/page?problem=insufficient_points"
    shown = await client.get(answer.headers["location"])
    assert shown.status_code == 200
    assert "Your reward could not be redeemed" in shown.text
    assert "You do not have enough points for this reward yet." in shown.text
    assert await balance(db, tenant, "c-1") == 1250
    assert await claims(db, tenant) == 0


async def test_an_unknown_reward_reads_as_not_available(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250)
    answer = await redeem(client, 999, csrf_of(page))
    assert answer.headers["location"] == "/webview/page?problem=reward_not_available"
    shown = (await client.get(answer.headers["location"])).text
    assert "This reward is not available to you here." in shown
    assert await claims(db, tenant) == 0


async def test_the_problem_messages_are_translated(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    await make_customer(db, tenant, "k-1", points=600)
    page = await open_page(client, tenant, customer=customer("k-1"), language="de")
    answer = await redeem(client, TOTE_BAG, csrf_of(page.text))
    shown = (await client.get(answer.headers["location"])).text
    assert "Du hast noch nicht genug Punkte für diese Prämie." in shown


async def test_parallel_redeems_against_one_balance_never_overspend(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    # 1,200 points pay for free shipping (500) twice, not five times.
    tenant, page = await member_page(client, db, 1200)
    token = csrf_of(page)
    answers = await asyncio.gather(*(redeem(client, FREE_SHIPPING, token) for _ in range(5)))
    outcomes = Counter(answer.headers["location"].split("=")[0] for answer in answers)
    assert outcomes == Counter({"/webview/page?claimed": 2, "/webview/page?problem": 3})
    assert await balance(db, tenant, "c-1") == 200
    assert await claims(db, tenant) == 2


async def test_parallel_redeems_across_two_workers_never_overspend(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    server = live_server(workers=2)
    tenant = await page_tenant(db)
    await make_customer(db, tenant, "c-2w", points=1200)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        body = {"channel": "app", "customer": customer("c-2w")}
        created = await http.post(
            f"/v2/sites/{tenant.site.id}/webviews/sessions", json=body, headers=tenant.auth
        )
        opened = await http.get(created.json()["webview_session"]["url"])
        visit = opened.cookies["tessera_visit"]
        token = csrf_of((await http.get(opened.headers["location"])).text)

        async def post() -> str:
            answer = await http.post(
                REDEEM.format(reward_id=FREE_SHIPPING),
                data={"csrf_token": token},
                headers={"cookie": f"tessera_visit={visit}", "origin": server.url},
                follow_redirects=False,
            )
            assert answer.status_code == 303, answer.text
            return answer.headers["location"].split("=")[0]

        outcomes = Counter(await asyncio.gather(*(post() for _ in range(6))))
    assert outcomes == Counter({"/webview/page?claimed": 2, "/webview/page?problem": 4})
    assert await balance(db, tenant, "c-2w") == 200


async def test_a_tiered_member_sees_their_tiers_variants_and_progress(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, program=TIERED_PROGRAM)
    await make_customer(db, tenant, "gold-1", points=1500)
    page = (await open_page(client, tenant, customer=customer("gold-1"))).text
    assert 'data-testid="tier">Gold<' in page
    assert "You are in the highest tier." in page
    assert "Gold shipping" in page and "300 points" in page
    assert "Free shipping" not in page
    assert "Canvas tote bag" not in page  # disabled for Gold
    assert "400 points" in page  # Gold's birthday
    answer = await redeem(client, FREE_SHIPPING, csrf_of(page))
    shown = (await client.get(answer.headers["location"])).text
    assert "You redeemed Gold shipping" in shown
    assert await balance(db, tenant, "gold-1") == 1200


async def test_a_lower_tier_member_sees_the_way_to_the_next_tier(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, program=TIERED_PROGRAM)
    await make_customer(db, tenant, "silver-1", points=600)
    page = (await open_page(client, tenant, customer=customer("silver-1"))).text
    assert 'data-testid="tier">Silver<' in page
    assert "Earn 400 more points to reach Gold." in page
    assert '<progress class="meter" max="1000.0" value="600.0"' in page
    assert "Free shipping" in page and "Canvas tote bag" in page


async def test_guests_see_the_base_variants_on_the_mobile_channel(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, program=TIERED_PROGRAM)
    page = (await open_page(client, tenant)).text
    assert "Free shipping" in page and "500 points" in page
    assert "Canvas tote bag" in page
    assert "250 points" in page  # the base birthday
    assert "Web-only sticker" not in page  # a web reward is not offered in the app
    assert "Sign up at the till" not in page  # a pos rule neither
    assert "<form" not in page


async def test_a_variable_cost_reward_is_shown_without_a_redeem_button(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, program=TIERED_PROGRAM)
    await make_customer(db, tenant, "var-1", points=800)
    page = (await open_page(client, tenant, customer=customer("var-1"))).text
    assert "Points off your order" in page
    assert "Use this reward at checkout in the shop." in page
    assert 'action="/webview/page/rewards/4/redeem"' not in page
    answer = await redeem(client, 4, csrf_of(page))
    assert answer.headers["location"] == "/webview/page?problem=reward_not_available"
    assert await balance(db, tenant, "var-1") == 800


async def test_a_subscription_product_is_shown_without_a_redeem_button(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    from tessera.demo.setup import demo_document_data

    demo = demo_document_data()
    assert isinstance(demo, dict)
    product = next(r for r in demo["rewards"] if r["kind"] == "active_subscription_product")
    rewards = [*TIERED_PROGRAM["rewards"], {**product, "id": 5}]  # type: ignore[misc]
    tenant = await make_tenant(db, program={**TIERED_PROGRAM, "rewards": rewards})
    await make_customer(db, tenant, "sub-1", points=5000)
    page = (await open_page(client, tenant, customer=customer("sub-1"))).text
    assert "Add this reward to your subscription in the shop." in page
    assert 'action="/webview/page/rewards/5/redeem"' not in page
    answer = await redeem(client, 5, csrf_of(page))
    assert answer.headers["location"] == "/webview/page?problem=reward_not_available"
    assert await balance(db, tenant, "sub-1") == 5000


async def test_a_blocked_customer_sees_a_notice_and_no_redeem_buttons(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await page_tenant(db)
    await make_customer(db, tenant, "blocked-1", points=5000)
    async with db.begin() as conn:
        await conn.execute(
            customers.update().where(customers.c.merchant_id == "blocked-1").values(state="blocked")
        )
    page = (await open_page(client, tenant, customer=customer("blocked-1"))).text
    assert "Your account is on hold" in page
    assert "While your account is on hold it earns no points" in page
    assert "<form" not in page and "Redeem" not in page
    assert "Free shipping" in page  # what the program offers is still shown


async def test_a_customer_blocked_after_the_page_loaded_cannot_redeem(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250, "later-1")
    async with db.begin() as conn:
        await conn.execute(
            customers.update().where(customers.c.merchant_id == "later-1").values(state="blocked")
        )
    answer = await redeem(client, FREE_SHIPPING, csrf_of(page))
    assert answer.headers["location"] == "/webview/page?problem=customer_blocked"
    assert await balance(db, tenant, "later-1") == 1250


async def test_redeeming_without_a_visit_or_after_it_ended_is_refused_clearly(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    no_visit = await redeem(client, FREE_SHIPPING, "x")
    assert no_visit.status_code == 401
    assert "Please open the loyalty page from the app" in no_visit.text
    tenant, page = await member_page(client, db, 1250)
    async with db.begin() as conn:
        await conn.execute(sa.text("UPDATE webview_sessions SET visit_expires_at = created_at"))
    ended = await redeem(client, FREE_SHIPPING, csrf_of(page))
    assert ended.status_code == 410
    assert "Your visit has ended" in ended.text
    assert await claims(db, tenant) == 0


async def test_a_confirmation_never_shows_another_customers_claim(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant, page = await member_page(client, db, 1250, "first-1")
    claimed = (await redeem(client, FREE_SHIPPING, csrf_of(page))).headers["location"]
    await make_customer(db, tenant, "second-2", points=1250)
    await open_page(client, tenant, customer=customer("second-2"))
    shown = (await client.get(claimed)).text
    assert "You redeemed" not in shown and "TSR-" not in shown


async def test_the_session_channel_is_the_apps_name_not_an_engine_channel(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, program=PAGE_PROGRAM)
    await make_customer(db, tenant, "ios-1", points=600)
    path = await session_path(client, tenant, channel="my-app.ios", customer=customer("ios-1"))
    opened = await client.get(path)
    page = (await client.get(opened.headers["location"])).text
    answer = await redeem(client, FREE_SHIPPING, csrf_of(page))
    assert re.fullmatch(r"/webview/page\?claimed=\d+", answer.headers["location"])
    async with db.connect() as conn:
        channel = await conn.scalar(sa.select(claimed_rewards.c.channel))
    assert channel == "mobile"
