"""Find, create and update customers; every lookup is scoped by program.

A customer is ``enrolled`` (a member), a ``guest`` (known, not a member) or ``blocked``. Within a
program a ``merchant_id`` names one customer, and so does an email (compared lowercased).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Conflict
from tessera.store.conflicts import claim_row
from tessera.store.prepared import Prepared
from tessera.store.tables import customers

CustomerState = Literal["enrolled", "guest", "blocked"]
ConsentState = Literal["subscribed", "not_subscribed", "unknown"]

_REFERRAL_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    program_id: int
    site_id: int
    merchant_id: str
    email: str
    state: CustomerState
    created_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    enrolled_at: datetime | None = None
    birthday_month: int | None = None
    birthday_day: int | None = None
    birthday_year: int | None = None
    email_marketing: ConsentState = "unknown"
    referral_code: str | None = None
    updated_at: datetime | None = None
    # What a blocked customer was ("enrolled" or "guest"): unblocking gives it back.
    state_before_block: CustomerState | None = None


def customer_from_row(row: Any) -> Customer:
    """From a row of the customers table (an ``sa.Row`` or a prepared statement's)."""
    return Customer(
        id=row.id,
        program_id=row.program_id,
        site_id=row.site_id,
        merchant_id=row.merchant_id,
        email=row.email,
        state=row.state,
        created_at=as_utc(row.created_at),
        first_name=row.first_name,
        last_name=row.last_name,
        enrolled_at=None if row.enrolled_at is None else as_utc(row.enrolled_at),
        birthday_month=row.birthday_month,
        birthday_day=row.birthday_day,
        birthday_year=row.birthday_year,
        email_marketing=row.email_marketing or "unknown",
        referral_code=row.referral_code,
        updated_at=None if row.updated_at is None else as_utc(row.updated_at),
        state_before_block=row.state_before_block,
    )


def email_key(email: str) -> str:
    return email.strip().lower()


def new_referral_code() -> str:
    # ~50 bits: a referral link is public, so it only needs to be unique, not secret.
    return "".join(secrets.choice(_REFERRAL_ALPHABET) for _ in range(10))


# The session paths' lookups, built once (tessera.store.prepared).
_BY_MERCHANT_ID = sa.select(customers).where(
    customers.c.program_id == sa.bindparam("program_id"),
    customers.c.merchant_id == sa.bindparam("merchant_id"),
)
_FIND = Prepared(_BY_MERCHANT_ID)
_FIND_FOR_UPDATE = Prepared(_BY_MERCHANT_ID.with_for_update())
_EMAIL_OWNER = Prepared(
    sa.select(customers.c.merchant_id).where(
        customers.c.program_id == sa.bindparam("program_id"),
        customers.c.email_key == sa.bindparam("email_key"),
    )
)

_UPDATE = Prepared(customers.update().where(customers.c.id == sa.bindparam("customer_row_id")))


async def find_customer(
    conn: AsyncConnection, program_id: int, merchant_id: str, *, for_update: bool = False
) -> Customer | None:
    """``for_update`` locks the row until the transaction ends (PostgreSQL; on SQLite the
    transaction already holds the database's write lock, see tessera.store.transactions)."""
    find = _FIND_FOR_UPDATE if for_update and conn.dialect.name == "postgresql" else _FIND
    rows = await find.named(conn, {"program_id": program_id, "merchant_id": merchant_id})
    return customer_from_row(rows[0]) if rows else None


async def find_customer_by_referral_code(
    conn: AsyncConnection, program_id: int, code: str
) -> Customer | None:
    row = (
        await conn.execute(
            sa.select(customers).where(
                customers.c.program_id == program_id, customers.c.referral_code == code
            )
        )
    ).one_or_none()
    return None if row is None else customer_from_row(row)


async def email_owner(conn: AsyncConnection, program_id: int, email: str) -> str | None:
    """The merchant_id of the program's customer with this email, if any."""
    found = await _EMAIL_OWNER.scalar(
        conn, {"program_id": program_id, "email_key": email_key(email)}
    )
    return None if found is None else str(found)


async def get_or_create_customer(
    conn: AsyncConnection,
    *,
    program_id: int,
    site_id: int,
    merchant_id: str,
    email: str,
    state: CustomerState = "enrolled",
    first_name: str | None = None,
    last_name: str | None = None,
) -> tuple[Customer, bool]:
    """The program's customer for ``merchant_id``, created on first use: (customer, created).

    Two first uses can race; the unique (program_id, merchant_id) constraint decides, and the
    loser reads the winner's row instead of failing. An email that already belongs to another
    of the program's customers is refused with Conflict("email_already_in_use").
    """
    existing = await find_customer(conn, program_id, merchant_id)
    if existing is not None:
        return existing, False
    owner = await email_owner(conn, program_id, email)
    if owner is not None and owner != merchant_id:
        raise _email_in_use()
    now = utcnow()
    values = dict(
        program_id=program_id,
        site_id=site_id,
        merchant_id=merchant_id,
        email=email.strip(),
        email_key=email_key(email),
        state=state,
        first_name=first_name,
        last_name=last_name,
        enrolled_at=now if state == "enrolled" else None,
        email_marketing="unknown",
        referral_code=new_referral_code(),
        created_at=now,
        updated_at=now,
    )
    # The unique keys decide between concurrent creators; RETURNING says who won.
    created = await claim_row(conn.dialect.name, customers).scalar(conn, values) is not None
    customer = await find_customer(conn, program_id, merchant_id)
    if customer is None:
        # The insert lost to a concurrent one with the same email but another merchant_id.
        raise _email_in_use()
    return customer, created


def _email_in_use() -> Conflict:
    return Conflict(
        "email_already_in_use", "This email address belongs to another customer of the program"
    )


async def update_customer(conn: AsyncConnection, customer: Customer, **values: Any) -> Customer:
    await _UPDATE.rows(conn, {"customer_row_id": customer.id, **values, "updated_at": utcnow()})
    found = await find_customer(conn, customer.program_id, customer.merchant_id)
    assert found is not None
    return found


async def find_customer_by_id(
    conn: AsyncConnection, program_id: int, customer_id: int, *, for_update: bool = False
) -> Customer | None:
    query = sa.select(customers).where(
        customers.c.program_id == program_id, customers.c.id == customer_id
    )
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else customer_from_row(row)


async def customers_by_ids(
    conn: AsyncConnection, program_id: int, customer_ids: list[int]
) -> dict[int, Customer]:
    """The program's customers among ``customer_ids`` (a listing's page), in one query."""
    if not customer_ids:
        return {}
    rows = await conn.execute(
        sa.select(customers).where(
            customers.c.program_id == program_id, customers.c.id.in_(set(customer_ids))
        )
    )
    return {row.id: customer_from_row(row) for row in rows}
