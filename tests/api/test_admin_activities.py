"""Admin API v2 activities: tracking, the state a merchant moves them through, and the listing,
on both databases; every JSON body checked against the contract."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import create_key
from tessera.customers.service import find_customer, update_customer
from tessera.loyalty import ledger
from tessera.programs.sites import create_site
from tessera.store.tables import activities, ledger_entries
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_tenant

ACTIVITIES = "/v2/activities"
UPDATE = "/v2/activities/{name}/{merchant_id}"
HEADLESS = "/headless/2025-06"


def rule(rule_id: int, kind: str, points: int, **more: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "kind": kind,
        "points": points,
        "title": {"en": f"Rule {rule_id}"},
        **more,
    }


PROGRAM: dict[str, Any] = {
    "rules": [
        rule(1, "join_program", 100),
        rule(2, "review", 50, limit={"count": 2}),
        rule(3, "clickthrough", 10, destination_url="https://shop.example.com/blog"),
        rule(4, "custom", 30, name="write_guide"),
        rule(5, "birthday", 200),
        rule(6, "newsletter_signup", 25),
        rule(7, "facebook_like", 5, facebook_like_url="https://facebook.com/shop"),
        rule(8, "twitter_follow", 6, twitter_handle="shop"),
        rule(9, "instagram_follow", 7, instagram_handle="shop"),
        rule(10, "tiktok_follow", 8, tiktok_handle="shop"),
        rule(11, "referral", 40),
        rule(12, "pageview", 1, page_url="*/products/*"),
        rule(13, "loyalty_pass_install", 15),
        rule(14, "custom", 20, name="moderated_photo", approval="pending"),
        rule(15, "purchase", 5),
    ]
}
JOIN = 100


async def tenant_of(db: AsyncEngine, **options: Any) -> Tenant:
    return await make_tenant(db, program=PROGRAM, rate_limit="1000/second", **options)


async def track(
    client: httpx.AsyncClient,
    tenant: Tenant,
    name: str,
    merchant_id: str | None = None,
    *,
    customer: str = "c1",
    status: int = 201,
    **more: Any,
) -> httpx.Response:
    body: dict[str, Any] = {
        "name": name,
        "customer_id": customer,
        "customer_email": f"{customer}@example.com",
        **more,
    }
    if merchant_id is not None:
        body["merchant_id"] = merchant_id
    response = await client.post(ACTIVITIES, json=body, headers=tenant.auth)
    assert response.status_code == status, response.text
    if status == 201:
        assert response.content == b""
    else:
        assert_matches_contract("admin-v2", "post", ACTIVITIES, status, response.json())
    return response


async def update(
    client: httpx.AsyncClient, tenant: Tenant, name: str, merchant_id: str, state: str, status: int
) -> None:
    response = await client.put(
        f"{ACTIVITIES}/{name}/{merchant_id}", json={"state": state}, headers=tenant.auth
    )
    assert response.status_code == status, response.text
    if status != 204:
        assert_matches_contract("admin-v2", "put", UPDATE, status, response.json())


async def listed(client: httpx.AsyncClient, tenant: Tenant, query: str = "") -> dict[str, Any]:
    response = await client.get(f"{ACTIVITIES}?{query}", headers=tenant.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_matches_contract("admin-v2", "get", ACTIVITIES, 200, body)
    return body


async def balances(db: AsyncEngine, tenant: Tenant, merchant_id: str = "c1") -> ledger.Balances:
    async with db.connect() as conn:
        customer = await find_customer(conn, tenant.program_id, merchant_id)
        assert customer is not None
        return await ledger.balances(conn, customer.id)


BUILT_IN = [
    ("$signup", {}, 1, JOIN),
    ("$birthday", {}, 5, 200),
    ("$newsletter_signup", {}, 6, 25),
    ("$clickthrough", {"url": "https://shop.example.com/blog/"}, 3, 10),
    ("$pageview", {"url": "https://shop.example.com/products/tote"}, 12, 1),
    ("$facebook_like", {}, 7, 5),
    ("$twitter_follow", {}, 8, 6),
    ("$instagram_follow", {}, 9, 7),
    ("$tiktok_follow", {}, 10, 8),
    ("$referral", {}, 11, 40),
    ("$loyalty_pass_install", {}, 13, 15),
]


@pytest.mark.parametrize(("name", "properties", "rule_id", "points"), BUILT_IN)
async def test_a_built_in_activity_completes_its_rule(
    client: httpx.AsyncClient,
    db: AsyncEngine,
    name: str,
    properties: dict[str, Any],
    rule_id: int,
    points: int,
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, name, "a1", properties=properties)
    # A new customer is enrolled (auto_enrol) and earns joining too.
    assert (await balances(db, tenant)).approved == (JOIN if name == "$signup" else JOIN + points)
    [activity] = (await listed(client, tenant))["activities"]
    assert activity["rule"] == {"id": rule_id, "name": name, "title": f"Rule {rule_id}"}
    assert (activity["value"], activity["state"], activity["merchant_id"]) == (
        points,
        "approved",
        "a1",
    )
    assert activity["customer"]["merchant_id"] == "c1"
    assert activity["flow"] is None


async def test_a_review_starts_pending_and_shows_in_the_headless_points_pending(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1")
    assert await balances(db, tenant) == ledger.Balances(approved=JOIN, pending=50, spent=0)
    response = await client.get(
        f"{HEADLESS}/{tenant.site.id}/customers/c1?channel=web", headers=tenant.auth
    )
    assert response.json()["customer"]["points_pending"] == 50
    [activity] = (await listed(client, tenant))["activities"]
    assert (activity["state"], activity["value"]) == ("pending", 50)
    assert activity["customer"]["points_pending"] == 50


async def test_a_custom_rule_is_tracked_by_its_name(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "write_guide", "g1")
    assert (await balances(db, tenant)).approved == JOIN + 30
    [activity] = (await listed(client, tenant))["activities"]
    assert activity["rule"]["id"] == 4


async def test_a_custom_rule_with_approval_pending_starts_pending(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "moderated_photo", "p1")
    assert (await balances(db, tenant)).pending == 20


@pytest.mark.parametrize(
    ("name", "properties", "field"),
    [
        ("$unknown", {}, "name"),
        ("no_such_rule", {}, "name"),
        ("$purchase", {}, "name"),
        ("$clickthrough", {}, "properties.url"),
    ],
)
async def test_an_activity_this_program_cannot_match_is_a_400_naming_the_field(
    client: httpx.AsyncClient, db: AsyncEngine, name: str, properties: dict[str, Any], field: str
) -> None:
    tenant = await tenant_of(db)
    response = await track(client, tenant, name, properties=properties, status=400)
    assert field in response.json()["error"]["details"]
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(activities)) == 0


async def test_a_clickthrough_to_another_url_is_recorded_without_a_rule(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$clickthrough", properties={"url": "https://elsewhere.example"})
    [activity] = (await listed(client, tenant))["activities"]
    assert activity["rule"] == {"id": None, "name": None, "title": None}
    assert activity["value"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": "c1", "customer_email": "c1@example.com"}, "name"),
        ({"name": "$review", "customer_email": "c1@example.com"}, "customer_id"),
        ({"name": "$review", "customer_id": "c1"}, "customer_email"),
        ({"name": "$review", "customer_id": "c1", "customer_email": "nope"}, "customer_email"),
        ({"name": "$review", "customer_id": "c\x00", "customer_email": "c@x.io"}, "customer_id"),
        ({"name": "$review", "customer_id": "c1", "customer_email": "c@x.io", "guest": 1}, "guest"),
        ({"name": "$review", "customer_id": "c", "customer_email": "c@x.io", "date": "x"}, "date"),
        (
            {"name": "$review", "customer_id": "c", "customer_email": "c@x.io", "merchant_id": ""},
            "merchant_id",
        ),
        (
            {
                "name": "$review",
                "customer_id": "c1",
                "customer_email": "c@x.io",
                "properties": {"text": "x" * 5000},
            },
            "properties",
        ),
        ({"name": "x" * 101, "customer_id": "c1", "customer_email": "c@x.io"}, "name"),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(
    client: httpx.AsyncClient, db: AsyncEngine, body: dict[str, Any], field: str
) -> None:
    tenant = await tenant_of(db)
    response = await client.post(ACTIVITIES, json=body, headers=tenant.auth)
    assert response.status_code == 400, response.text
    assert_matches_contract("admin-v2", "post", ACTIVITIES, 400, response.json())
    assert field in response.json()["error"]["details"]


async def test_a_pending_activity_approved_then_voided_gives_then_takes_back_its_points(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1")
    await update(client, tenant, "$review", "r1", "approved", 204)
    assert await balances(db, tenant) == ledger.Balances(approved=JOIN + 50, pending=0, spent=0)
    await update(client, tenant, "$review", "r1", "void", 204)
    assert await balances(db, tenant) == ledger.Balances(approved=JOIN, pending=0, spent=0)
    [activity] = (await listed(client, tenant))["activities"]
    assert activity["state"] == "void"


async def test_a_pending_activity_declined_voids_its_points(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1")
    await update(client, tenant, "review", "r1", "declined", 204)  # the path may omit the $
    assert await balances(db, tenant) == ledger.Balances(approved=JOIN, pending=0, spent=0)
    [activity] = (await listed(client, tenant))["activities"]
    assert activity["state"] == "declined"


async def test_declined_on_an_approved_activity_is_void(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "write_guide", "g1")
    await update(client, tenant, "write_guide", "g1", "declined", 204)
    assert (await balances(db, tenant)).approved == JOIN
    [activity] = (await listed(client, tenant))["activities"]
    assert activity["state"] == "void"


async def test_the_same_state_again_changes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1")
    for _ in range(2):
        await update(client, tenant, "$review", "r1", "approved", 204)
    assert (await balances(db, tenant)).approved == JOIN + 50
    for _ in range(2):
        await update(client, tenant, "$review", "r1", "void", 204)
    await update(client, tenant, "$review", "r1", "declined", 204)
    assert (await balances(db, tenant)).approved == JOIN
    async with db.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(ledger_entries))
    assert count == 1 + 1 + 2 + 1  # joining, the review, its approval, its take-back


async def test_approving_a_declined_activity_is_a_409(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1")
    await update(client, tenant, "$review", "r1", "declined", 204)
    await update(client, tenant, "$review", "r1", "approved", 409)
    assert (await balances(db, tenant)).pending == 0


async def test_a_void_takes_back_only_what_is_left_and_records_the_rest(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "write_guide", "g1")
    async with db.begin() as conn:
        customer = await find_customer(conn, tenant.program_id, "c1")
        assert customer is not None
        spend = -(JOIN + 10)
        await ledger.record(
            conn,
            program_id=tenant.program_id,
            customer_id=customer.id,
            points=spend,
            state="spent",
            reason="test",
        )
    await update(client, tenant, "write_guide", "g1", "void", 204)
    assert (await balances(db, tenant)).approved == 0
    async with db.connect() as conn:
        short = await conn.scalar(sa.select(activities.c.points_not_taken_back))
    assert short == 10


async def test_an_unknown_activity_is_a_404(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1")
    await update(client, tenant, "$review", "r2", "approved", 404)
    await update(client, tenant, "write_guide", "r1", "approved", 404)


async def test_a_guest_earns_nothing_but_the_activity_is_recorded(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "write_guide", "g1", guest=True)
    assert await balances(db, tenant) == ledger.Balances(approved=0, pending=0, spent=0)
    [activity] = (await listed(client, tenant))["activities"]
    assert (activity["rule"]["id"], activity["value"]) == (4, 0)


async def test_a_blocked_customer_earns_nothing_but_the_activity_is_recorded(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$signup", "s1")
    async with db.begin() as conn:
        customer = await find_customer(conn, tenant.program_id, "c1")
        assert customer is not None
        await update_customer(conn, customer, state="blocked")
    await track(client, tenant, "write_guide", "g1")
    assert (await balances(db, tenant)).approved == JOIN
    assert len((await listed(client, tenant))["activities"]) == 2


async def test_rule_limits_hold_and_a_declined_review_does_not_count(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1")
    await update(client, tenant, "$review", "r1", "declined", 204)
    for merchant_id in ("r2", "r3", "r4"):  # the rule's limit is two
        await track(client, tenant, "$review", merchant_id)
    assert (await balances(db, tenant)).pending == 100
    values = [a["value"] for a in (await listed(client, tenant))["activities"]]
    assert values == [0, 50, 50, 50]  # newest first; the declined one keeps its value


async def test_tracking_the_same_merchant_id_again_records_and_awards_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    for _ in range(2):
        await track(client, tenant, "write_guide", "g1")
    assert (await balances(db, tenant)).approved == JOIN + 30
    assert len((await listed(client, tenant))["activities"]) == 1


async def test_the_list_pages_newest_first_with_cursors_and_a_link_header(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    for n in range(5):
        await track(client, tenant, "write_guide", f"g{n}")
    seen: list[str] = []
    response = await client.get(f"{ACTIVITIES}?limit=2", headers=tenant.auth)
    while True:
        assert response.status_code == 200
        body = response.json()
        assert_matches_contract("admin-v2", "get", ACTIVITIES, 200, body)
        seen += [activity["merchant_id"] for activity in body["activities"]]
        if body["cursor"]["next"] is None:
            break
        assert 'rel="next"' in response.headers["link"]
        response = await client.get(
            f"{ACTIVITIES}?cursor={body['cursor']['next']}&limit=2", headers=tenant.auth
        )
    assert seen == ["g4", "g3", "g2", "g1", "g0"]
    since = await listed(client, tenant, "since_id=0&limit=2")
    assert [a["merchant_id"] for a in since["activities"]] == ["g0", "g1"]


async def test_the_list_filters_by_creation_time(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "write_guide", "g1")
    assert len((await listed(client, tenant, "created_at_min=2000-01-01"))["activities"]) == 1
    assert (await listed(client, tenant, "created_at_max=2000-01-01"))["activities"] == []
    response = await client.get(f"{ACTIVITIES}?created_at_min=soon", headers=tenant.auth)
    assert response.status_code == 400
    assert "created_at_min" in response.json()["error"]["details"]


async def test_another_programs_activities_are_not_found_nor_listed(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    alpha, bravo = await tenant_of(db), await tenant_of(db, name="Bravo")
    await track(client, bravo, "$review", "r1")
    await update(client, alpha, "$review", "r1", "approved", 404)
    assert (await listed(client, alpha))["activities"] == []
    response = await client.post(
        f"{ACTIVITIES}?site_id={bravo.site.id}",
        json={"name": "$review", "customer_id": "c9", "customer_email": "c9@example.com"},
        headers=alpha.auth,
    )
    assert response.status_code == 404
    assert (await balances(db, bravo)).pending == 50


async def test_a_program_with_several_sites_needs_site_id(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    async with db.begin() as conn:
        await create_site(
            conn, tenant.program_id, name="Second", languages=["en"], currencies=["usd"]
        )
    response = await track(client, tenant, "write_guide", "g1", status=400)
    assert "site_id" in response.json()["error"]["details"]
    response = await client.post(
        f"{ACTIVITIES}?site_id={tenant.site.id}",
        json={"name": "write_guide", "customer_id": "c1", "customer_email": "c1@example.com"},
        headers=tenant.auth,
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("scopes", "post", "get"),
    [(["read_customers"], 403, 200), (["write_customers"], 201, 200), (["read_orders"], 403, 403)],
)
async def test_scopes(
    client: httpx.AsyncClient, db: AsyncEngine, scopes: list[str], post: int, get: int
) -> None:
    tenant = await tenant_of(db)
    async with db.begin() as conn:
        key = await create_key(conn, tenant.program_id, scopes)
    headers = {"Authorization": f"Bearer {key.secret}"}
    body = {"name": "write_guide", "customer_id": "c1", "customer_email": "c1@example.com"}
    assert (await client.post(ACTIVITIES, json=body, headers=headers)).status_code == post
    assert (await client.get(ACTIVITIES, headers=headers)).status_code == get
    response = await client.put(f"{ACTIVITIES}/x/y", json={"state": "void"}, headers=headers)
    assert response.status_code == (404 if post == 201 else 403)


async def test_the_same_activity_from_two_workers_at_once_is_recorded_and_awarded_once(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    server = live_server(workers=2)
    tenant = await tenant_of(db)
    body = {
        "name": "write_guide",
        "merchant_id": "g1",
        "customer_id": "c1",
        "customer_email": "c1@example.com",
    }
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

        async def post() -> int:
            response = await http.post(ACTIVITIES, json=body, headers=tenant.auth)
            status: int = response.status_code
            return status

        statuses = Counter(await asyncio.gather(*(post() for _ in range(8))))
    assert statuses == Counter({201: 8})
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(activities)) == 1
    assert (await balances(db, tenant)).approved == JOIN + 30


async def test_a_tracked_activitys_transactions_show_the_activity_as_it_is_now(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await tenant_of(db)
    await track(client, tenant, "$review", "r1", guest=False)
    await update(client, tenant, "$review", "r1", "approved", 204)
    response = await client.get("/v2/transactions", headers=tenant.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_matches_contract("admin-v2", "get", "/v2/transactions", 200, body)
    activity_id = (await listed(client, tenant))["activities"][0]["id"]
    review = [
        t for t in body["transactions"] if t["activity"] and t["activity"]["merchant_id"] == "r1"
    ]
    # Earned pending, then approved: -50 pending and +50 approved, all of the one activity.
    assert sorted((t["points_pending"], t["points_approved"]) for t in review) == [
        (-50, 0),
        (0, 50),
        (50, 0),
    ]
    assert {t["activity"]["id"] for t in review} == {activity_id}
    assert {t["activity"]["state"] for t in review} == {"approved"}
    assert {t["activity"]["value"] for t in review} == {50}
