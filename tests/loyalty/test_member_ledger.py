"""A member's ledger as the views read it: the newest entries as history, and every rule
completion and tier entry however old, in one query; on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.loyalty import ledger, member_ledger
from tests.factories import make_customer, make_tenant

START = datetime(2025, 1, 1, tzinfo=UTC)


async def long_ledger(db: AsyncEngine) -> int:
    """Three old completions of rule 1 and a tier entry, then 60 newer point additions."""
    tenant = await make_tenant(db)
    customer = await make_customer(db, tenant, "m1")
    async with db.begin() as conn:
        for i in range(3):
            await ledger.record(
                conn,
                program_id=tenant.program_id,
                customer_id=customer.id,
                points=5,
                state="approved",
                reason="rule 1",
                kind="earned_points_from_rule",
                rule_id=1,
                at=START + timedelta(minutes=i),
            )
        await ledger.record(
            conn,
            program_id=tenant.program_id,
            customer_id=customer.id,
            points=0,
            state="approved",
            reason="entered tier",
            kind="entered_tier",
            tier_id=7,
            at=START + timedelta(minutes=5),
        )
        for i in range(60):
            await ledger.record(
                conn,
                program_id=tenant.program_id,
                customer_id=customer.id,
                points=1,
                state="approved",
                reason="test",
                at=START + timedelta(hours=1, minutes=i),
            )
    return customer.id


async def test_history_is_the_newest_entries_newest_first(db: AsyncEngine) -> None:
    customer_id = await long_ledger(db)
    async with db.connect() as conn:
        history, _ = await member_ledger.member_ledger(conn, customer_id)
    assert len(history) == member_ledger.HISTORY_LENGTH
    assert history[0].created_at == START + timedelta(hours=1, minutes=59)
    assert all(entry.kind == "points_added" for entry in history)


async def test_completions_older_than_the_history_still_count(db: AsyncEngine) -> None:
    customer_id = await long_ledger(db)
    async with db.connect() as conn:
        _, marks = await member_ledger.member_ledger(conn, customer_id)
    assert len(marks.completions[1]) == 3
    assert marks.last_tier == (7, START + timedelta(minutes=5))


async def test_balances_of_a_page_of_customers_match_each_ones_own(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    rich = await make_customer(db, tenant, "rich", points=120)
    none = await make_customer(db, tenant, "none")
    async with db.begin() as conn:
        for points, state in ((30, "pending"), (-50, "spent")):
            await ledger.record(
                conn,
                program_id=tenant.program_id,
                customer_id=rich.id,
                points=points,
                state=state,
                reason="test",
            )
    async with db.connect() as conn:
        many = await ledger.balances_of(conn, [rich.id, none.id])
        assert many[rich.id] == await ledger.balances(conn, rich.id)
    assert many[rich.id] == ledger.Balances(approved=70, pending=30, spent=50)
    assert many[none.id] == ledger.Balances(approved=0, pending=0, spent=0)


async def test_take_back_never_leaves_the_approved_balance_below_zero(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    customer = await make_customer(db, tenant, "m1", points=40)
    async with db.begin() as conn:
        taken = await ledger.take_back(
            conn, program_id=tenant.program_id, customer_id=customer.id, points=100, reason="r"
        )
        again = await ledger.take_back(
            conn, program_id=tenant.program_id, customer_id=customer.id, points=5, reason="r"
        )
    assert (taken, again) == (40, 0)
    async with db.connect() as conn:
        assert (await ledger.balances(conn, customer.id)).approved == 0
