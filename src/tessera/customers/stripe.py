"""Stripe customers (``cus_``): their own rows, scoped by program and mode.

They are separate from the LoyaltyLion customers of :mod:`tessera.customers.service`: a Stripe
customer is created by the API with an id Tessera mints, may have no email at all, is deleted
(and then still retrievable as a deleted stub) and lives in test or live mode.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers import stripe_events
from tessera.customers.stripe_events import NO_REQUEST, EventRequest
from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Invalid, MissingReference, NotFound
from tessera.store.prepared import Prepared
from tessera.store.tables import stripe_customers

ID_ALPHABET = string.ascii_letters + string.digits
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500


def new_object_id(prefix: str, length: int = 24) -> str:
    """``cus_Qx3...``: Stripe-style ids, random so that they reveal no count or order."""
    return prefix + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


@dataclass(frozen=True, slots=True)
class StripeCustomer:
    id: int
    public_id: str
    program_id: int
    livemode: bool
    email: str | None
    name: str | None
    description: str | None
    phone: str | None
    metadata: dict[str, str]
    invoice_prefix: str
    deleted: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customers: list[StripeCustomer]
    has_more: bool


# Fields a create or update may set; ``None`` clears one (Stripe's empty string).
CUSTOMER_FIELDS = ("email", "name", "description", "phone")


def _customer(row: Any) -> StripeCustomer:
    """From a row of the table (an ``sa.Row`` or a prepared statement's named row)."""
    return StripeCustomer(
        id=row.id,
        public_id=row.public_id,
        program_id=row.program_id,
        livemode=row.livemode,
        email=row.email,
        name=row.name,
        description=row.description,
        phone=row.phone,
        metadata=dict(row.metadata),
        invoice_prefix=row.invoice_prefix,
        deleted=row.deleted,
        created_at=as_utc(row.created_at),
    )


def merge_metadata(current: dict[str, str], changes: dict[str, str] | None) -> dict[str, str]:
    """Stripe's rules: a key set to "" is removed; ``None`` for the whole map clears it."""
    if changes is None:
        return {}
    merged = dict(current)
    for key, value in changes.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > MAX_METADATA_KEYS:
        raise Invalid(
            f"You can have up to {MAX_METADATA_KEYS} metadata keys.", {"metadata": "too_many"}
        )
    for key, value in merged.items():
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise Invalid(
                f"Metadata keys must be at most {MAX_METADATA_KEY_LENGTH} characters long.",
                {f"metadata[{key}]": "key_too_long"},
            )
        if len(value) > MAX_METADATA_VALUE_LENGTH:
            raise Invalid(
                f"Metadata values must be at most {MAX_METADATA_VALUE_LENGTH} characters long.",
                {f"metadata[{key}]": "value_too_long"},
            )
    return merged


def _scope(program_id: int, livemode: bool) -> list[sa.ColumnElement[bool]]:
    return [stripe_customers.c.program_id == program_id, stripe_customers.c.livemode == livemode]


# The hot paths' statements, built once and executed with parameters.
_INSERT_CUSTOMER = Prepared(stripe_customers.insert().returning(stripe_customers.c.id))
_FIND_CUSTOMER = Prepared(
    sa.select(stripe_customers).where(
        stripe_customers.c.public_id == sa.bindparam("public_id"),
        stripe_customers.c.program_id == sa.bindparam("program_id"),
        stripe_customers.c.livemode == sa.bindparam("livemode"),
    )
)


async def create_customer(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    *,
    fields: dict[str, str | None],
    metadata: dict[str, str] | None,
    origin: EventRequest = NO_REQUEST,
) -> StripeCustomer:
    """A new customer, announced by ``customer.created`` (``origin``: the request that made
    it, as its event tells)."""
    now = utcnow()
    row: dict[str, Any] = {
        "public_id": new_object_id("cus_", 14),
        "program_id": program_id,
        "livemode": livemode,
        **{name: fields.get(name) for name in CUSTOMER_FIELDS},
        "metadata": merge_metadata({}, metadata or {}),
        "invoice_prefix": "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
        ),
        "deleted": False,
        "created_at": now,
    }
    # Only the id comes back: the rest is what was sent.
    row_id = await _INSERT_CUSTOMER.scalar(conn, {**row, "updated_at": now})
    customer = StripeCustomer(id=row_id, **row)
    await stripe_events.customer_changed(conn, stripe_events.CUSTOMER_CREATED, customer, origin)
    return customer


