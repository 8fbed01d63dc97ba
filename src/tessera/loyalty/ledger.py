"""An append-only points ledger. Balances, history and tier measures are sums over it, never
stored beside it.

Entry states: ``pending`` (earned, not yet spendable), ``approved`` (spendable), ``spent`` (a
redemption, negative; its refund is a positive ``spent`` entry), ``expired`` (negative) and
``void`` (cancelled; counts for nothing). ``kind`` says what the entry is in the customer's
history: ``earned_points_from_rule``, ``redeemed_points_for_reward``, ``redemption_refunded``,
``points_added``, ``points_removed``, ``points_expired`` or ``entered_tier`` (0 points).

Pending points move on by appending, never by changing an entry (tessera.loyalty.pending): an
approval adds ``-p pending`` and ``+p approved``, a void ``-p pending``, each with ``settles_id``
naming the pending entry and the kind ``pending_approved`` or ``pending_voided``. Those entries
are not in the history: the pending entry they settle shows as approved or void instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.loyalty.statements import constant, one_of
from tessera.store.prepared import Prepared
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
    "pending_approved",
    "pending_voided",
]
SETTLEMENTS = ("pending_approved", "pending_voided")
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


# Built once; ``.values(...)`` per call costs more than the INSERT itself on SQLite.
_RECORD = Prepared(ledger_entries.insert().returning(ledger_entries.c.id))


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
    spend: float | Decimal | None = None,
    channel: str | None = None,
    at: datetime | None = None,
    order_id: int | None = None,
    activity_id: int | None = None,
    settles_id: int | None = None,
) -> int:
    """Append one entry and return its id. Spent and expired points are negative amounts."""
    row = {
        "program_id": program_id,
        "customer_id": customer_id,
        "points": points,
        "state": state,
        "reason": reason[:100],
        "kind": kind,
        "rule_id": rule_id,
        "reward_id": reward_id,
        "claimed_reward_id": claimed_reward_id,
        "tier_id": tier_id,
        "label": None if label is None else label[:255],
        "spend": None if spend is None else Decimal(str(round(spend, 2))),
        "channel": channel,
        "created_at": at or utcnow(),
        "order_id": order_id,
        "activity_id": activity_id,
        "settles_id": settles_id,
    }
    return int(await _RECORD.scalar(conn, row))


async def approved_balance(conn: AsyncConnection, customer_id: int) -> int:
    """Points a customer can spend: approved earnings less what was spent or expired."""
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.points), 0)).where(
            ledger_entries.c.customer_id == customer_id,
            ledger_entries.c.state.in_(SPENDABLE),
        )
    )
    return int(total or 0)


async def take_back(
    conn: AsyncConnection,
    *,
    program_id: int,
    customer_id: int,
    points: int,
    reason: str,
    kind: EntryKind = "points_removed",
    rule_id: int | None = None,
    label: str | None = None,
    at: datetime | None = None,
    order_id: int | None = None,
    activity_id: int | None = None,
) -> int:
    """Take up to ``points`` back from the approved balance, never leaving it below zero, and
    return how many were taken (the caller records what could not be). The caller holds the
    customer's lock (``members.locked_customer``), so the balance cannot move meanwhile."""
    taken = min(points, max(await approved_balance(conn, customer_id), 0))
    if taken > 0:
        await record(
            conn,
            program_id=program_id,
            customer_id=customer_id,
            points=-taken,
            state="approved",
            reason=reason,
            kind=kind,
            rule_id=rule_id,
            label=label,
            at=at,
            order_id=order_id,
            activity_id=activity_id,
        )
    return taken


CUSTOMER_PARAM: sa.BindParameter[int] = sa.bindparam("customer_id")
_SINCE = sa.bindparam("since", type_=ledger_entries.c.created_at.type)
# Tier measures count what was earned from ``since`` (the window's start; the epoch: all time):
# a pending entry counts from when it was earned, so its approval adds nothing and its void
# takes it out again.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_kind = sa.func.coalesce(ledger_entries.c.kind, constant("none"))
_MEASURED = sa.and_(
    one_of(ledger_entries.c.state, ("approved", "pending")),
    _kind != constant("pending_approved"),
    sa.or_(ledger_entries.c.points >= constant(0), _kind == constant("pending_voided")),
    ledger_entries.c.created_at >= _SINCE,
)
_settling = ledger_entries.alias("settling")
# Of a pending entry: the kind of the entries that settled it (approved or voided), or NULL.
SETTLED = sa.case(
    (
        ledger_entries.c.state == constant("pending"),
        sa.select(sa.func.max(_settling.c.kind))
        .where(_settling.c.settles_id == ledger_entries.c.id)
        .scalar_subquery(),
    )
)


def sum_where(condition: sa.ColumnElement[bool], value: Any) -> Any:
    """The sum of ``value`` over the rows where ``condition`` holds; 0 when there are none."""
    return sa.func.coalesce(
        sa.func.sum(sa.case((condition, value), else_=constant(0))), constant(0)
    )


