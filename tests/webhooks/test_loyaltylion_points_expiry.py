"""program_events/customer.approaching_points_expiration, sent by the points pass
``notify_days_before`` days before points expire, once per expiring batch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.clock import utcnow
from tessera.loyalty import ledger
from tessera.loyalty import program_events as topics
from tessera.points_schedule import expire_points, notify_expiring_points
from tessera.programs.configuration import apply_document, parse_document
from tessera.store.tables import events
from tests.factories import make_customer

from .loyaltylion import PROGRAM, Hooks, hooks_fixture  # noqa: F401

DAY = timedelta(days=1)


async def expiring(db: AsyncEngine, hooks: Hooks, mode: str = "fixed_age") -> None:
    """Points expire 30 days after they were approved (or of inactivity); told 7 days before."""
    document = {**PROGRAM, "points": {"expiry": {"mode": mode, "days": 30}}}
    async with db.begin() as conn:
        await apply_document(conn, hooks.tenant.program_id, parse_document(document))


async def earned(
    db: AsyncEngine, hooks: Hooks, merchant_id: str, points: int, at: datetime
) -> None:
    customer = await make_customer(db, hooks.tenant, merchant_id)
    async with db.begin() as conn:
        await ledger.record(
            conn,
            program_id=hooks.tenant.program_id,
            customer_id=customer.id,
            points=points,
            state="approved",
            reason="test",
            at=at,
        )


def properties(event: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = event["payload"]["properties"]
    return found


async def test_points_expiring_within_the_notice_window_are_announced(
    db: AsyncEngine, hooks: Hooks
) -> None:
    await expiring(db, hooks)
    await hooks.register(topics.APPROACHING_POINTS_EXPIRATION)
    now = utcnow()
    await earned(db, hooks, "ada", 300, now - 25 * DAY)  # expire in 5 days

    told = await notify_expiring_points(hooks.worker.tessera, now)

    assert told == 1
    [event] = await hooks.events()
    notice = properties(event)
    assert notice["customer"]["merchant_id"] == "ada"
    assert notice["points_to_expire"] == 300
    expires = datetime.fromisoformat(notice["expire_points_at"])
    assert abs(expires - (now + 5 * DAY)) < timedelta(seconds=1)
    assert notice["earned_on"] is not None


async def test_a_batch_is_announced_once_however_many_passes_see_it(
    db: AsyncEngine, hooks: Hooks
) -> None:
    await expiring(db, hooks)
    await hooks.register(topics.APPROACHING_POINTS_EXPIRATION)
    now = utcnow()
    await earned(db, hooks, "ada", 300, now - 25 * DAY)

    first = await notify_expiring_points(hooks.worker.tessera, now)
    later = await notify_expiring_points(hooks.worker.tessera, now + DAY)

    assert (first, later) == (1, 0)
    assert len(await hooks.events()) == 1


async def test_points_expiring_after_the_notice_window_are_not_announced_yet(
    db: AsyncEngine, hooks: Hooks
) -> None:
    await expiring(db, hooks)
    await hooks.register(topics.APPROACHING_POINTS_EXPIRATION)
    now = utcnow()
    await earned(db, hooks, "ada", 300, now - 20 * DAY)  # expire in 10 days

    assert await notify_expiring_points(hooks.worker.tessera, now) == 0
    assert await notify_expiring_points(hooks.worker.tessera, now + 4 * DAY) == 1


async def test_points_that_have_expired_already_are_not_announced(
    db: AsyncEngine, hooks: Hooks
) -> None:
    await expiring(db, hooks)
    await hooks.register(topics.APPROACHING_POINTS_EXPIRATION)
    now = utcnow()
    await earned(db, hooks, "ada", 300, now - 40 * DAY)
    await expire_points(hooks.worker.tessera, now)

    assert await notify_expiring_points(hooks.worker.tessera, now) == 0


async def test_inactivity_expiry_is_announced_without_an_earning_date(
    db: AsyncEngine, hooks: Hooks
) -> None:
    await expiring(db, hooks, mode="inactivity")
    await hooks.register(topics.APPROACHING_POINTS_EXPIRATION)
    now = utcnow()
    await earned(db, hooks, "ada", 300, now - 28 * DAY)

    await notify_expiring_points(hooks.worker.tessera, now)

    [event] = await hooks.events()
    assert (properties(event)["points_to_expire"], properties(event)["earned_on"]) == (300, None)


async def test_a_program_whose_webhooks_do_not_hear_the_topic_is_not_visited(
    db: AsyncEngine, hooks: Hooks
) -> None:
    await expiring(db, hooks)
    await hooks.register(topics.CUSTOMERS_UPDATE)
    now = utcnow()
    await earned(db, hooks, "ada", 300, now - 25 * DAY)

    assert await notify_expiring_points(hooks.worker.tessera, now) == 0
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(events)) == 0
