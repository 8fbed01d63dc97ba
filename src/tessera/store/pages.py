"""Keyset pages over any listing ordered by its integer id: no OFFSET, so a page costs the same
however deep it is, and rows inserted meanwhile never shift a page.

A domain module builds its listing (its table, its tenant and its filters) and asks for one
window of it; how a window is named on the wire (cursors, links) is the dialect's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.store.tables import MAX_ID


@dataclass(frozen=True, slots=True)
class Window:
    """One page of a listing. ``after_id`` continues past that id in the listing's order (the
    next page); ``before_id`` is the page that ends just before it (the previous page)."""

    limit: int
    descending: bool = True
    after_id: int | None = None
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Any]
    has_next: bool
    has_prev: bool


async def fetch_page(
    conn: AsyncConnection, listing: sa.Select[Any], id_column: sa.ColumnElement[int], window: Window
) -> Page:
    """Rows of ``listing`` in ``window``, in the listing's order, and whether pages lie beyond."""
    backwards = window.before_id is not None
    # Walking backwards reads the listing in reverse from the boundary, then turns the rows round.
    descending = window.descending != backwards
    boundary = window.before_id if backwards else window.after_id
    stmt = listing
    if boundary is not None and boundary > MAX_ID:
        # Past any id a row can have (and more than the databases' integer ids compare with):
        # every row is before it, none after.
        if not descending:
            return Page(rows=[], has_next=False, has_prev=not backwards)
        boundary = None
    if boundary is not None:
        stmt = stmt.where(id_column < boundary if descending else id_column > boundary)
    stmt = stmt.order_by(id_column.desc() if descending else id_column.asc())
    rows = list((await conn.execute(stmt.limit(window.limit + 1))).all())
    more = len(rows) > window.limit
    rows = rows[: window.limit]
    if backwards:
        rows.reverse()
        return Page(rows=rows, has_next=True, has_prev=more)
    return Page(rows=rows, has_next=more, has_prev=window.after_id is not None)
