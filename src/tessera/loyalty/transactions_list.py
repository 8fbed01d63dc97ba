"""Transactions: the ledger entries that added or removed points, a keyset page at a time.

Each entry with points is one transaction (entries are immutable, so a voided activity is two
transactions). Entries of 0 points (a tier entered, an order that earned nothing) change no
balance and are not transactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer, customers_by_ids, find_customer
from tessera.kit.errors import NotFound
from tessera.loyalty import ledger
from tessera.loyalty.activity_list import ActivityRecord, activities_by_ids
from tessera.loyalty.statements import constant
from tessera.store.pages import Page, Window, fetch_page
from tessera.store.tables import ledger_entries

_e = ledger_entries.c


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    customer_id: int | None = None  # the LoyaltyLion (Tessera) customer id
    created_at_min: datetime | None = None  # at or after
    created_at_max: datetime | None = None  # before


@dataclass(frozen=True, slots=True)
class LedgerTransaction:
    entry: ledger.Entry
    customer: Customer  # as the customer is now
    balances: ledger.Balances  # the customer's, now
    activity: ActivityRecord | None = None  # the tracked activity the entry belongs to, as now
    # A settlement's pending entry; of a pending entry, the kind of what settled it (or None).
    settles_id: int | None = None
    settled: str | None = None


def _listing(program_id: int, filters: TransactionFilters) -> sa.Select[Any]:
    stmt = sa.select(
        *ledger.ENTRY_COLUMNS,
        _e.customer_id,
        _e.activity_id,
        _e.settles_id,
        ledger.SETTLED.label("settled"),
    ).where(_e.program_id == program_id, _e.points != constant(0))
    if filters.customer_id is not None:
        stmt = stmt.where(_e.customer_id == filters.customer_id)
    if filters.created_at_min is not None:
        stmt = stmt.where(_e.created_at >= filters.created_at_min)
    if filters.created_at_max is not None:
        stmt = stmt.where(_e.created_at < filters.created_at_max)
    return stmt


async def list_transactions(
    conn: AsyncConnection,
    program_id: int,
    filters: TransactionFilters,
    window: Window,
    *,
    merchant_id: str | None = None,
) -> tuple[list[LedgerTransaction], Page]:
    """One window of the program's transactions (of one customer's, with ``merchant_id``:
    NotFound when the program has no such customer), in id order, with each customer as now."""
    if merchant_id is not None:
        owner = await find_customer(conn, program_id, merchant_id)
        if owner is None:
            raise NotFound("customer", f"Customer with merchant ID `{merchant_id}` not found")
        filters = TransactionFilters(
            customer_id=owner.id,
            created_at_min=filters.created_at_min,
            created_at_max=filters.created_at_max,
        )
    page = await fetch_page(conn, _listing(program_id, filters), _e.id, window)
    return await _transactions(conn, program_id, page.rows), page


async def _transactions(
    conn: AsyncConnection, program_id: int, rows: Sequence[Any]
) -> list[LedgerTransaction]:
    customer_ids = sorted({int(row.customer_id) for row in rows})
    owners = await customers_by_ids(conn, program_id, customer_ids)
    balances = await ledger.balances_of(conn, customer_ids)
    tracked = await activities_by_ids(
        conn, program_id, sorted({int(row.activity_id) for row in rows if row.activity_id})
    )
    return [
        LedgerTransaction(
            entry=ledger.entry_from_row(row),
            customer=owners[int(row.customer_id)],
            balances=balances[int(row.customer_id)],
            activity=tracked.get(int(row.activity_id or 0)),
            settles_id=row.settles_id,
            settled=row.settled,
        )
        for row in rows
    ]


async def transaction_of(
    conn: AsyncConnection, program_id: int, entry_id: int
) -> LedgerTransaction:
    """The transaction of one ledger entry with points (a webhook event's), as it is now."""
    query = _listing(program_id, TransactionFilters()).where(_e.id == entry_id)
    rows = (await conn.execute(query)).all()
    if not rows:
        raise NotFound("transaction", f"Transaction with ID `{entry_id}` not found")
    return (await _transactions(conn, program_id, rows))[0]


async def count_transactions(
    conn: AsyncConnection, program_id: int, filters: TransactionFilters
) -> int:
    """How many transactions ``list_transactions`` would page through (an export's total)."""
    listing = _listing(program_id, filters).with_only_columns(sa.func.count())
    return int(await conn.scalar(listing) or 0)
