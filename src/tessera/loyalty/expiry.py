"""Points expiry, as the program file's ``points.expiry`` sets it.

- ``inactivity``: once ``days`` have passed since a member's last earning or spending, their
  whole approved balance expires.
- ``fixed_age``: approved points expire ``days`` after they were approved. What was spent,
  removed or expired already is taken from the oldest points first, so what expires now is what
  was approved before the cutoff less everything taken since the start, when that is positive.

Expiry appends one ``expired`` entry (``points_expired``) per member and pass. It is decided
under the member's lock from the ledger as it is then, so two workers expiring the same member
at once expire the points once: the second finds nothing left to expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import find_customer_by_id
from tessera.kit.clock import as_utc
from tessera.loyalty import ledger, program_events
from tessera.loyalty.statements import constant, one_of
from tessera.programs.configuration import PointsExpiry
from tessera.store.tables import ledger_entries

_c = ledger_entries.c
_SPENDABLE = one_of(_c.state, ledger.SPENDABLE)
_EARNED = sa.and_(_c.state == constant("approved"), _c.points > constant(0))
# What counts as activity for ``inactivity``: earning (pending or approved) and spending.
_ACTIVE_STATES = ("approved", "pending", "spent")
# An entry that settles a pending one (tessera.loyalty.pending) is not new activity.
_ACTIVE = sa.and_(
    one_of(_c.state, _ACTIVE_STATES), _c.points != constant(0), _c.settles_id.is_(None)
)


def cutoff(policy: PointsExpiry, now: datetime) -> datetime:
    return now - timedelta(days=policy.days)


async def expirable(
    conn: AsyncConnection, customer_id: int, policy: PointsExpiry, now: datetime
) -> int:
    """How many of the customer's approved points have expired by ``now``."""
    before = cutoff(policy, now)
    row = (
        await conn.execute(
            sa.select(
                ledger.sum_where(_SPENDABLE, _c.points),
                ledger.sum_where(sa.and_(_EARNED, _c.created_at <= before), _c.points),
                ledger.sum_where(_EARNED, _c.points),
                sa.func.max(sa.case((_ACTIVE, _c.created_at))),
            ).where(_c.customer_id == customer_id)
        )
    ).one()
    balance, earned_before, earned, last_active = int(row[0]), int(row[1]), int(row[2]), row[3]
    if balance <= 0:
        return 0
    if policy.mode == "inactivity":
        if last_active is None:
            return 0
        last = as_utc(last_active)
        return balance if last <= before else 0
    taken = earned - balance  # spent, removed and expired so far, oldest points first
    return max(0, min(balance, earned_before - taken))


async def expire_member(
    conn: AsyncConnection, program_id: int, customer_id: int, policy: PointsExpiry, now: datetime
) -> int:
    """Expire what has expired of one member's points (locking the member); how many."""
    customer = await find_customer_by_id(conn, program_id, customer_id, for_update=True)
    if customer is None:
        return 0
    due = await expirable(conn, customer.id, policy, now)
    if due > 0:
        await ledger.record(
            conn,
            program_id=program_id,
            customer_id=customer.id,
            points=-due,
            state="expired",
            reason="points expired",
            kind="points_expired",
            at=now,
        )
        await program_events.customer_changed(conn, program_id, customer.id, now)
    return due


async def members_due(
    conn: AsyncConnection,
    program_id: int,
    policy: PointsExpiry,
    now: datetime,
    *,
    after_id: int,
    limit: int,
) -> list[int]:
    """Ids (above ``after_id``, ascending) of members with approved points that may have
    expired: with a balance, and earnings (``fixed_age``) or a last activity (``inactivity``)
    before the cutoff."""
    before = cutoff(policy, now)
    aged = (
        sa.func.min(sa.case((_EARNED, _c.created_at)))
        if policy.mode == "fixed_age"
        else sa.func.max(sa.case((_ACTIVE, _c.created_at)))
    )
    rows = await conn.execute(
        sa.select(_c.customer_id)
        .where(_c.program_id == program_id, _c.customer_id > after_id)
        .group_by(_c.customer_id)
        .having(sa.and_(ledger.sum_where(_SPENDABLE, _c.points) > 0, aged <= before))
        .order_by(_c.customer_id)
        .limit(limit)
    )
    return [int(row[0]) for row in rows]


async def expires_at(
    conn: AsyncConnection, customer_id: int, policy: PointsExpiry
) -> datetime | None:
    """When the member's next approved points expire if nothing else happens (``inactivity``:
    the whole balance; ``fixed_age``: the oldest points still unspent), or None."""
    rows = (
        await conn.execute(
            sa.select(_c.points, _c.state, _c.created_at)
            .where(_c.customer_id == customer_id, one_of(_c.state, (*ledger.SPENDABLE, "pending")))
            .order_by(_c.created_at, _c.id)
        )
    ).all()
    return next_expiry([(int(p), str(s), as_utc(at)) for p, s, at in rows], policy)


def next_expiry(entries: list[tuple[int, str, datetime]], policy: PointsExpiry) -> datetime | None:
    """``expires_at`` from a member's entries (points, state, created_at), oldest first."""
    spendable = [(p, at) for p, s, at in entries if s in ledger.SPENDABLE]
    balance = sum(p for p, _ in spendable)
    if balance <= 0:
        return None
    days = timedelta(days=policy.days)
    if policy.mode == "inactivity":
        active = [at for p, s, at in entries if p != 0 and s in ("approved", "pending", "spent")]
        return max(active) + days if active else None
    taken = sum(p for p, _ in spendable if p > 0) - balance
    for points, at in spendable:
        if points <= 0:
            continue
        if taken >= points:
            taken -= points
            continue
        return at + days
    return None


def entry_expiries(
    newest_first: list[ledger.Entry], approved_balance: int, policy: PointsExpiry | None
) -> dict[int, datetime]:
    """When each approved earning among ``newest_first`` expires, if it is still (partly)
    unspent: spending takes the oldest points first, so the unspent points are the newest
    earnings that add up to the approved balance. ``inactivity`` expires them all together,
    ``days`` after the newest earning or spending."""
    if policy is None or approved_balance <= 0:
        return {}
    days = timedelta(days=policy.days)
    last_active = next(
        (e.created_at for e in newest_first if e.points != 0 and e.state in _ACTIVE_STATES),
        None,
    )
    expiries: dict[int, datetime] = {}
    remaining = approved_balance
    for entry in newest_first:
        if remaining <= 0:
            break
        if entry.state != "approved" or entry.points <= 0:
            continue
        if policy.mode == "inactivity":
            if last_active is None:
                break
            expiries[entry.id] = last_active + days
        else:
            expiries[entry.id] = entry.created_at + days
        remaining -= entry.points
    return expiries
