"""A program's loyalty email unsubscribe list: addresses that receive no loyalty emails.

An address is on the list once however it is written (compared lowercased, as customers'
emails are). The list is about the program's loyalty emails only: a customer's email marketing
consent (``customers.email_marketing``, the merchant's newsletter) is theirs to give or withdraw
and is left as it is (docs/admin-api.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import email_key, email_owner
from tessera.kit.errors import Invalid
from tessera.loyalty import program_events
from tessera.store.conflicts import claim_row
from tessera.store.tables import customers, email_unsubscribes

MAX_EMAIL_LENGTH = 320  # the column's, and RFC 5321's 64 + 1 + 255
MAX_PAGE = 1_000_000  # beyond any list: page * limit stays a small number
# One @, something on each side, a dot in the domain, no spaces or control characters.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+", re.ASCII)


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    email: str
    merchant_id: str | None  # the program's customer with that address, if there is one


def checked_email(raw: str) -> str:
    """``raw`` trimmed, if it is an address that can be stored; Invalid naming ``email`` if not."""
    email = raw.strip()
    problem = None
    if len(email) > MAX_EMAIL_LENGTH:
        problem = f"must be at most {MAX_EMAIL_LENGTH} characters long"
    elif not email.isprintable() or _EMAIL.fullmatch(email) is None:
        problem = "must be an email address"
    if problem is not None:
        raise Invalid("The request body is invalid", {"email": problem})
    return email


async def unsubscribe(
    conn: AsyncConnection, program_id: int, email: str, now: datetime
) -> tuple[Unsubscribe, bool]:
    """Put ``email`` (already checked) on the list; False when it was on it already. Two
    requests at once for one address: the unique key lets one in, the other learns False."""
    key = email_key(email)
    new_id = await claim_row(conn.dialect.name, email_unsubscribes).scalar(
        conn, {"program_id": program_id, "email": email, "email_key": key, "created_at": now}
    )
    listed = await conn.scalar(
        sa.select(email_unsubscribes.c.email).where(
            email_unsubscribes.c.program_id == program_id, email_unsubscribes.c.email_key == key
        )
    )
    entry = Unsubscribe(email=str(listed), merchant_id=await email_owner(conn, program_id, key))
    if new_id is not None:
        await program_events.unsubscribed(conn, program_id, entry.email, entry.merchant_id)
    return entry, new_id is not None


async def unsubscribes_page(
    conn: AsyncConnection, program_id: int, *, limit: int, page: int
) -> list[Unsubscribe]:
    """Page ``page`` (from 1) of ``limit`` entries, oldest first: an address added while a
    caller walks the pages lands on the last one, so none is skipped."""
    owner = customers.c.merchant_id
    rows = await conn.execute(
        sa.select(email_unsubscribes.c.email, owner)
        .select_from(
            email_unsubscribes.outerjoin(
                customers,
                sa.and_(
                    customers.c.program_id == email_unsubscribes.c.program_id,
                    customers.c.email_key == email_unsubscribes.c.email_key,
                ),
            )
        )
        .where(email_unsubscribes.c.program_id == program_id)
        .order_by(email_unsubscribes.c.id)
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [Unsubscribe(email=str(email), merchant_id=merchant_id) for email, merchant_id in rows]
