"""Telling members their points are about to expire: the approaching_points_expiration webhook
(tessera.loyalty.program_events), sent ``points.expiry.notify_days_before`` days (default 7)
before a member's next points expire, once per expiring batch.

A batch is what expires at one moment (``expiry.expires_at``): under ``fixed_age`` the oldest
approved points still unspent, under ``inactivity`` the whole balance. The event's id is made
from the member and that moment, so however many passes and workers see the batch coming, it is
announced once; a member whose expiry moves (they earned or spent since) and comes near again
is told again. Each member is decided under their lock, as expiry itself is.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import find_customer_by_id
from tessera.loyalty import expiry, program_events
from tessera.programs.configuration import PointsExpiry

_NOTICES = uuid.UUID("5d0c1a52-6f7e-4f0e-9a41-3b7c2f1e8d90")


def notice_window(policy: PointsExpiry) -> timedelta:
    return timedelta(days=policy.notify_days_before)


def notice_id(program_id: int, customer_id: int, expires: datetime) -> str:
    """The event id of the notice of one batch: the same for the same batch, always."""
    return str(uuid.uuid5(_NOTICES, f"{program_id}:{customer_id}:{expires.isoformat()}"))


async def members_to_notify(
    conn: AsyncConnection,
    program_id: int,
    policy: PointsExpiry,
    now: datetime,
    *,
    after_id: int,
    limit: int,
) -> list[int]:
    """Ids (above ``after_id``, ascending) of members with points that expire within the
    notice window."""
    until = now + notice_window(policy)
    return await expiry.members_due(conn, program_id, policy, until, after_id=after_id, limit=limit)


async def notify_member(
    conn: AsyncConnection, program_id: int, customer_id: int, policy: PointsExpiry, now: datetime
) -> int:
    """Announce the member's next expiring batch if it expires within the notice window and
    was not announced yet; 1 if it was announced now, else 0."""
    customer = await find_customer_by_id(conn, program_id, customer_id, for_update=True)
    if customer is None:
        return 0
    expires = await expiry.expires_at(conn, customer.id, policy)
    if expires is None or not now < expires <= now + notice_window(policy):
        return 0  # not within the window (what has expired already is the expiry pass's)
    points = await expiry.expirable(conn, customer.id, policy, expires)
    earned_on = expires - timedelta(days=policy.days) if policy.mode == "fixed_age" else None
    told = await program_events.points_expiring(
        conn,
        program_id,
        customer,
        expire_at=expires,
        points=points,
        earned_on=earned_on,
        public_id=notice_id(program_id, customer.id, expires),
        now=now,
    )
    return 1 if told else 0
