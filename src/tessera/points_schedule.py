"""The points ledger's scheduled work in `tessera serve`: orders' points at the end of their
approval period (the program file's ``points.order_pending_days``), and points that have
expired (``points.expiry``).

Each worker runs :func:`points_forever` from the app's lifespan, like the purge. A pass visits
each program with a policy, reads the members who may be due in batches of ``BATCH``
(ascending id, so a pass always ends), and settles each batch in one write through the app's
group commit. Several workers (or machines) passing at once are safe: each member is decided
under its lock from the ledger as it is then, so the second finds nothing left to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import utcnow
from tessera.loyalty import expiry, order_approval
from tessera.programs.configuration import PointsExpiry, current_document
from tessera.programs.sites import program_ids
from tessera.state import Tessera

log = structlog.get_logger("tessera.points")

BATCH = 200  # members per read and per write


def _expiring(
    program_id: int, policy: PointsExpiry, members: list[int], now: datetime
) -> Callable[[AsyncConnection], Awaitable[int]]:
    async def work(conn: AsyncConnection) -> int:
        expired = 0
        for member in members:
            expired += await expiry.expire_member(conn, program_id, member, policy, now)
        return expired

    return work


async def expire_points(
    tessera: Tessera, now: datetime | None = None, *, batch: int = BATCH
) -> int:
    """One pass over every program; how many points expired."""
    moment = now or utcnow()
    async with tessera.engine.connect() as conn:
        policies: list[tuple[int, PointsExpiry]] = []
        for program_id in await program_ids(conn):
            policy = (await current_document(conn, program_id)).points.expiry
            if policy is not None:
                policies.append((program_id, policy))
    total = 0
    for program_id, policy in policies:
        after = 0
        while True:
            async with tessera.engine.connect() as conn:
                due = await expiry.members_due(
                    conn, program_id, policy, moment, after_id=after, limit=batch
                )
            if not due:
                break

            total += await tessera.writes.run(_expiring(program_id, policy, due, moment))
            after = due[-1]
            if len(due) < batch:
                break
    return total


def _approving(
    program_id: int, members: list[int], before: datetime, now: datetime
) -> Callable[[AsyncConnection], Awaitable[int]]:
    async def work(conn: AsyncConnection) -> int:
        approved = 0
        for member in members:
            approved += await order_approval.approve_due_order_points(
                conn, program_id, member, before, now
            )
        return approved

    return work


async def approve_order_points(
    tessera: Tessera, now: datetime | None = None, *, batch: int = BATCH
) -> int:
    """One pass over every program with an approval period; how many points were approved."""
    moment = now or utcnow()
    async with tessera.engine.connect() as conn:
        periods: list[tuple[int, int]] = []
        for program_id in await program_ids(conn):
            days = (await current_document(conn, program_id)).points.order_pending_days
            if days > 0:
                periods.append((program_id, days))
    total = 0
    for program_id, days in periods:
        before = order_approval.approval_cutoff(days, moment)
        after = 0
        while True:
            async with tessera.engine.connect() as conn:
                due = await order_approval.members_with_due_order_points(
                    conn, program_id, before, after_id=after, limit=batch
                )
            if not due:
                break
            total += await tessera.writes.run(_approving(program_id, due, before, moment))
            after = due[-1]
            if len(due) < batch:
                break
    return total


async def points_forever(tessera: Tessera, interval: float) -> None:
    """A pass every ``interval`` seconds until cancelled; a failed pass is logged and retried."""
    while True:
        await asyncio.sleep(interval)
        try:
            approved = await approve_order_points(tessera)
            expired = await expire_points(tessera)
        except Exception as exc:
            log.warning("points pass failed; retrying next interval", error=type(exc).__name__)
            continue
        if approved or expired:
            log.info("points moved", approved=approved, expired=expired)
