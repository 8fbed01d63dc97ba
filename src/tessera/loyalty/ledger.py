"""An append-only points ledger. Balances, history and tier measures are sums over it, never
stored beside it.

Entry states: ``pending`` (earned, not yet spendable), ``approved`` (spendable), ``spent`` (a
redemption, negative; its refund is a positive ``spent`` entry), ``expired`` (negative) and
``void`` (cancelled; counts for nothing). ``kind`` says what the entry is in the customer's
history: ``earned_points_from_rule``, ``redeemed_points_for_reward``, ``redemption_refunded``,
``points_added``, ``points_removed``, ``points_expired`` or ``entered_tier`` (0 points).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.store.tables import ledger_entries

EntryState = Literal["pending", "approved", "spent", "expired", "void"]
EntryKind = Literal[
    "earned_points_from_rule",
    "redeemed_points_for_reward",
    "redemption_refunded",
    "points_added",
    "points_removed",
    "points_expired",
    "entered_tier",
]
SPENDABLE = ("approved", "spent", "expired")


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    points: int
    state: EntryState
    kind: EntryKind
    reason: str
    created_at: datetime
    rule_id: int | None
    reward_id: int | None
    claimed_reward_id: int | None
    tier_id: int | None
    label: str | None


@dataclass(frozen=True, slots=True)
class Balances:
    approved: int  # spendable now
    pending: int
    spent: int  # points spent on rewards, net of refunds (a positive number)


async def record(
    conn: AsyncConnection,
    *,
    program_id: int,
    customer_id: int,
    points: int,
    state: EntryState,
    reason: str,
    kind: EntryKind = "points_added",
    rule_id: int | None = None,
    reward_id: int | None = None,
    claimed_reward_id: int | None = None,
    tier_id: int | None = None,
    label: str | None = None,
    spend: float | None = None,
    channel: str | None = None,
    at: datetime | None = None,
) -> int:
    """Append one entry and return its id. Spent and expired points are negative amounts."""
    result = await conn.execute(
        ledger_entries.insert()
        .values(
            program_id=program_id,
            customer_id=customer_id,
            points=points,
            state=state,
            reason=reason[:100],
            kind=kind,
            rule_id=rule_id,
            reward_id=reward_id,
            claimed_reward_id=claimed_reward_id,
            tier_id=tier_id,
            label=None if label is None else label[:255],
            spend=None if spend is None else Decimal(str(round(spend, 2))),
            channel=channel,
            created_at=at or utcnow(),
        )
        .returning(ledger_entries.c.id)
    )
    return int(result.scalar_one())


async def approved_balance(conn: AsyncConnection, customer_id: int) -> int:
    """Points a customer can spend: approved earnings less what was spent or expired."""
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.points), 0)).where(
            ledger_entries.c.customer_id == customer_id,
            ledger_entries.c.state.in_(SPENDABLE),
        )
    )
    return int(total or 0)


async def balances(conn: AsyncConnection, customer_id: int) -> Balances:
    rows = (
        await conn.execute(
            sa.select(ledger_entries.c.state, sa.func.sum(ledger_entries.c.points))
            .where(ledger_entries.c.customer_id == customer_id)
            .group_by(ledger_entries.c.state)
        )
    ).all()
    by_state = {row[0]: int(row[1] or 0) for row in rows}
    return Balances(
        approved=sum(by_state.get(state, 0) for state in SPENDABLE),
        pending=by_state.get("pending", 0),
        spent=-by_state.get("spent", 0),
    )


def _entry(row: sa.Row[Any]) -> Entry:
    return Entry(
        id=row.id,
        points=row.points,
        state=row.state,
        kind=row.kind or "points_added",
        reason=row.reason,
        created_at=as_utc(row.created_at),
        rule_id=row.rule_id,
        reward_id=row.reward_id,
        claimed_reward_id=row.claimed_reward_id,
        tier_id=row.tier_id,
        label=row.label,
    )


async def history(conn: AsyncConnection, customer_id: int, limit: int = 50) -> list[Entry]:
    """Newest first. Refund entries are left out: the refunded redemption shows as void."""
    rows = (
        await conn.execute(
            sa.select(ledger_entries)
            .where(
                ledger_entries.c.customer_id == customer_id,
                sa.or_(
                    ledger_entries.c.kind.is_(None),
                    ledger_entries.c.kind != "redemption_refunded",
                ),
            )
            .order_by(ledger_entries.c.created_at.desc(), ledger_entries.c.id.desc())
            .limit(limit)
        )
    ).all()
    return [_entry(row) for row in rows]


async def rule_completion_times(
    conn: AsyncConnection, customer_id: int, rule_id: int
) -> list[datetime]:
    rows = await conn.execute(
        sa.select(ledger_entries.c.created_at).where(
            ledger_entries.c.customer_id == customer_id,
            ledger_entries.c.rule_id == rule_id,
            ledger_entries.c.kind == "earned_points_from_rule",
            ledger_entries.c.state != "void",
        )
    )
    return [as_utc(row[0]) for row in rows]


async def all_rule_completions(
    conn: AsyncConnection, customer_id: int
) -> list[tuple[int, datetime]]:
    """(rule id, completed at) of every completion, for the customer view's rule contexts."""
    rows = (
        await conn.execute(
            sa.select(ledger_entries.c.rule_id, ledger_entries.c.created_at).where(
                ledger_entries.c.customer_id == customer_id,
                ledger_entries.c.kind == "earned_points_from_rule",
                ledger_entries.c.state != "void",
            )
        )
    ).all()
    return [(int(row[0]), as_utc(row[1])) for row in rows]


async def tier_measures(
    conn: AsyncConnection, customer_id: int, since: datetime | None
) -> tuple[int, float, int]:
    """(points earned, money spent, orders) since ``since``: what tiers are measured by."""
    conditions = [
        ledger_entries.c.customer_id == customer_id,
        ledger_entries.c.state.in_(("approved", "pending")),
        ledger_entries.c.points >= 0,
    ]
    if since is not None:
        conditions.append(ledger_entries.c.created_at >= since)
    row = (
        await conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(ledger_entries.c.points), 0),
                sa.func.coalesce(sa.func.sum(ledger_entries.c.spend), 0),
                sa.func.count(ledger_entries.c.spend),
            ).where(*conditions)
        )
    ).one()
    return int(row[0]), float(row[1]), int(row[2])


async def last_tier_entry(conn: AsyncConnection, customer_id: int) -> Entry | None:
    row = (
        await conn.execute(
            sa.select(ledger_entries)
            .where(
                ledger_entries.c.customer_id == customer_id,
                ledger_entries.c.kind == "entered_tier",
            )
            .order_by(ledger_entries.c.id.desc())
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else _entry(row)
