"""The tier standings of a page of members in a fixed number of queries (not one per member):
the listings' counterpart of ``tiers.standing``, derived the same way (``tiers.standing_from``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.clock import as_utc
from tessera.loyalty import ledger, tiers
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.statements import constant, one_of
from tessera.store.tables import Timestamp, ledger_entries

_e = ledger_entries.c


async def _measures(
    conn: AsyncConnection, starts: dict[int, datetime]
) -> dict[int, tuple[int, float, int]]:
    """(points earned, spend, orders) per member since their tier window's start (``starts``:
    one CASE, so the page's members are measured in one query)."""
    since = sa.case(
        {customer_id: sa.literal(start, Timestamp) for customer_id, start in starts.items()},
        value=_e.customer_id,
    )
    rows = await conn.execute(
        sa.select(
            _e.customer_id,
            sa.func.coalesce(sa.func.sum(_e.points), 0),
            sa.func.coalesce(sa.func.sum(_e.spend), 0),
            sa.func.count(_e.spend),
        )
        .where(
            _e.customer_id.in_(list(starts)),
            one_of(_e.state, ("approved", "pending")),
            _e.points >= constant(0),
            _e.created_at >= since,
        )
        .group_by(_e.customer_id)
    )
    return {int(row[0]): (int(row[1]), float(row[2]), int(row[3])) for row in rows}


async def _last_tiers(
    conn: AsyncConnection, customer_ids: list[int]
) -> dict[int, tuple[int, datetime]]:
    """(tier id, entered at) of each member's last tier entry."""
    last = (
        sa.select(sa.func.max(_e.id))
        .where(_e.customer_id.in_(customer_ids), _e.kind == constant("entered_tier"))
        .group_by(_e.customer_id)
    )
    rows = await conn.execute(
        sa.select(_e.customer_id, _e.tier_id, _e.created_at).where(_e.id.in_(last))
    )
    return {int(row[0]): (int(row[1]), as_utc(row[2])) for row in rows if row[1] is not None}


async def standings_of(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    members: list[Customer],
    balances: dict[int, ledger.Balances],
    currency: str,
    now: datetime,
) -> dict[int, tiers.TierStanding | None]:
    """Each enrolled customer's standing (None without tiers); others are left out."""
    enrolled = [customer for customer in members if customer.state == "enrolled"]
    if program.document.tiers is None or not enrolled:
        return {customer.id: None for customer in enrolled}
    starts = {c.id: tiers.window(program, c, now) or ledger.EPOCH for c in enrolled}
    measures = await _measures(conn, starts)
    last = await _last_tiers(conn, list(starts))
    found: dict[int, tiers.TierStanding | None] = {}
    for customer in enrolled:
        points, spend, orders = measures.get(customer.id, (0, 0.0, 0))
        totals = ledger.Totals(
            balances=balances[customer.id],
            tier_points=points,
            tier_spend=spend,
            tier_orders=orders,
        )
        found[customer.id] = tiers.standing_from(
            program, customer, currency, now, totals, last.get(customer.id)
        )
    return found
