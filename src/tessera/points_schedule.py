"""The points ledger's scheduled work in `tessera serve`: orders' points at the end of their
approval period (the program file's ``points.order_pending_days``), points that have expired
(``points.expiry``), and the notices of points about to expire (tessera.loyalty.expiry_notices,
only for programs with a webhook that hears them).

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
from tessera.loyalty import expiry, expiry_notices, order_approval
from tessera.loyalty.program_events import APPROACHING_POINTS_EXPIRATION
from tessera.programs.configuration import PointsExpiry, PointsPolicy, current_document
from tessera.programs.sites import program_ids
from tessera.state import Tessera
from tessera.webhooks.outbox import LOYALTYLION, subscribed_types

log = structlog.get_logger("tessera.points")

BATCH = 200  # members per read and per write


Finder = Callable[[AsyncConnection, int, int], Awaitable[list[int]]]
Settler = Callable[[AsyncConnection, int], Awaitable[int]]


async def points_policies(tessera: Tessera) -> dict[int, PointsPolicy]:
    """Each program's points policy (approval period and expiry), from its file in force."""
    async with tessera.engine.connect() as conn:
        return {
            program_id: (await current_document(conn, program_id)).points
            for program_id in await program_ids(conn)
        }


async def _in_batches(tessera: Tessera, find: Finder, settle: Settler, batch: int) -> int:
    """``find(conn, after_id, limit)`` the members due, a batch at a time in ascending id, and
    ``settle(conn, member)`` each batch in one write; the total ``settle`` returned."""
    total = after = 0
    while True:
        async with tessera.engine.connect() as conn:
            due = await find(conn, after, batch)
        if not due:
            return total

        async def work(conn: AsyncConnection, members: list[int] = due) -> int:
            done = 0
            for member in members:
                done += await settle(conn, member)
            return done

        total += await tessera.writes.run(work)
        if len(due) < batch:
            return total
        after = due[-1]


MembersDue = Callable[..., Awaitable[list[int]]]
SettleMember = Callable[[AsyncConnection, int, int, PointsExpiry, datetime], Awaitable[int]]


async def _over_expiry_policies(
    tessera: Tessera,
    policies: dict[int, PointsPolicy],
    members_due: MembersDue,
    settle_member: SettleMember,
    moment: datetime,
    batch: int,
    only_heard: str | None = None,
) -> int:
    """``members_due(conn, program, rule, moment, after_id=, limit=)`` then
    ``settle_member(conn, program, member, rule, moment)`` over every program with an expiry
    policy (and, given ``only_heard``, a LoyaltyLion webhook that hears that topic)."""
    total = 0
    for program_id, points in policies.items():
        policy = points.expiry
        if policy is None:
            continue
        if only_heard is not None:
            async with tessera.engine.connect() as conn:
                if only_heard not in await subscribed_types(conn, program_id, LOYALTYLION):
                    continue

        async def find(
            conn: AsyncConnection,
            after: int,
            limit: int,
            p: int = program_id,
            rule: PointsExpiry = policy,
        ) -> list[int]:
            return await members_due(conn, p, rule, moment, after_id=after, limit=limit)

        async def settle(
            conn: AsyncConnection, member: int, p: int = program_id, rule: PointsExpiry = policy
        ) -> int:
            return await settle_member(conn, p, member, rule, moment)

        total += await _in_batches(tessera, find, settle, batch)
    return total


async def expire_points(
    tessera: Tessera,
    now: datetime | None = None,
    *,
    batch: int = BATCH,
    policies: dict[int, PointsPolicy] | None = None,
) -> int:
    """One pass over every program with an expiry policy; how many points expired."""
    return await _over_expiry_policies(
        tessera,
        policies or await points_policies(tessera),
        expiry.members_due,
        expiry.expire_member,
        now or utcnow(),
        batch,
    )


async def notify_expiring_points(
    tessera: Tessera,
    now: datetime | None = None,
    *,
    batch: int = BATCH,
    policies: dict[int, PointsPolicy] | None = None,
) -> int:
    """One pass over every program with an expiry policy and a webhook that hears
    approaching_points_expiration; how many members were told."""
    return await _over_expiry_policies(
        tessera,
        policies or await points_policies(tessera),
        expiry_notices.members_to_notify,
        expiry_notices.notify_member,
        now or utcnow(),
        batch,
        only_heard=APPROACHING_POINTS_EXPIRATION,
    )


async def approve_order_points(
    tessera: Tessera,
    now: datetime | None = None,
    *,
    batch: int = BATCH,
    policies: dict[int, PointsPolicy] | None = None,
) -> int:
    """One pass over every program with an approval period; how many points were approved."""
    moment = now or utcnow()
    total = 0
    for program_id, points in (policies or await points_policies(tessera)).items():
        if points.order_pending_days == 0:
            continue
        before = order_approval.approval_cutoff(points.order_pending_days, moment)

        async def find(
            conn: AsyncConnection,
            after: int,
            limit: int,
            p: int = program_id,
            cutoff: datetime = before,
        ) -> list[int]:
            return await order_approval.members_with_due_order_points(
                conn, p, cutoff, after_id=after, limit=limit
            )

        async def settle(
            conn: AsyncConnection, member: int, p: int = program_id, cutoff: datetime = before
        ) -> int:
            return await order_approval.approve_due_order_points(conn, p, member, cutoff, moment)

        total += await _in_batches(tessera, find, settle, batch)
    return total


async def points_forever(tessera: Tessera, interval: float) -> None:
    """A pass every ``interval`` seconds until cancelled; a failed pass is logged and retried."""
    while True:
        await asyncio.sleep(interval)
        try:
            policies = await points_policies(tessera)
            approved = await approve_order_points(tessera, policies=policies)
            expired = await expire_points(tessera, policies=policies)
            notified = await notify_expiring_points(tessera, policies=policies)
        except Exception as exc:
            log.warning("points pass failed; retrying next interval", error=type(exc).__name__)
            continue
        if approved or expired or notified:
            log.info("points moved", approved=approved, expired=expired, notified=notified)
