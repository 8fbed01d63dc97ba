"""A program's whole ledger, oldest first, a keyset page at a time (``tessera transactions
export``): the transactions of tessera.loyalty.transactions_list, read one page per short read
transaction, so an export of millions of entries holds neither memory nor a long snapshot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.customers.service import find_customer
from tessera.kit.errors import NotFound
from tessera.loyalty.program import LoyaltyProgram, load_program
from tessera.loyalty.transactions_list import (
    LedgerTransaction,
    TransactionFilters,
    count_transactions,
    list_transactions,
)
from tessera.programs.sites import get_program, list_sites
from tessera.store.pages import Window

PAGE = 1000


async def export_scope(
    conn: AsyncConnection, program_id: int, filters: TransactionFilters, merchant_id: str | None
) -> tuple[LoyaltyProgram, TransactionFilters, int]:
    """The program as the Admin API shows it (its primary site: rule titles, tier names), the
    filters with ``merchant_id``'s customer, and how many transactions they select."""
    await get_program(conn, program_id)
    sites = await list_sites(conn, program_id)
    if not sites:
        raise NotFound("site", f"Program {program_id} has no site yet")
    program = await load_program(conn, sites[-1])
    if merchant_id is not None:
        owner = await find_customer(conn, program_id, merchant_id)
        if owner is None:
            raise NotFound("customer", f"Customer with merchant ID `{merchant_id}` not found")
        filters = replace(filters, customer_id=owner.id)
    return program, filters, await count_transactions(conn, program_id, filters)


async def ledger_pages(
    engine: AsyncEngine, program_id: int, filters: TransactionFilters, page_size: int = PAGE
) -> AsyncIterator[list[LedgerTransaction]]:
    """The selected transactions in id order (oldest first), a page at a time."""
    after: int | None = None
    while True:
        window = Window(limit=page_size, descending=False, after_id=after)
        async with engine.connect() as conn:
            found, page = await list_transactions(conn, program_id, filters, window)
        if found:
            yield found
        if not page.has_next or not found:
            return
        after = found[-1].entry.id
