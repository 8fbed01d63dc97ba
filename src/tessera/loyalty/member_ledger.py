"""A member's ledger as the views read it: the newest entries as history, and every rule
completion and tier entry however old (the marks limits and tiers are decided by), in one
query."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.loyalty.ledger import (
    CUSTOMER_PARAM,
    ENTRY_COLUMNS,
    SETTLED,
    SETTLEMENTS,
    Entry,
    EntryState,
    entry_from_row,
)
from tessera.loyalty.statements import constant
from tessera.store.prepared import Prepared
from tessera.store.tables import ledger_entries

HISTORY_LENGTH = 50
_NEWEST = (
    sa.func.row_number()
    .over(order_by=(ledger_entries.c.created_at.desc(), ledger_entries.c.id.desc()))
    .label("newest")
)
# A member's history (the newest HISTORY_LENGTH entries; refund and settlement entries are
# left out: the refunded redemption shows as void, the settled pending entry as approved or
# void) and every entry that is a mark (a rule completion that is not void, a tier entered),
# older ones included: one query, newest first.
_VISIBLE = (
    sa.select(*ENTRY_COLUMNS, SETTLED.label("settled"), _NEWEST)
    .where(
        ledger_entries.c.customer_id == CUSTOMER_PARAM,
        sa.or_(
            ledger_entries.c.kind.is_(None),
            ledger_entries.c.kind.not_in(
                [constant(kind) for kind in ("redemption_refunded", *SETTLEMENTS)]
            ),
        ),
    )
    .subquery()
)
_v = _VISIBLE.c
_IS_COMPLETION = sa.and_(
    _v.kind == constant("earned_points_from_rule"), _v.state != constant("void")
)
_MEMBER_LEDGER = (
    sa.select(_VISIBLE)
    .where(
        sa.or_(
            _v.newest <= constant(HISTORY_LENGTH),
            _IS_COMPLETION,
            _v.kind == constant("entered_tier"),
        )
    )
    .order_by(_v.newest)
)


_PREPARED_MEMBER_LEDGER = Prepared(_MEMBER_LEDGER)


@dataclass(frozen=True, slots=True)
class Marks:
    completions: dict[int, list[datetime]]  # rule id -> completion times (void ones left out)
    last_tier: tuple[int, datetime] | None  # (tier id, entered at) of the last tier entry


async def member_ledger(conn: AsyncConnection, customer_id: int) -> tuple[list[Entry], Marks]:
    """The member's history (newest first) and marks (every rule completion, the last tier
    entered), in one query."""
    history: list[Entry] = []
    completions: dict[int, list[datetime]] = {}
    last: Entry | None = None
    for row in await _PREPARED_MEMBER_LEDGER.rows(conn, {"customer_id": customer_id}):
        entry = entry_from_row(row)
        settled = row[-2]
        if settled is not None:
            state: EntryState = "approved" if settled == "pending_approved" else "void"
            entry = replace(entry, state=state)
        if row[-1] <= HISTORY_LENGTH:
            history.append(entry)
        if entry.kind == "entered_tier":
            if last is None or entry.id > last.id:
                last = entry
        elif entry.kind == "earned_points_from_rule" and entry.state != "void":
            completions.setdefault(entry.rule_id or 0, []).append(entry.created_at)
    last_tier = None if last is None or last.tier_id is None else (last.tier_id, last.created_at)
    return history, Marks(completions, last_tier)
