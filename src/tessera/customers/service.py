"""Find or create customers; every lookup is scoped by program."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.store.tables import customers

CustomerState = Literal["enrolled", "guest", "blocked"]


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    program_id: int
    site_id: int
    merchant_id: str
    email: str
    state: CustomerState
    created_at: datetime


def _customer(row: sa.Row[Any]) -> Customer:
    return Customer(
        id=row.id,
        program_id=row.program_id,
        site_id=row.site_id,
        merchant_id=row.merchant_id,
        email=row.email,
        state=row.state,
        created_at=as_utc(row.created_at),
    )


async def find_customer(
    conn: AsyncConnection, program_id: int, merchant_id: str
) -> Customer | None:
    row = (
        await conn.execute(
            sa.select(customers).where(
                customers.c.program_id == program_id, customers.c.merchant_id == merchant_id
            )
        )
    ).one_or_none()
    return None if row is None else _customer(row)


async def get_or_create_customer(
    conn: AsyncConnection,
    *,
    program_id: int,
    site_id: int,
    merchant_id: str,
    email: str,
    state: CustomerState = "enrolled",
) -> tuple[Customer, bool]:
    """The program's customer for ``merchant_id``, created on first use: (customer, created).

    Two first uses can race; the unique (program_id, merchant_id) constraint decides, and the
    loser reads the winner's row instead of failing.
    """
    existing = await find_customer(conn, program_id, merchant_id)
    if existing is not None:
        return existing, False
    now = utcnow()
    values = dict(
        program_id=program_id,
        site_id=site_id,
        merchant_id=merchant_id,
        email=email,
        state=state,
        created_at=now,
        updated_at=now,
    )
    insert = _insert_ignoring_conflict(conn, values)
    created = (await conn.execute(insert)).rowcount == 1
    customer = await find_customer(conn, program_id, merchant_id)
    assert customer is not None
    return customer, created


def _insert_ignoring_conflict(conn: AsyncConnection, values: dict[str, Any]) -> sa.Insert:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(customers).values(values).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(customers).values(values).on_conflict_do_nothing()
