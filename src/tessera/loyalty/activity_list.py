"""A program's activities, a page at a time (Admin API ``GET /v2/activities``), with each
activity's customer and their balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.clock import as_utc
from tessera.loyalty import ledger
from tessera.store.pages import Page, Window, fetch_page
from tessera.store.tables import activities, customers


@dataclass(frozen=True, slots=True)
class Activity:
    id: int
    name: str
    merchant_id: str | None
    state: str
    value: int
    rule_id: int | None
    created_at: datetime
    customer: Customer
    balances: ledger.Balances


@dataclass(frozen=True, slots=True)
class ActivityPage:
    activities: list[Activity]
    page: Page


_a, _c = activities.c, customers.c
_LISTING = sa.select(
    _a.id,
    _a.name,
    _a.merchant_id,
    _a.state,
    _a.value,
    _a.rule_id,
    _a.created_at,
    _c.id.label("customer_id"),
    _c.site_id,
    _c.merchant_id.label("customer_merchant_id"),
    _c.email,
    _c.state.label("customer_state"),
    _c.created_at.label("customer_created_at"),
).join(customers, customers.c.id == activities.c.customer_id)


async def list_activities(
    conn: AsyncConnection,
    program_id: int,
    window: Window,
    *,
    created_at_min: datetime | None = None,
    created_at_max: datetime | None = None,
) -> ActivityPage:
    listing = _LISTING.where(_a.program_id == program_id)
    if created_at_min is not None:
        listing = listing.where(_a.created_at >= created_at_min)
    if created_at_max is not None:
        listing = listing.where(_a.created_at <= created_at_max)
    page = await fetch_page(conn, listing, _a.id, window)
    balances = await ledger.balances_of(conn, sorted({row.customer_id for row in page.rows}))
    found = [
        Activity(
            id=row.id,
            name=row.name,
            merchant_id=row.merchant_id,
            state=row.state,
            value=row.value,
            rule_id=row.rule_id,
            created_at=as_utc(row.created_at),
            customer=Customer(
                id=row.customer_id,
                program_id=program_id,
                site_id=row.site_id,
                merchant_id=row.customer_merchant_id,
                email=row.email,
                state=row.customer_state,
                created_at=as_utc(row.customer_created_at),
            ),
            balances=balances[row.customer_id],
        )
        for row in page.rows
    ]
    return ActivityPage(activities=found, page=page)


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """An activity as a transaction shows it (without its customer)."""

    id: int
    merchant_id: str | None
    state: str
    value: int
    rule_id: int | None
    created_at: datetime


async def activities_by_ids(
    conn: AsyncConnection, program_id: int, activity_ids: list[int]
) -> dict[int, ActivityRecord]:
    """The program's activities among ``activity_ids`` (a page of transactions), in one query."""
    if not activity_ids:
        return {}
    rows = await conn.execute(
        sa.select(_a.id, _a.merchant_id, _a.state, _a.value, _a.rule_id, _a.created_at).where(
            _a.program_id == program_id, _a.id.in_(activity_ids)
        )
    )
    return {
        int(row.id): ActivityRecord(
            id=int(row.id),
            merchant_id=row.merchant_id,
            state=row.state,
            value=int(row.value),
            rule_id=row.rule_id,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    }
