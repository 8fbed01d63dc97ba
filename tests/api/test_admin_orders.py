"""Admin API v2 orders: create, update (payments, refunds, cancellations), read and list, and
the points they earn and take back, on both databases. Every answer is checked against the
contract."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import create_key
from tessera.customers.service import find_customer, update_customer
from tessera.kit.clock import utcnow
from tessera.loyalty import ledger, members, rewards
from tessera.loyalty.program import load_program
from tessera.programs.sites import create_site
from tessera.store.tables import customers, ledger_entries, orders
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_customer, make_tenant

ORDERS = "/v2/orders"
ORDER = "/v2/orders/{merchant_id}"
PROGRAM: dict[str, Any] = {
    "tiers": {
        "boundary_mode": "spend",
        "membership": {"mode": "calendar", "starts_on_month": 1, "starts_on_day": 1},
        "levels": [
            {"id": 1, "name": {"en": "Silver"}, "lower_bound": 0},
            {"id": 2, "name": {"en": "Gold"}, "lower_bound": 100},
        ],
    },
    "rules": [
        {"id": 1, "kind": "join_program", "points": 10, "title": {"en": "Join"}},
        # 1 point per $2 spent; Gold members 3.
        {
            "id": 2,
            "kind": "purchase",
            "points": 1,
            "per_currency_unit": 2,
            "title": {"en": "Buy"},
            "tier_variants": [{"tier_id": 2, "points": 3}],
        },
        {"id": 3, "kind": "referral", "points": 50, "title": {"en": "Refer a friend"}},
    ],
    "rewards": [
        {
            "id": 1,
            "kind": "cart_discount_voucher",
            "points": 20,
            "discount": 5,
            "title": {"en": "$5 off"},
        }
    ],
    "referee_incentive": {
        "kind": "cart_discount_voucher",
        "discount": 10,
        "text": {"en": "10% off your first order"},
    },
}


async def shop(db: AsyncEngine, **options: Any) -> Tenant:
    return await make_tenant(db, program=PROGRAM, **options)


def template_of(path: str) -> str:
    return ORDERS if path.rstrip("/") == ORDERS else ORDER


async def api(
    client: httpx.AsyncClient,
    tenant: Tenant,
    method: str,
    path: str,
    status: int,
    **options: Any,
) -> httpx.Response:
    """One call with the tenant's key; the answer must have ``status`` and the contract's body."""
    response = await client.request(method, path, headers=tenant.auth, **options)
    assert response.status_code == status, response.text
    body = response.json() if response.content else None
    assert_matches_contract("admin-v2", method, template_of(path), status, body)
    return response


def order_body(**fields: Any) -> dict[str, Any]:
    return {
        "customer_id": "c1",
        "customer_email": "c1@example.com",
        "merchant_id": "o1",
        "total": "100.00",
        "total_shipping": "0",
        "payment_status": "paid",
        **fields,
    }


def state(**fields: str) -> dict[str, str]:
    return {
        "payment_status": "paid",
        "refund_status": "not_refunded",
        "cancellation_status": "not_cancelled",
        "total_paid": "100.00",
        "total_refunded": "0",
        **fields,
    }


async def create(
    client: httpx.AsyncClient, tenant: Tenant, status: int = 201, **fields: Any
) -> httpx.Response:
    return await api(client, tenant, "POST", ORDERS, status, json=order_body(**fields))


async def update(
    client: httpx.AsyncClient,
    tenant: Tenant,
    merchant_id: str = "o1",
    status: int = 204,
    **fields: str,
) -> httpx.Response:
    return await api(client, tenant, "PUT", f"{ORDERS}/{merchant_id}", status, json=state(**fields))


async def read(client: httpx.AsyncClient, tenant: Tenant, merchant_id: str = "o1") -> Any:
    return (await api(client, tenant, "GET", f"{ORDERS}/{merchant_id}", 200)).json()["order"]


async def entries(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(ledger_entries)) or 0)


# --- the purchase rule ----------------------------------------------------------------------


async def test_a_paid_order_earns_the_purchase_rule_and_reads_back_as_the_contract_says(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    response = await create(
        client,
        tenant,
        total="59.90",
        total_shipping="4.9",
        merchant_number="#1001",
        date="2026-03-01T10:00:00+01:00",
    )
    assert response.content == b""
    order = await read(client, tenant)
    # (59.90 - 4.90) / 2 = 27.5: 27 points.
    assert order["points_earned"] == 27
    assert order["customer"]["merchant_id"] == "c1"
    assert order["customer"]["points_approved"] == 27
    assert (order["total"], order["total_shipping"], order["total_paid"]) == (
        "59.90",
        "4.90",
        "59.90",
    )
    assert order["merchant_number"] == "#1001"
    assert order["date"] == "2026-03-01T09:00:00.000Z"
    assert (order["payment_status"], order["refund_status"], order["cancellation_status"]) == (
        "paid",
        "not_refunded",
        "not_cancelled",
    )
    assert order["site_id"] == tenant.site.id


async def test_a_gold_member_earns_the_tier_variant_once_spend_moves_them_up(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    # $140 of goods at Silver's 1 point per $2: 70 points, and Gold ($100 spent).
    await create(client, tenant, merchant_id="o1", total="150.00", total_shipping="10.00")
    await create(client, tenant, merchant_id="o2", total="21.99", total_shipping="0")
    assert (await read(client, tenant, "o1"))["points_earned"] == 70
    # $21.99 at Gold's 3 points per $2: 10 units, 30 points.
    second = await read(client, tenant, "o2")
    assert second["points_earned"] == 30
    assert second["customer"]["points_approved"] == 100


async def test_the_spend_is_what_was_paid_for_goods(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant, total="100.00", total_shipping="10.00", total_paid="50.00")
    assert (await read(client, tenant))["points_earned"] == 25


async def test_an_unpaid_order_earns_when_an_update_marks_it_paid(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant, payment_status="not_paid")
    assert (await read(client, tenant))["points_earned"] == 0
    await update(client, tenant, payment_status="partially_paid", total_paid="40.00")
    assert (await read(client, tenant))["customer"]["points_approved"] == 0
    await update(client, tenant)
    order = await read(client, tenant)
    assert order["points_earned"] == 50
    assert order["customer"]["points_approved"] == 50


# --- refunds and cancellations --------------------------------------------------------------


async def test_a_partial_then_a_full_refund_take_back_their_share(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)  # 50 points
    await update(client, tenant, refund_status="partially_refunded", total_refunded="25.00")
    order = await read(client, tenant)
    # A quarter of 50 is 12.5: 12 points go back.
    assert (order["points_taken_back"], order["customer"]["points_approved"]) == (12, 38)
    assert order["total_refunded"] == "25.00"
    await update(client, tenant, refund_status="refunded", total_refunded="100.00")
    order = await read(client, tenant)
    assert (order["points_taken_back"], order["customer"]["points_approved"]) == (50, 0)


async def test_a_cancellation_takes_back_everything_the_order_earned(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1", points=7)
    await create(client, tenant)
    await update(client, tenant, cancellation_status="cancelled")
    order = await read(client, tenant)
    assert order["cancellation_status"] == "cancelled"
    assert (order["points_taken_back"], order["customer"]["points_approved"]) == (50, 7)


async def test_a_refund_of_spent_points_stops_at_zero_and_records_the_shortfall(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    customer = await make_customer(db, tenant, "c1")
    await create(client, tenant)  # 50 points
    async with db.begin() as conn:
        await ledger.record(
            conn,
            program_id=tenant.program_id,
            customer_id=customer.id,
            points=-40,
            state="spent",
            reason="test",
        )
    await update(client, tenant, refund_status="refunded", total_refunded="100.00")
    order = await read(client, tenant)
    assert order["customer"]["points_approved"] == 0
    assert (order["points_taken_back"], order["points_not_taken_back"]) == (10, 40)
    # Undoing the refund gives back what was taken, and forgets the shortfall.
    await update(client, tenant)
    order = await read(client, tenant)
    assert order["customer"]["points_approved"] == 10
    assert (order["points_taken_back"], order["points_not_taken_back"]) == (0, 0)


async def test_a_repeated_update_changes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    await update(client, tenant, refund_status="partially_refunded", total_refunded="50.00")
    before, count = await read(client, tenant), await entries(db)
    await update(client, tenant, refund_status="partially_refunded", total_refunded="50.00")
    assert await read(client, tenant) == before
    assert await entries(db) == count


async def test_an_update_of_an_unknown_order_is_a_404(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await update(client, tenant, "nope", status=404)
    await api(client, tenant, "GET", f"{ORDERS}/nope", 404)
    await api(client, tenant, "GET", f"{ORDERS}/{'x' * 300}", 404)
    await api(client, tenant, "GET", f"{ORDERS}/a%00b", 404)


# --- who earns ------------------------------------------------------------------------------


async def test_a_guest_order_is_stored_and_earns_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await create(client, tenant, customer_id="g1", customer_email="g1@example.com", guest=True)
    order = await read(client, tenant)
    assert (order["guest"], order["points_earned"]) == (True, 0)
    assert order["customer"]["points_approved"] == 0
    async with db.connect() as conn:
        found = await find_customer(conn, tenant.program_id, "g1")
    assert found is not None and found.state == "guest"


async def test_a_blocked_customer_earns_nothing(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await shop(db)
    customer = await make_customer(db, tenant, "c1")
    async with db.begin() as conn:
        await update_customer(conn, customer, state="blocked")
    await create(client, tenant)
    assert (await read(client, tenant))["points_earned"] == 0
    assert await entries(db) == 0


async def test_a_new_customers_first_order_enrols_them(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await create(client, tenant, customer_id="new", customer_email="new@example.com")
    order = await read(client, tenant)
    # Joining (10) and the order (50).
    assert (order["points_earned"], order["customer"]["points_approved"]) == (50, 60)


# --- one order per merchant_id --------------------------------------------------------------


async def test_the_same_merchant_id_twice_is_a_409_that_writes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    count = await entries(db)
    refused = await create(
        client, tenant, 409, customer_id="other", customer_email="other@example.com"
    )
    assert "o1" in refused.json()["error"]["message"]
    assert await entries(db) == count
    async with db.connect() as conn:
        assert await find_customer(conn, tenant.program_id, "other") is None
        assert await conn.scalar(sa.select(sa.func.count()).select_from(orders)) == 1


# --- validation -----------------------------------------------------------------------------

BAD_ORDERS: list[tuple[dict[str, Any], str]] = [
    ({"total": "-1.00"}, "total"),
    ({"total": "1e3"}, "total"),
    ({"total": "99.99999"}, "total"),
    ({"total": "12345678901"}, "total"),
    ({"total": 99.99}, "total"),
    ({"total_shipping": "abc"}, "total_shipping"),
    ({"total_paid": " 1"}, "total_paid"),
    ({"total_paid": "1\n"}, "total_paid"),
    ({"payment_status": "done"}, "payment_status"),
    ({"customer_id": ""}, "customer_id"),
    ({"customer_id": " "}, "customer_id"),
    ({"customer_id": "x" * 256}, "customer_id"),
    ({"customer_email": "no-at-sign"}, "customer_email"),
    ({"customer_email": "a@b\x00"}, "customer_email"),
    ({"merchant_id": "a\x00b"}, "merchant_id"),
    ({"merchant_number": "n" * 256}, "merchant_number"),
    ({"discount_codes": [{"code": "SAVE", "amount": "-5"}]}, "discount_codes[0].amount"),
    ({"discount_codes": [{"amount": "5"}]}, "discount_codes[0].code"),
    ({"claimed_reward_ids": [0]}, "claimed_reward_ids[0]"),
    ({"claimed_reward_ids": [2**31]}, "claimed_reward_ids[0]"),
    ({"claimed_reward_ids": list(range(1, 102))}, "claimed_reward_ids"),
    ({"date": "yesterday"}, "date"),
    ({"date": "0001-01-01T00:00:00+01:00"}, "date"),
    ({"ip_address": "1" * 65}, "ip_address"),
    ({"user_agent": "u\x00"}, "user_agent"),
    ({"referral_id": "r" * 256}, "referral_id"),
    ({"guest": "yes"}, "guest"),
]


async def test_each_bad_field_of_a_new_order_is_a_400_naming_it(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db, rate_limit="1000/second")
    wrong = []
    for fields, name in BAD_ORDERS:
        response = await client.post(ORDERS, json=order_body(**fields), headers=tenant.auth)
        details = response.json().get("error", {}).get("details", {})
        if response.status_code != 400 or name not in details:
            wrong.append(f"{fields}: {response.status_code} {response.text[:200]}")
        else:
            assert_matches_contract("admin-v2", "POST", ORDERS, 400, response.json())
    missing = await client.post(ORDERS, json={"merchant_id": "o1"}, headers=tenant.auth)
    assert set(missing.json()["error"]["details"]) >= {"customer_id", "total", "payment_status"}
    assert not wrong, "\n".join(wrong)
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(orders)) == 0


async def test_several_bad_fields_are_named_together(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    body = order_body(total="x", total_shipping="-1", customer_email="nobody")
    response = await api(client, tenant, "POST", ORDERS, 400, json=body)
    assert set(response.json()["error"]["details"]) == {
        "total",
        "total_shipping",
        "customer_email",
    }


async def test_optional_fields_may_be_null_and_unknown_fields_are_ignored(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    nulls = dict.fromkeys(["total_paid", "merchant_number", "discount_codes", "referral_id"])
    await create(client, tenant, guest=None, number="1001", **nulls)
    order = await read(client, tenant)
    assert (order["merchant_number"], order["total_paid"], order["guest"]) == (
        None,
        "100.00",
        False,
    )


async def test_bad_updates_are_a_400_naming_the_field(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    path = f"{ORDERS}/o1"
    for fields, name in [
        ({"refund_status": "some"}, "refund_status"),
        ({"total_refunded": "-3"}, "total_refunded"),
        ({"total_paid": "1,00"}, "total_paid"),
        ({"total_refunded": "100.01"}, "total_refunded"),
    ]:
        response = await api(client, tenant, "PUT", path, 400, json=state(**fields))
        assert name in response.json()["error"]["details"]
    response = await api(client, tenant, "PUT", path, 400, json={"payment_status": "paid"})
    assert "total_refunded" in response.json()["error"]["details"]
    assert (await read(client, tenant))["customer"]["points_approved"] == 50


async def test_money_is_stored_and_returned_exactly(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant, total="9999999999.9999", total_shipping="0.0001")
    order = await read(client, tenant)
    assert (order["total"], order["total_shipping"]) == ("9999999999.9999", "0.0001")
    # 4,999,999,999 points would not fit a ledger entry: the most one holds.
    assert order["points_earned"] == 2**31 - 1


# --- sites and programs ---------------------------------------------------------------------


async def test_site_id_is_required_only_when_the_program_has_several_sites(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    other = await shop(db, name="Other")
    async with db.begin() as conn:
        second = await create_site(
            conn,
            tenant.program_id,
            name="EU",
            url="https://eu.example.com",
            languages=["en"],
            currencies=["eur"],
        )
    body = order_body()
    refused = await api(client, tenant, "POST", ORDERS, 400, json=body)
    assert "site_id" in refused.json()["error"]["details"]
    foreign = {"site_id": str(other.site.id)}
    await api(client, tenant, "POST", ORDERS, 404, json=body, params=foreign)
    chosen = {"site_id": str(second.site.id)}
    await api(client, tenant, "POST", ORDERS, 201, json=body, params=chosen)
    assert (await read(client, tenant))["site_id"] == second.site.id


async def test_another_programs_orders_are_not_found(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    other = await shop(db, name="Other")
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    await api(client, other, "GET", f"{ORDERS}/o1", 404)
    await update(client, other, "o1", status=404, refund_status="refunded")
    listed = (await api(client, other, "GET", ORDERS, 200)).json()
    assert listed["orders"] == []
    assert (await read(client, tenant))["refund_status"] == "not_refunded"


async def test_orders_need_their_scopes(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    keys = {}
    async with db.begin() as conn:
        for scope in ("read_orders", "write_orders", "read_customers"):
            key = await create_key(conn, tenant.program_id, [scope])
            keys[scope] = {"Authorization": f"Bearer {key.secret}"}
    put = {"json": state()}
    for scope, method, path, status, options in [
        ("read_orders", "GET", f"{ORDERS}/o1", 200, {}),
        ("read_orders", "GET", ORDERS, 200, {}),
        ("read_orders", "PUT", f"{ORDERS}/o1", 403, put),
        ("read_orders", "POST", ORDERS, 403, {"json": order_body(merchant_id="o2")}),
        ("write_orders", "GET", f"{ORDERS}/o1", 200, {}),  # write_ includes read_
        ("write_orders", "PUT", f"{ORDERS}/o1", 204, put),
        ("read_customers", "GET", ORDERS, 403, {}),
    ]:
        response = await client.request(method, path, headers=keys[scope], **options)
        assert response.status_code == status, (scope, method, path, response.text)
        body = response.json() if response.content else None
        assert_matches_contract("admin-v2", method, template_of(path), status, body)


# --- rewards used and referrals -------------------------------------------------------------


async def test_an_orders_codes_and_claim_ids_mark_only_the_customers_own_claims_used(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    claims = {}
    async with db.begin() as conn:
        program = await load_program(conn, tenant.site)
        reward = program.reward(1)
        assert reward is not None
    for merchant_id in ("c1", "c2"):
        customer = await make_customer(db, tenant, merchant_id, points=100)
        async with db.begin() as conn:
            for n in range(2):
                claims[merchant_id, n] = await rewards.redeem(
                    conn,
                    program,
                    customer,
                    reward,
                    channel="web",
                    currency="usd",
                    language="en",
                    country=None,
                    now=utcnow(),
                )
    code = claims["c1", 0].code
    assert code is not None
    await create(
        client,
        tenant,
        discount_codes=[
            {"code": code.lower(), "amount": "5.00"},
            {"code": "SHOP-OWN-CODE", "amount": "1.5"},
            {"code": str(claims["c2", 0].code), "amount": "5"},
        ],
        claimed_reward_ids=[claims["c1", 1].id, claims["c2", 1].id, 999999],
    )
    async with db.connect() as conn:
        used = {
            key: (await rewards.get_claim(conn, tenant.program_id, claim.id)).used_at is not None
            for key, claim in claims.items()
        }
    assert used == {("c1", 0): True, ("c1", 1): True, ("c2", 0): False, ("c2", 1): False}
    order = await read(client, tenant)
    assert order["total_discounts"] == "11.50"
    assert order["claimed_reward_ids"] == [claims["c1", 1].id, claims["c2", 1].id, 999999]


async def test_a_referred_friends_first_paid_order_pays_the_referrer_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    referrer = await make_customer(db, tenant, "ref")
    assert referrer.referral_code is not None
    async with db.begin() as conn:
        program = await load_program(conn, tenant.site)
        await members.claim_referee_incentive(
            conn,
            program,
            referral_id=referrer.referral_code,
            referee_email="Friend@example.com",
            ip_address="203.0.113.7",
            user_agent=None,
            now=utcnow(),
        )
    friend = {"customer_id": "friend", "customer_email": "friend@example.com"}
    await create(
        client, tenant, payment_status="not_paid", referral_id=referrer.referral_code, **friend
    )
    await create(client, tenant, merchant_id="o2", referral_id=referrer.referral_code, **friend)
    await update(client, tenant, "o1")
    async with db.connect() as conn:
        balance = await ledger.approved_balance(conn, referrer.id)
    assert balance == 50


# --- lists ----------------------------------------------------------------------------------


async def test_the_list_pages_newest_first_with_cursors_and_a_link_header(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    for n in range(5):
        await create(client, tenant, merchant_id=f"o{n}")
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        response = await api(client, tenant, "GET", ORDERS, 200, params=params)
        body = response.json()
        seen += [order["merchant_id"] for order in body["orders"]]
        if body["cursor"]["next"] is None:
            assert 'rel="next"' not in response.headers.get("link", "")
            break
        assert 'rel="next"' in response.headers["link"]
        assert response.headers["link"].startswith("<http://testserver/v2/orders?cursor=")
        params = {"cursor": body["cursor"]["next"], "limit": "2"}
    assert seen == ["o4", "o3", "o2", "o1", "o0"]
    first = (await api(client, tenant, "GET", ORDERS, 200, params={"limit": "1"})).json()
    since = {"since_id": str(first["orders"][0]["id"] - 2)}
    later = (await api(client, tenant, "GET", ORDERS, 200, params=since)).json()
    assert [order["merchant_id"] for order in later["orders"]] == ["o3", "o4"]


async def test_the_list_filters_by_creation_and_update_times(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant, merchant_id="old")
    await create(client, tenant, merchant_id="new")
    async with db.begin() as conn:
        long_ago = utcnow().replace(year=2020)
        await conn.execute(
            orders.update()
            .where(orders.c.merchant_id == "old")
            .values(created_at=long_ago, updated_at=long_ago)
        )

    async def names(**params: str) -> list[str]:
        body = (await api(client, tenant, "GET", ORDERS, 200, params=params)).json()
        return [order["merchant_id"] for order in body["orders"]]

    assert await names(created_at_min="2021-01-01") == ["new"]
    assert await names(created_at_max="2021-01-01T00:00:00Z") == ["old"]
    assert await names(updated_at_max="2021-01-01") == ["old"]
    assert await names(updated_at_min="2021-01-01", created_at_min="2019-01-01") == ["new"]
    bad = await api(client, tenant, "GET", ORDERS, 400, params={"created_at_min": "soon"})
    assert "created_at_min" in bad.json()["error"]["details"]
    for query in ({"limit": "0"}, {"limit": "501"}, {"cursor": "junk"}):
        await api(client, tenant, "GET", ORDERS, 400, params=query)


async def test_every_order_has_a_customer_of_its_program(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await create(client, tenant, customer_id="c9", customer_email="c9@example.com")
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(orders.c.customer_id, orders.c.program_id))).one()
        owner = await conn.scalar(sa.select(customers.c.program_id).where(customers.c.id == row[0]))
    assert owner == row[1] == tenant.program_id
