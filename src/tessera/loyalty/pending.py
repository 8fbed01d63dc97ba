"""Pending points moving on: approved (spendable from now) or void (they never count).

The ledger is append-only, so a transition is entries, never an update: approving a pending
entry of ``p`` points appends ``-p pending`` and ``+p approved``, voiding it ``-p pending``;
each names the entry it settles (``settles_id``) and has the kind ``pending_approved`` or
``pending_voided``. A pending entry is settled once: what is settled is not pending any more.

Whatever holds pending points (an activity awaiting moderation, an order in its approval
period) finds them with :func:`unsettled` and moves them with :func:`approve` or :func:`void`.
The caller holds the customer's lock (``members.locked_customer``), so two workers never settle
the same entry twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc
from tessera.loyalty import ledger
from tessera.store.tables import ledger_entries


@dataclass(frozen=True, slots=True)
class PendingEntry:
    id: int
    program_id: int
    customer_id: int
    points: int
    rule_id: int | None
    label: str | None
    channel: str | None
    activity_id: int | None
    order_id: int | None
    created_at: datetime


_settling = ledger_entries.alias("settling")
_c = ledger_entries.c


# A ledger entry that is pending and that nothing has approved or voided yet.
UNSETTLED = sa.and_(
    _c.state == "pending",
    _c.settles_id.is_(None),
    ~sa.exists().where(_settling.c.settles_id == _c.id),
)


async def unsettled(conn: AsyncConnection, source: sa.ColumnElement[bool]) -> list[PendingEntry]:
    """The pending entries matching ``source`` (e.g. ``activity_id == 7``) that nothing has
    approved or voided yet, oldest first."""
    rows = await conn.execute(
        sa.select(
            _c.id,
            _c.program_id,
            _c.customer_id,
            _c.points,
            _c.rule_id,
            _c.label,
            _c.channel,
            _c.activity_id,
            _c.order_id,
            _c.created_at,
        )
        .where(source, UNSETTLED)
        .order_by(_c.id)
    )
    return [
        PendingEntry(
            id=row.id,
            program_id=row.program_id,
            customer_id=row.customer_id,
            points=row.points,
            rule_id=row.rule_id,
            label=row.label,
            channel=row.channel,
            activity_id=row.activity_id,
            order_id=row.order_id,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    ]


def _settlement(entry: PendingEntry, kind: ledger.EntryKind, now: datetime) -> dict[str, Any]:
    return dict(
        program_id=entry.program_id,
        customer_id=entry.customer_id,
        reason=f"settles entry {entry.id}",
        kind=kind,
        rule_id=entry.rule_id,
        label=entry.label,
        channel=entry.channel,
        at=now,
        activity_id=entry.activity_id,
        order_id=entry.order_id,
        settles_id=entry.id,
    )


async def approve(conn: AsyncConnection, entries: list[PendingEntry], now: datetime) -> int:
    """Make ``entries`` spendable; the points approved."""
    for entry in entries:
        settlement = _settlement(entry, "pending_approved", now)
        await ledger.record(conn, points=-entry.points, state="pending", **settlement)
        await ledger.record(conn, points=entry.points, state="approved", **settlement)
    return sum(entry.points for entry in entries)


async def void(conn: AsyncConnection, entries: list[PendingEntry], now: datetime) -> int:
    """Cancel ``entries``: they leave the pending balance and never become spendable; the
    points voided."""
    for entry in entries:
        settlement = _settlement(entry, "pending_voided", now)
        await ledger.record(conn, points=-entry.points, state="pending", **settlement)
    return sum(entry.points for entry in entries)
