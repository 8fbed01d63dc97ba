"""Admin API v2 customers: list, update (birthday, blocked), add and remove points, on both
databases; every JSON body checked against the served contract."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.customers.service import find_customer, update_customer
from tessera.loyalty.ledger import approved_balance
from tessera.store.tables import customers, ledger_entries
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_customer, make_tenant
from tests.headless.helpers import PREFIX, demo_tenant, member

LIST = "/v2/customers"
ONE = "/v2/customers/{merchant_id}"
ADD = "/v2/customers/{merchant_id}/points"
REMOVE = "/v2/customers/{merchant_id}/remove_points"


def path(template: str, merchant_id: str) -> str:
    return template.format(merchant_id=merchant_id)


def checked(response: httpx.Response, method: str, template: str, status: int) -> Any:
    assert response.status_code == status, response.text
    body = response.json() if response.content else None
    assert_matches_contract("admin-v2", method, template, status, body)
    return body


async def list_customers(client: httpx.AsyncClient, tenant: Tenant, query: str = "") -> Any:
    response = await client.get(f"{LIST}?{query}", headers=tenant.auth)
    return checked(response, "get", LIST, 200)


async def patch(
    client: httpx.AsyncClient, tenant: Tenant, merchant_id: str, changes: dict[str, Any]
) -> httpx.Response:
    return await client.patch(
        path(ONE, merchant_id), json={"customer": changes}, headers=tenant.auth
    )


# --- list ---------------------------------------------------------------------------------------


async def test_lists_the_full_customer_object_as_the_contract_describes(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1", points=250)
    body = await list_customers(client, tenant)
    assert body["cursor"] == {"prev": None, "next": None}
    [shown] = body["customers"]
    assert shown == {
        "id": made.id,
        "merchant_id": "c1",
        "email": "c1@example.com",
        "points_approved": 250,
        "points_pending": 0,
        "points_spent": 0,
        "properties": {},
        "metadata": {},
        "rewards_claimed": 0,
        "blocked": False,
        "guest": False,
        "enrolled": True,
        "enrolled_at": shown["enrolled_at"],
        "referral_id": made.referral_code,
        "referred_by": None,
        "loyalty_tier_membership": None,
        "insights_segment": None,
        "birthday": None,
        "referral_url": None,
        "linked_merchant_ids": [],
        "created_at": shown["created_at"],
        "updated_at": shown["updated_at"],
    }
    for moment in ("enrolled_at", "created_at", "updated_at"):
        assert shown[moment].endswith("Z")
        datetime.fromisoformat(shown[moment].replace("Z", "+00:00"))


async def test_a_members_tier_referral_link_and_claims_are_shown(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "m1", points=1400)  # 1,500 earned with joining: Silver
    redeemed = await client.post(
        f"{PREFIX}/{tenant.site.id}/rewards/cart_discount_voucher/redeem?channel=web",
        json={"reward_id": 1, "customer_merchant_id": "m1"},
        headers=tenant.auth,
    )
    assert redeemed.status_code == 201, redeemed.text
    [shown] = (await list_customers(client, tenant))["customers"]
    membership = shown["loyalty_tier_membership"]
    assert membership["loyalty_tier"]["lower_bound"] == "1000"
    assert membership["loyalty_tier"]["upper_bound"] == "3000"
    assert membership["loyalty_tier"]["number"] == 2
    assert membership["loyalty_tier"]["position"] == 1
    assert membership["loyalty_tier"]["default"] is False
    assert membership["manual"] is False
    assert shown["rewards_claimed"] == 1
    assert shown["points_spent"] == 500
    assert shown["referral_url"].endswith(f"ll_ref_id={shown['referral_id']}")


async def test_a_referred_customer_names_the_referrer(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "referrer")
    referrer = (await list_customers(client, tenant))["customers"][0]
    incentive = await client.post(
        f"{PREFIX}/{tenant.site.id}/referrals/referee_incentive?channel=web",
        json={
            "referral_id": referrer["referral_id"],
            "referee_email": "Friend@Example.com",
            "ip_address": "127.0.0.1",
            "user_agent": None,
        },
        headers=tenant.auth,
    )
    assert incentive.status_code in (200, 201), incentive.text
    await make_customer(db, tenant, "friend", email="friend@example.com")
    shown = (await list_customers(client, tenant))["customers"]
    friend = next(c for c in shown if c["merchant_id"] == "friend")
    assert friend["referred_by"] == {"id": referrer["id"], "merchant_id": "referrer"}


async def test_lists_newest_first_with_cursors_in_the_body_and_the_link_header(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = [(await make_customer(db, tenant, f"c{n}")).id for n in range(3)]
    response = await client.get(f"{LIST}?limit=2", headers=tenant.auth)
    first = checked(response, "get", LIST, 200)
    assert [c["id"] for c in first["customers"]] == [made[2], made[1]]
    assert first["cursor"]["prev"] is None
    assert response.headers["link"].endswith('limit=2>; rel="next"')
    second = await list_customers(client, tenant, f"cursor={first['cursor']['next']}&limit=2")
    assert [c["id"] for c in second["customers"]] == [made[0]]
    assert second["cursor"]["next"] is None
    back = await list_customers(client, tenant, f"cursor={second['cursor']['prev']}&limit=2")
    assert [c["id"] for c in back["customers"]] == [made[2], made[1]]


async def test_since_id_lists_oldest_first_after_that_id(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = [(await make_customer(db, tenant, f"c{n}")).id for n in range(3)]
    body = await list_customers(client, tenant, f"since_id={made[0]}")
    assert [c["id"] for c in body["customers"]] == made[1:]


async def test_sort_direction_asc_lists_oldest_first(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = [(await make_customer(db, tenant, f"c{n}")).id for n in range(3)]
    first = await list_customers(client, tenant, "sort_direction=asc&sort_field=id&limit=2")
    assert [c["id"] for c in first["customers"]] == made[:2]
    rest = await list_customers(client, tenant, f"cursor={first['cursor']['next']}")
    assert [c["id"] for c in rest["customers"]] == made[2:]


async def test_the_deprecated_page_parameter_skips_whole_pages(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = [(await make_customer(db, tenant, f"c{n}")).id for n in range(5)]
    body = await list_customers(client, tenant, "page=2&limit=2")
    assert [c["id"] for c in body["customers"]] == [made[2], made[1]]
    assert body["cursor"]["prev"] is not None and body["cursor"]["next"] is not None


async def test_the_email_filter_finds_emails_containing_it_ignoring_case(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "a", email="Ann.Smith@Example.com")
    await make_customer(db, tenant, "b", email="bob@example.com")
    await make_customer(db, tenant, "c", email="ann_x@example.com")
    body = await list_customers(client, tenant, "email=ann.s")
    assert [c["merchant_id"] for c in body["customers"]] == ["a"]
    # LIKE's wildcards are plain characters here
    assert (await list_customers(client, tenant, "email=%25"))["customers"] == []
    assert [
        c["merchant_id"] for c in (await list_customers(client, tenant, "email=n_x"))["customers"]
    ] == ["c"]


async def test_created_and_updated_filters_bound_the_listing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    old = await make_customer(db, tenant, "old")
    new = await make_customer(db, tenant, "new")
    then = datetime(2020, 1, 1, tzinfo=UTC)
    async with db.begin() as conn:
        await conn.execute(
            customers.update()
            .where(customers.c.id == old.id)
            .values(created_at=then, updated_at=then + timedelta(days=10))
        )
    query = "created_at_max=2020-01-01T00:00:00Z"
    assert [c["id"] for c in (await list_customers(client, tenant, query))["customers"]] == [old.id]
    query = "created_at_min=2020-01-02"
    assert [c["id"] for c in (await list_customers(client, tenant, query))["customers"]] == [new.id]
    query = "updated_at_min=2020-01-11T00:00:00%2B00:00&updated_at_max=2020-01-11"
    assert [c["id"] for c in (await list_customers(client, tenant, query))["customers"]] == [old.id]
    query = "updated_at_max=2020-01-10"
    assert (await list_customers(client, tenant, query))["customers"] == []


async def test_a_page_of_customers_costs_the_same_queries_however_long_it_is(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def queries_for(limit: int) -> int:
        statements.clear()
        sa.event.listen(db.sync_engine, "before_cursor_execute", count)
        try:
            await list_customers(client, tenant, f"limit={limit}")
        finally:
            sa.event.remove(db.sync_engine, "before_cursor_execute", count)
        return len(statements)

    for n in range(2):
        await make_customer(db, tenant, f"m{n}", points=1500)
    two = await queries_for(2)
    for n in range(2, 8):
        await make_customer(db, tenant, f"m{n}", points=100 * n)
    assert await queries_for(8) == two


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort_field=updated_at", "sort_field"),
        ("sort_direction=up", "sort_direction"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("created_at_min=yesterday", "created_at_min"),
        ("updated_at_max=0001-01-01T00:00:00%2B05:00", "updated_at_max"),
        ("email=a%00b", "email"),
        ("limit=501", "limit"),
    ],
)
async def test_bad_list_parameters_are_a_400_naming_the_parameter(
    client: httpx.AsyncClient, db: AsyncEngine, query: str, field: str
) -> None:
    tenant = await make_tenant(db)
    response = await client.get(f"{LIST}?{query}", headers=tenant.auth)
    body = checked(response, "get", LIST, 400)
    assert field in body["error"]["details"]


async def test_a_since_id_beyond_any_id_lists_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "c1")
    body = await list_customers(client, tenant, "since_id=999999999999999")
    assert body["customers"] == []


async def test_the_list_shows_only_the_keys_own_program(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    mine = await make_tenant(db, name="Mine")
    theirs = await make_tenant(db, name="Theirs")
    await make_customer(db, mine, "same-id")
    await make_customer(db, theirs, "same-id", email="theirs@example.com")
    body = await list_customers(client, mine)
    assert [c["email"] for c in body["customers"]] == ["same-id@example.com"]


# --- scopes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "method", "template", "allowed"),
    [
        (["read_customers"], "get", LIST, True),
        (["write_customers"], "get", LIST, True),
        (["read_orders"], "get", LIST, False),
        (["read_customers"], "patch", ONE, False),
        (["read_customers"], "post", ADD, False),
        (["read_customers"], "post", REMOVE, False),
        (["write_customers"], "post", ADD, True),
    ],
)
async def test_each_endpoint_requires_its_scope(
    client: httpx.AsyncClient,
    db: AsyncEngine,
    scopes: list[str],
    method: str,
    template: str,
    allowed: bool,
) -> None:
    tenant = await make_tenant(db, scopes=scopes)
    await make_customer(db, tenant, "c1", points=10)
    body = {"points": 1} if template in (ADD, REMOVE) else {"customer": {}}
    response = await client.request(
        method,
        path(template, "c1"),
        headers=tenant.auth,
        json=None if method == "get" else body,
    )
    if allowed:
        assert response.status_code in (200, 201), response.text
    else:
        error = checked(response, method, template, 403)
        assert error["error"]["details"]["scope"].startswith("requires")


# --- update -------------------------------------------------------------------------------------


async def test_sets_and_removes_the_birthday(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "c1")
    body = checked(await patch(client, tenant, "c1", {"birthday": "1990-06-01"}), "patch", ONE, 200)
    assert body["customer"]["birthday"] == "1990-06-01"
    body = checked(await patch(client, tenant, "c1", {}), "patch", ONE, 200)
    assert body["customer"]["birthday"] == "1990-06-01"
    body = checked(await patch(client, tenant, "c1", {"birthday": None}), "patch", ONE, 200)
    assert body["customer"]["birthday"] is None


@pytest.mark.parametrize(
    "birthday", ["1990-02-30", "1899-12-31", "2990-01-01", "1990-6-1", "1990-06-01\n", 19900601]
)
async def test_an_impossible_birthday_is_a_400_naming_it(
    client: httpx.AsyncClient, db: AsyncEngine, birthday: Any
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "c1")
    body = checked(await patch(client, tenant, "c1", {"birthday": birthday}), "patch", ONE, 400)
    assert "customer.birthday" in body["error"]["details"]


async def test_a_tomorrows_birthday_is_refused(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "c1")
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = await patch(client, tenant, "c1", {"birthday": tomorrow})
    assert checked(response, "patch", ONE, 400)["error"]["details"]["customer.birthday"]


@pytest.mark.parametrize(
    "body",
    [{}, {"customer": {"blocked": "yes"}}, {"customer": {"nickname": "x"}}, {"customer": None}],
)
async def test_a_malformed_update_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine, body: Any
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "c1")
    response = await client.patch(path(ONE, "c1"), json=body, headers=tenant.auth)
    checked(response, "patch", ONE, 400)


async def test_blocking_and_unblocking_gives_back_what_the_customer_was(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "g1")
    async with db.begin() as conn:
        await update_customer(conn, made, state="guest")
    blocked = checked(await patch(client, tenant, "g1", {"blocked": True}), "patch", ONE, 200)
    assert blocked["customer"]["blocked"] is True
    assert blocked["customer"]["guest"] is True
    again = checked(await patch(client, tenant, "g1", {"blocked": True}), "patch", ONE, 200)
    assert again["customer"]["blocked"] is True
    unblocked = checked(await patch(client, tenant, "g1", {"blocked": False}), "patch", ONE, 200)
    assert unblocked["customer"]["blocked"] is False
    async with db.connect() as conn:
        found = await find_customer(conn, tenant.program_id, "g1")
    assert found is not None and found.state == "guest"


async def test_an_unblocked_member_is_a_member_again(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "m1")
    checked(await patch(client, tenant, "m1", {"blocked": True}), "patch", ONE, 200)
    body = checked(await patch(client, tenant, "m1", {"blocked": False}), "patch", ONE, 200)
    assert body["customer"]["enrolled"] is True and body["customer"]["guest"] is False
    assert body["customer"]["updated_at"] >= body["customer"]["created_at"]


@pytest.mark.parametrize("template", [ONE, ADD, REMOVE])
async def test_another_programs_or_an_unknown_customer_is_a_404(
    client: httpx.AsyncClient, db: AsyncEngine, template: str
) -> None:
    mine = await make_tenant(db, name="Mine")
    theirs = await make_tenant(db, name="Theirs")
    await make_customer(db, theirs, "theirs", points=100)
    body = {"customer": {"blocked": True}} if template == ONE else {"points": 1}
    method = "patch" if template == ONE else "post"
    for merchant_id in ("theirs", "nobody", "x" * 300, "a%00b"):
        response = await client.request(
            method, path(template, merchant_id), json=body, headers=mine.auth
        )
        checked(response, method, template, 404)
    async with db.connect() as conn:
        found = await find_customer(conn, theirs.program_id, "theirs")
        assert found is not None and found.state == "enrolled"
        assert await approved_balance(conn, found.id) == 100


# --- points -------------------------------------------------------------------------------------


async def entries_of(db: AsyncEngine, customer_id: int) -> list[Any]:
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.select(ledger_entries)
            .where(ledger_entries.c.customer_id == customer_id)
            .order_by(ledger_entries.c.id)
        )
        return list(rows)


async def test_adding_points_is_a_201_with_an_empty_body_and_a_points_added_entry(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1")
    response = await client.post(
        path(ADD, "c1"), json={"points": 150, "reason": "Sorry for the delay"}, headers=tenant.auth
    )
    assert response.status_code == 201 and response.content == b""
    [entry] = await entries_of(db, made.id)
    assert (entry.points, entry.state, entry.kind) == (150, "approved", "points_added")
    assert entry.label == "Sorry for the delay"


async def test_added_points_and_their_reason_show_in_the_members_history(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "m1")
    added = await client.post(
        path(ADD, "m1"), json={"points": 42, "reason": "Goodwill"}, headers=tenant.auth
    )
    assert added.status_code == 201
    shown = await client.get(
        f"{PREFIX}/{tenant.site.id}/customers/m1?channel=web", headers=tenant.auth
    )
    history = shown.json()["customer"]["history"]
    assert {"kind": "points_added", "label": "Goodwill", "points": 42}.items() <= history[0].items()


async def test_added_points_raise_a_members_tier(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "m1")
    await client.post(path(ADD, "m1"), json={"points": 2900}, headers=tenant.auth)
    [shown] = (await list_customers(client, tenant))["customers"]
    assert shown["loyalty_tier_membership"]["loyalty_tier"]["lower_bound"] == "3000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 0}, "points"),
        ({"points": 1_000_001}, "points"),
        ({"points": -5}, "points"),
        ({"points": 1.5}, "points"),
        ({"points": "10"}, "points"),
        ({}, "points"),
        ({"points": 1, "reason": "r" * 256}, "reason"),
        ({"points": 1, "reason": "a\x00b"}, "reason"),
        ({"points": 1, "reason": 7}, "reason"),
        ({"points": 1, "extra": True}, "extra"),
    ],
)
async def test_bad_points_bodies_are_a_400_naming_the_field_and_write_nothing(
    client: httpx.AsyncClient, db: AsyncEngine, body: dict[str, Any], field: str
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1", points=10)
    for template in (ADD, REMOVE):
        if template == REMOVE and body.get("points") == 1_000_001:
            continue  # a removal has no such bound
        response = await client.post(path(template, "c1"), json=body, headers=tenant.auth)
        error = checked(response, "post", template, 400)
        assert field in error["error"]["details"], error
    assert len(await entries_of(db, made.id)) == 1


async def test_the_largest_addition_is_accepted(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "c1")
    response = await client.post(
        path(ADD, "c1"), json={"points": 1_000_000, "reason": "r" * 255}, headers=tenant.auth
    )
    assert response.status_code == 201


async def test_removing_points_is_a_204_and_a_points_removed_entry(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1", points=100)
    response = await client.post(
        path(REMOVE, "c1"), json={"points": 100, "reason": None}, headers=tenant.auth
    )
    assert response.status_code == 204 and response.content == b""
    entry = (await entries_of(db, made.id))[-1]
    assert (entry.points, entry.kind, entry.label) == (-100, "points_removed", None)
    async with db.connect() as conn:
        assert await approved_balance(conn, made.id) == 0


async def test_removing_more_than_the_balance_is_a_400_that_says_why_and_removes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1", points=100)
    response = await client.post(path(REMOVE, "c1"), json={"points": 101}, headers=tenant.auth)
    error = checked(response, "post", REMOVE, 400)
    assert "100" in error["error"]["details"]["points"]
    assert len(await entries_of(db, made.id)) == 1


async def test_parallel_removals_across_two_workers_never_overspend(
    db: AsyncEngine, live_server: Callable[..., Any]
) -> None:
    server = live_server(workers=2)
    tenant = await make_tenant(db, rate_limit="1000/second")
    made = await make_customer(db, tenant, "c1", points=300)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

        async def remove() -> int:
            response = await http.post(
                path(REMOVE, "c1"), json={"points": 100}, headers=tenant.auth
            )
            return response.status_code

        statuses = Counter(await asyncio.gather(*(remove() for _ in range(8))))
    assert statuses == Counter({204: 3, 400: 5})
    async with db.connect() as conn:
        assert await approved_balance(conn, made.id) == 0


# --- blocked customers --------------------------------------------------------------------------


async def test_a_blocked_customer_gets_no_points_added(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1", points=10)
    await patch(client, tenant, "c1", {"blocked": True})
    response = await client.post(path(ADD, "c1"), json={"points": 5}, headers=tenant.auth)
    error = checked(response, "post", ADD, 409)
    assert "blocked" in error["error"]["message"]
    assert len(await entries_of(db, made.id)) == 1
    removed = await client.post(path(REMOVE, "c1"), json={"points": 5}, headers=tenant.auth)
    assert removed.status_code == 204


async def test_a_blocked_member_earns_and_redeems_nothing_through_the_headless_api(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "m1", points=2000)
    await patch(client, tenant, "m1", {"blocked": True})
    redeemed = await client.post(
        f"{PREFIX}/{tenant.site.id}/rewards/cart_discount_voucher/redeem?channel=web",
        json={"reward_id": 1, "customer_merchant_id": "m1"},
        headers=tenant.auth,
    )
    assert redeemed.status_code // 100 == 4
    assert redeemed.json()["error"]["code"] == "customer_blocked"
    earned = await client.post(
        f"{PREFIX}/{tenant.site.id}/rules/custom/complete?channel=web",
        json={"rule_id": 8, "customer_merchant_id": "m1"},
        headers=tenant.auth,
    )
    assert earned.json()["error"]["code"] == "customer_blocked"
    [shown] = (await list_customers(client, tenant))["customers"]
    assert shown["points_approved"] == 2100 and shown["loyalty_tier_membership"] is None
    await patch(client, tenant, "m1", {"blocked": False})
    again = await client.post(
        f"{PREFIX}/{tenant.site.id}/rewards/cart_discount_voucher/redeem?channel=web",
        json={"reward_id": 1, "customer_merchant_id": "m1"},
        headers=tenant.auth,
    )
    assert again.status_code == 201, again.text
