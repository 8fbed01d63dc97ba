"""What recording LoyaltyLion events costs a write, and that only what committed is announced."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.clock import utcnow
from tessera.loyalty import program_events as topics
from tessera.loyalty.order_service import NewOrder, create_order
from tessera.loyalty.program import load_program
from tessera.store.tables import events
from tessera.store.transactions import savepoint
from tessera.webhooks.endpoints import create_endpoint
from tessera.webhooks.outbox import LOYALTYLION
from tests.factories import make_customer, make_tenant

from .loyaltylion import PROGRAM, Hooks, hooks_fixture  # noqa: F401


@contextmanager
def reads_of_webhooks(db: AsyncEngine) -> Iterator[list[str]]:
    """The statements sent on ``db`` that read the webhook endpoints."""
    seen: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM webhook_endpoints" in statement:
            seen.append(statement)

    sa.event.listen(db.sync_engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        sa.event.remove(db.sync_engine, "before_cursor_execute", watch)


def paid_order(merchant_id: str) -> NewOrder:
    return NewOrder(
        customer_merchant_id="ada",
        customer_email="ada@example.com",
        merchant_id=merchant_id,
        merchant_number=None,
        total=Decimal("150"),
        total_shipping=Decimal("0"),
        total_paid=Decimal("150"),
        payment_status="paid",
        discount_codes=(),
        claimed_reward_ids=(),
        ordered_at=None,
        ip_address=None,
        user_agent=None,
        referral_id=None,
        tracking_id=None,
        guest=False,
    )


async def event_count(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(events)) or 0)


async def test_a_write_of_a_program_without_webhooks_reads_them_once_and_records_nothing(
    db: AsyncEngine,
) -> None:
    tenant = await make_tenant(db, program=PROGRAM)
    await make_customer(db, tenant, "ada")

    with reads_of_webhooks(db) as reads:
        async with db.begin() as conn:
            program = await load_program(conn, tenant.site)
            # points, the purchase rule, a new tier, the customer changed
            await create_order(conn, program, paid_order("o1"), utcnow())

    assert len(reads) == 1
    assert await event_count(db) == 0


async def test_the_topics_heard_are_read_once_per_transaction_however_many_events(
    db: AsyncEngine,
) -> None:
    tenant = await make_tenant(db, program=PROGRAM)
    await make_customer(db, tenant, "ada")
    async with db.begin() as conn:
        await create_endpoint(
            conn,
            program_id=tenant.program_id,
            dialect=LOYALTYLION,
            public_id="every-topic",
            url="https://hooks.example.com/",
            topics=list(topics.SENT),
            allow_private=False,
            site_id=tenant.site.id,
        )

    with reads_of_webhooks(db) as reads:
        async with db.begin() as conn:
            program = await load_program(conn, tenant.site)
            await create_order(conn, program, paid_order("o1"), utcnow())
            await create_order(conn, program, paid_order("o2"), utcnow())

    assert len(reads) == 1
    async with db.connect() as conn:
        recorded = (await conn.execute(sa.select(events.c.type).order_by(events.c.id))).scalars()
        kinds = [kind.removeprefix(topics.PROGRAM_EVENTS) for kind in recorded]
    # one customers/update for both orders, showing the customer after the second
    assert kinds == [
        "points_earned",
        "rule_completed",
        "customers/update",
        "points_earned",
        "rule_completed",
    ]


async def test_a_transaction_rolled_back_announces_nothing(db: AsyncEngine) -> None:
    tenant = await make_tenant(db, program=PROGRAM)
    await make_customer(db, tenant, "ada")
    async with db.begin() as conn:
        await create_endpoint(
            conn,
            program_id=tenant.program_id,
            dialect=LOYALTYLION,
            public_id="updates",
            url="https://hooks.example.com/",
            topics=[topics.CUSTOMERS_UPDATE],
            allow_private=False,
            site_id=tenant.site.id,
        )

    async with db.connect() as conn, conn.begin() as transaction:
        program = await load_program(conn, tenant.site)
        await create_order(conn, program, paid_order("o1"), utcnow())
        await transaction.rollback()

    assert await event_count(db) == 0


async def test_a_refused_redemption_announces_nothing(hooks: Hooks) -> None:
    await hooks.register(topics.CLAIMED_REWARD, topics.CUSTOMERS_UPDATE)
    await hooks.session("ada")  # 100 points: not enough for the 500 point voucher
    before = len(await hooks.events())

    await hooks.admin("POST", "/v2/customers/ada/claimed_rewards", 422, json={"reward_id": 1})

    assert len(await hooks.events()) == before


async def test_a_customer_update_undone_with_its_savepoint_is_recorded_again_by_a_later_change(
    db: AsyncEngine,
) -> None:
    # A group commit's unit of work that fails is undone by its savepoint; the next unit of the
    # same transaction still announces its own change.
    tenant = await make_tenant(db, program=PROGRAM)
    ada = await make_customer(db, tenant, "ada")
    async with db.begin() as conn:
        await create_endpoint(
            conn,
            program_id=tenant.program_id,
            dialect=LOYALTYLION,
            public_id="updates",
            url="https://hooks.example.com/",
            topics=[topics.CUSTOMERS_UPDATE],
            allow_private=False,
            site_id=tenant.site.id,
        )

    async with db.begin() as conn:
        program = await load_program(conn, tenant.site)
        with contextlib.suppress(RuntimeError):
            async with savepoint(conn, "unit_of_work"):
                await topics.customer_changed(conn, program, ada.id, utcnow())
                raise RuntimeError("this unit fails")
        await topics.customer_changed(conn, program, ada.id, utcnow())

    assert await event_count(db) == 1