async def find_customer(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> StripeCustomer | None:
    """The customer with this id in this program and mode, deleted or not; None otherwise."""
    params = {"public_id": public_id, "program_id": program_id, "livemode": livemode}
    rows = await _FIND_CUSTOMER.named(conn, params)
    return _customer(rows[0]) if rows else None


def no_such_customer(public_id: str) -> NotFound:
    return NotFound("customer", f"No such customer: '{public_id}'")


async def get_customer(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> StripeCustomer:
    """Deleted customers included (they retrieve as the deleted shape)."""
    customer = await find_customer(conn, program_id, livemode, public_id)
    if customer is None:
        raise no_such_customer(public_id)
    return customer


async def get_live_customer(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> StripeCustomer:
    """A customer that exists and is not deleted."""
    customer = await find_customer(conn, program_id, livemode, public_id)
    if customer is None or customer.deleted:
        raise no_such_customer(public_id)
    return customer


async def get_live_customer_field(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> StripeCustomer:
    """The customer a ``customer`` request field names: a 400 on that field if it is missing
    (a 404 is for the resource in the URL)."""
    customer = await find_customer(conn, program_id, livemode, public_id)
    if customer is None or customer.deleted:
        raise MissingReference("customer", "customer", f"No such customer: '{public_id}'")
    return customer


async def find_customer_by_row(conn: AsyncConnection, row_id: int) -> StripeCustomer | None:
    row = (
        await conn.execute(sa.select(stripe_customers).where(stripe_customers.c.id == row_id))
    ).one_or_none()
    return None if row is None else _customer(row)


async def update_customer(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    public_id: str,
    *,
    fields: dict[str, str | None],
    metadata: dict[str, str] | None,
    metadata_given: bool,
    origin: EventRequest = NO_REQUEST,
) -> StripeCustomer:
    """Change what was given; ``customer.updated`` says what changed, if anything did."""
    customer = await get_live_customer(conn, program_id, livemode, public_id)
    values: dict[str, Any] = {name: fields[name] for name in CUSTOMER_FIELDS if name in fields}
    if metadata_given:
        values["metadata"] = merge_metadata(customer.metadata, metadata)
    values["updated_at"] = utcnow()
    row = (
        await conn.execute(
            stripe_customers.update()
            .where(stripe_customers.c.id == customer.id)
            .values(**values)
            .returning(*stripe_customers.c)
        )
    ).one()
    updated = _customer(row)
    await stripe_events.customer_changed(
        conn, stripe_events.CUSTOMER_UPDATED, updated, origin, before=customer
    )
    return updated


async def delete_customer(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    public_id: str,
    origin: EventRequest = NO_REQUEST,
) -> StripeCustomer:
    """Marks the customer deleted; its id keeps answering with the deleted shape, and its
    ``customer.deleted`` event carries it as it was."""
    customer = await get_live_customer(conn, program_id, livemode, public_id)
    row = (
        await conn.execute(
            stripe_customers.update()
            .where(stripe_customers.c.id == customer.id)
            .values(deleted=True, updated_at=utcnow())
            .returning(*stripe_customers.c)
        )
    ).one()
    deleted = _customer(row)
    await stripe_events.customer_changed(conn, stripe_events.CUSTOMER_DELETED, deleted, origin)
    return deleted


async def _cursor(
    conn: AsyncConnection, program_id: int, livemode: bool, field: str, public_id: str
) -> StripeCustomer:
    customer = await find_customer(conn, program_id, livemode, public_id)
    if customer is None:
        raise MissingReference(field, "customer", f"No such customer: '{public_id}'")
    return customer


async def list_customers(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    *,
    limit: int,
    starting_after: str | None = None,
    ending_before: str | None = None,
    email: str | None = None,
) -> CustomerPage:
    """Newest first, as Stripe lists. Cursors are customer ids of this program and mode."""
    table = stripe_customers
    query = sa.select(table).where(*_scope(program_id, livemode), table.c.deleted.is_(False))
    if email is not None:
        query = query.where(table.c.email == email)
    backwards = False
    if starting_after is not None:
        cursor = await _cursor(conn, program_id, livemode, "starting_after", starting_after)
        query = query.where(table.c.id < cursor.id).order_by(table.c.id.desc())
    elif ending_before is not None:
        cursor = await _cursor(conn, program_id, livemode, "ending_before", ending_before)
        query = query.where(table.c.id > cursor.id).order_by(table.c.id.asc())
        backwards = True
    else:
        query = query.order_by(table.c.id.desc())
    rows = list(await conn.execute(query.limit(limit + 1)))
    has_more = len(rows) > limit
    found = [_customer(row) for row in rows[:limit]]
    if backwards:
        found.reverse()
    return CustomerPage(customers=found, has_more=has_more)
