"""Admin API v2 orders and their points: the purchase rule with a tier variant, payment later,
refunds and cancellations, who earns, rewards used and referrals, on both databases."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.customers.service import find_customer, update_customer
from tessera.kit.clock import utcnow
from tessera.loyalty import claims, ledger, members, rewards
from tessera.loyalty.program import load_program
from tests.api.order_helpers import create, entries, read, shop, update
from tests.factories import make_customer

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


# --- rewards used and referrals -------------------------------------------------------------


async def test_an_orders_codes_and_claim_ids_mark_only_the_customers_own_claims_used(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    made = {}
    async with db.begin() as conn:
        program = await load_program(conn, tenant.site)
        reward = program.reward(1)
        assert reward is not None
    for merchant_id in ("c1", "c2"):
        customer = await make_customer(db, tenant, merchant_id, points=100)
        async with db.begin() as conn:
            for n in range(2):
                made[merchant_id, n] = await rewards.redeem(
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
    code = made["c1", 0].code
    assert code is not None
    await create(
        client,
        tenant,
        discount_codes=[
            {"code": code.lower(), "amount": "5.00"},
            {"code": "SHOP-OWN-CODE", "amount": "1.5"},
            {"code": str(made["c2", 0].code), "amount": "5"},
        ],
        claimed_reward_ids=[made["c1", 1].id, made["c2", 1].id, 999999],
    )
    async with db.connect() as conn:
        used = {
            key: (await claims.get_claim(conn, tenant.program_id, claim.id)).used_at is not None
            for key, claim in made.items()
        }
    assert used == {("c1", 0): True, ("c1", 1): True, ("c2", 0): False, ("c2", 1): False}
    order = await read(client, tenant)
    assert order["total_discounts"] == "11.50"
    assert order["claimed_reward_ids"] == [made["c1", 1].id, made["c2", 1].id, 999999]


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
