"""A program's customers, a keyset page at a time, with the Admin API's filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer, customer_from_row, email_key
from tessera.store.pages import Page, Window, fetch_page
from tessera.store.tables import customers

MAX_PAGE_NUMBER = 10_000


@dataclass(frozen=True, slots=True)
class CustomerFilters:
    email_contains: str | None = None  # compared lowercased, as emails are
    created_at_min: datetime | None = None  # at or after
    created_at_max: datetime | None = None  # at or before
    updated_at_min: datetime | None = None
    updated_at_max: datetime | None = None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _listing(program_id: int, filters: CustomerFilters) -> sa.Select[Any]:
    c = customers.c
    stmt = sa.select(customers).where(c.program_id == program_id)
    if filters.email_contains:
        pattern = f"%{_like_escaped(email_key(filters.email_contains))}%"
        stmt = stmt.where(c.email_key.like(pattern, escape="\\"))
    for column, low, high in (
        (c.created_at, filters.created_at_min, filters.created_at_max),
        (c.updated_at, filters.updated_at_min, filters.updated_at_max),
    ):
        if low is not None:
            stmt = stmt.where(column >= low)
        if high is not None:
            stmt = stmt.where(column <= high)
    return stmt


async def list_customers(
    conn: AsyncConnection,
    program_id: int,
    filters: CustomerFilters,
    window: Window,
    *,
    page_number: int = 1,
) -> tuple[list[Customer], Page]:
    """One window of the program's customers matching ``filters``, in id order. ``page_number``
    (the deprecated ``page`` parameter) skips that many windows before the first."""
    stmt = _listing(program_id, filters)
    if page_number > 1:
        stmt = stmt.offset((page_number - 1) * window.limit)
    page = await fetch_page(conn, stmt, customers.c.id, window)
    if page_number > 1:
        page = Page(rows=page.rows, has_next=page.has_next, has_prev=True)
    return [customer_from_row(row) for row in page.rows], page
