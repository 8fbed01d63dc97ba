"""The end of orders' approval period (``points.order_pending_days``): an order's pending points
are approved once they have been pending that many days, unless a refund or cancellation voided
them first (``orders.settle_points``).

A member's due entries are found again and approved under the member's lock, so two workers
approving at once approve each entry once (``pending.unsettled`` leaves out what is settled).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import find_customer_by_id
from tessera.loyalty import pending, program_events
from tessera.store.tables import ledger_entries

_c = ledger_entries.c


def approval_cutoff(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


def _due(before: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(_c.order_id.is_not(None), _c.created_at <= before)


async def members_with_due_order_points(
    conn: AsyncConnection, program_id: int, before: datetime, *, after_id: int, limit: int
) -> list[int]:
    """Ids (above ``after_id``, ascending) of members with order points pending since before
    ``before`` that may still be unsettled."""
    rows = await conn.execute(
        sa.select(_c.customer_id)
        .where(
            _c.program_id == program_id,
            _c.customer_id > after_id,
            pending.UNSETTLED,
            _due(before),
        )
        .group_by(_c.customer_id)
        .order_by(_c.customer_id)
        .limit(limit)
    )
    return [int(row[0]) for row in rows]


async def approve_due_order_points(
    conn: AsyncConnection, program_id: int, customer_id: int, before: datetime, now: datetime
) -> int:
    """Approve the member's order points pending since before ``before``; how many."""
    customer = await find_customer_by_id(conn, program_id, customer_id, for_update=True)
    if customer is None:
        return 0
    due = await pending.unsettled(conn, sa.and_(_c.customer_id == customer.id, _due(before)))
    approved = await pending.approve(conn, due, now)
    if due:
        await program_events.customer_changed(conn, program_id, customer.id, now)
    return approved
