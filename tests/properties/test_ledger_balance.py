"""Property: under any order of earnings, redemptions and refunds, the balance a member sees is
the sum of their ledger entries, matches what was earned less what was spent, and never goes
below zero; a redemption refused for want of points writes nothing. Real services, real SQLite."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.config import Settings, normalize_database_url
from tessera.kit.clock import utcnow
from tessera.kit.errors import Conflict
from tessera.loyalty import claims, ledger, rewards
from tessera.loyalty.program_cache import program_in_force
from tessera.loyalty.redemption import redeem_reward
from tessera.store.engine import create_engine
from tessera.store.tables import ledger_entries
from tests.factories import SMALL_PROGRAM, Tenant, make_customer, make_tenant

VOUCHER, VOUCHER_COST = 1, 500
CART, CART_COST = 3, 300
PROGRAM: dict[str, Any] = {
    **SMALL_PROGRAM,
    "rewards": [
        *SMALL_PROGRAM["rewards"],  # type: ignore[misc]
        {
            "id": CART,
            "kind": "product_cart",
            "points": CART_COST,
            "product": {
                "id": "8001",
                "handle": "bottle",
                "title": {"en": "Bottle"},
                "url": "https://shop.example.com/products/bottle",
                "variants": [{"id": "80011", "title": {"en": "Blue"}, "inventory_count": 10_000}],
            },
            "title": {"en": "Free bottle"},
        },
    ],
}

Step = tuple[str, int]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(min_value=1, max_value=2000)),
        st.tuples(st.just("redeem_voucher"), st.just(0)),
        st.tuples(st.just("redeem_cart"), st.just(0)),
        # Refund the n-th cart claim so far (again, if it was refunded already).
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=5)),
    ),
    max_size=12,
)


@dataclass
class Expected:
    balance: int = 0
    spent: int = 0
    carts: list[int] = field(default_factory=list)
    refunded: set[int] = field(default_factory=set)
    entries: int = 0


async def apply(
    engine: AsyncEngine, tenant: Tenant, customer_id: int, step: Step, expected: Expected
) -> None:
    kind, amount = step
    program = await program_in_force(engine, tenant.site)
    now = utcnow()
    try:
        async with engine.begin() as conn:
            if kind == "earn":
                await ledger.record(
                    conn,
                    program_id=tenant.program_id,
                    customer_id=customer_id,
                    points=amount,
                    state="approved",
                    reason="earned",
                )
                expected.balance += amount
            elif kind in ("redeem_voucher", "redeem_cart"):
                reward, reward_kind, cost = (
                    (VOUCHER, "cart_discount_voucher", VOUCHER_COST)
                    if kind == "redeem_voucher"
                    else (CART, "product_cart", CART_COST)
                )
                _, claim = await redeem_reward(
                    conn,
                    program,
                    "m1",
                    reward,
                    reward_kind,
                    channel="web",
                    currency="usd",
                    language="en",
                    country=None,
                    now=now,
                    variant_id="80011" if kind == "redeem_cart" else None,
                    cart_id=f"cart-{len(expected.carts)}",
                )
                expected.balance -= cost
                expected.spent += cost
                if kind == "redeem_cart":
                    expected.carts.append(claim.id)
            elif expected.carts:
                claim_id = expected.carts[amount % len(expected.carts)]
                claim = await claims.get_claim(conn, program.id, claim_id)
                await rewards.refund(conn, program, claim, now)
                assert claim_id not in expected.refunded
                expected.refunded.add(claim_id)
                expected.balance += CART_COST
                expected.spent -= CART_COST
        expected.entries += kind != "refund" or bool(expected.carts)
    except Conflict as refused:
        # Refused only for what the model also refuses: too few points, or a second refund.
        assert refused.code in ("insufficient_points", "reward_already_refunded"), refused.code
        if refused.code == "insufficient_points":
            assert expected.balance < (VOUCHER_COST if kind == "redeem_voucher" else CART_COST)


async def assert_ledger_holds(engine: AsyncEngine, customer_id: int, expected: Expected) -> None:
    async with engine.connect() as conn:
        balances = await ledger.balances(conn, customer_id)
        rows = (
            await conn.execute(
                sa.select(ledger_entries.c.points, ledger_entries.c.state).where(
                    ledger_entries.c.customer_id == customer_id
                )
            )
        ).all()
    assert balances.approved == sum(p for p, state in rows if state in ledger.SPENDABLE)
    assert balances.approved == expected.balance >= 0
    assert balances.spent == expected.spent >= 0
    assert len(rows) == expected.entries  # a refused step wrote nothing


async def scenario(database_url: str, steps: list[Step]) -> None:
    engine = create_engine(Settings(database_url=normalize_database_url(database_url)))
    try:
        tenant = await make_tenant(engine, program=PROGRAM)
        customer = await make_customer(engine, tenant, "m1")
        expected = Expected()
        for step in steps:
            await apply(engine, tenant, customer.id, step, expected)
            await assert_ledger_holds(engine, customer.id, expected)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def database_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite database for every example: each draws its own program and member."""
    path = tmp_path_factory.mktemp("ledger") / "tessera.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@settings(max_examples=80, derandomize=True, deadline=None, database=None)
@given(steps=STEPS)
def test_the_balance_is_the_sum_of_the_entries_and_never_negative(
    database_url: str, steps: list[Step]
) -> None:
    asyncio.run(scenario(database_url, steps))