# Balances and tier measures in one row: built once, executed with parameters (statements built
# per call cost more than the query itself on SQLite).
_TOTALS = sa.select(
    sum_where(one_of(ledger_entries.c.state, SPENDABLE), ledger_entries.c.points),
    sum_where(ledger_entries.c.state == constant("pending"), ledger_entries.c.points),
    sum_where(ledger_entries.c.state == constant("spent"), ledger_entries.c.points),
    sum_where(_MEASURED, ledger_entries.c.points),
    sum_where(_MEASURED, ledger_entries.c.spend),
    sa.func.count(sa.case((_MEASURED, ledger_entries.c.spend))),
).where(ledger_entries.c.customer_id == CUSTOMER_PARAM)


_PREPARED_TOTALS = Prepared(_TOTALS)


@dataclass(frozen=True, slots=True)
class Totals:
    balances: Balances
    tier_points: int  # earned (approved or pending) since the tier window's start
    tier_spend: float
    tier_orders: int


async def totals(conn: AsyncConnection, customer_id: int, since: datetime | None) -> Totals:
    params = {"customer_id": customer_id, "since": since or EPOCH}
    row = (await _PREPARED_TOTALS.rows(conn, params))[0]
    return Totals(
        balances=Balances(approved=int(row[0]), pending=int(row[1]), spent=-int(row[2])),
        tier_points=int(row[3]),
        tier_spend=float(row[4]),
        tier_orders=int(row[5]),
    )


async def balances(conn: AsyncConnection, customer_id: int) -> Balances:
    return (await totals(conn, customer_id, None)).balances


async def balances_of(conn: AsyncConnection, customer_ids: list[int]) -> dict[int, Balances]:
    """Balances of many customers in one query (a listing's page); a customer with no entries
    has zero balances."""
    if not customer_ids:
        return {}
    rows = await conn.execute(
        sa.select(
            ledger_entries.c.customer_id,
            sum_where(one_of(ledger_entries.c.state, SPENDABLE), ledger_entries.c.points),
            sum_where(ledger_entries.c.state == constant("pending"), ledger_entries.c.points),
            sum_where(ledger_entries.c.state == constant("spent"), ledger_entries.c.points),
        )
        .where(ledger_entries.c.customer_id.in_(customer_ids))
        .group_by(ledger_entries.c.customer_id)
    )
    found = {
        int(row[0]): Balances(approved=int(row[1]), pending=int(row[2]), spent=-int(row[3]))
        for row in rows
    }
    empty = Balances(approved=0, pending=0, spent=0)
    return {customer_id: found.get(customer_id, empty) for customer_id in customer_ids}


_c = ledger_entries.c
# The columns of an Entry, in the order of its fields: rows are unpacked by position (a Row's
# attribute lookups cost more than building the Entry).
_ENTRY = (
    _c.id,
    _c.points,
    _c.state,
    _c.kind,
    _c.reason,
    _c.created_at,
    _c.rule_id,
    _c.reward_id,
    _c.claimed_reward_id,
    _c.tier_id,
    _c.label,
)


def _entry(row: Any) -> Entry:
    entry_id, points, state, kind, reason, at, rule_id, reward_id, claim_id, tier_id, label = row
    return Entry(
        entry_id,
        points,
        state,
        kind or "points_added",
        reason,
        as_utc(at),
        rule_id,
        reward_id,
        claim_id,
        tier_id,
        label,
    )


# For listings of entries elsewhere (tessera.loyalty.transactions_list).
ENTRY_COLUMNS = _ENTRY


def entry_from_row(row: Any) -> Entry:
    """An Entry from a row whose first columns are ``ENTRY_COLUMNS``."""
    return _entry(tuple(row)[: len(_ENTRY)])


_COMPLETION_TIMES = sa.select(ledger_entries.c.created_at).where(
    ledger_entries.c.customer_id == CUSTOMER_PARAM,
    ledger_entries.c.rule_id == sa.bindparam("rule_id"),
    ledger_entries.c.kind == constant("earned_points_from_rule"),
    ledger_entries.c.state != constant("void"),
    # Declined while pending: not a completion (an approved one voided later still is).
    sa.func.coalesce(SETTLED, constant("none")) != constant("pending_voided"),
)


_PREPARED_COMPLETION_TIMES = Prepared(_COMPLETION_TIMES)


async def rule_completion_times(
    conn: AsyncConnection, customer_id: int, rule_id: int
) -> list[datetime]:
    params = {"customer_id": customer_id, "rule_id": rule_id}
    return [as_utc(row[0]) for row in await _PREPARED_COMPLETION_TIMES.rows(conn, params)]


async def tier_measures(
    conn: AsyncConnection, customer_id: int, since: datetime | None
) -> tuple[int, float, int]:
    """(points earned, money spent, orders) since ``since``: what tiers are measured by."""
    found = await totals(conn, customer_id, since)
    return found.tier_points, found.tier_spend, found.tier_orders


_LAST_TIER = (
    sa.select(*_ENTRY)
    .where(ledger_entries.c.customer_id == CUSTOMER_PARAM, ledger_entries.c.kind == "entered_tier")
    .order_by(ledger_entries.c.id.desc())
    .limit(1)
)


_PREPARED_LAST_TIER = Prepared(_LAST_TIER)


async def last_tier_entry(conn: AsyncConnection, customer_id: int) -> Entry | None:
    rows = await _PREPARED_LAST_TIER.rows(conn, {"customer_id": customer_id})
    return _entry(rows[0]) if rows else None
