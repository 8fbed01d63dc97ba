"""The outbox: an event is a row written in the same transaction as the change it announces, so
nothing is announced that did not commit and nothing that committed goes unannounced (a crash
after the commit leaves the row for the delivery worker, tessera.webhooks.delivery).

Each dialect builds its events' bodies (LoyaltyLion's ``{id, topic, created_at, payload}``,
Stripe's ``event`` object) and records them here; the worker fans each one out to the endpoints
subscribed at that moment and posts it in the dialect's format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import utcnow
from tessera.store.prepared import Prepared
from tessera.store.tables import events, webhook_endpoints

LOYALTYLION = "loyaltylion"
STRIPE = "stripe"
EVERY_EVENT = "*"


@dataclass(frozen=True, slots=True)
class NewEvent:
    program_id: int
    dialect: str
    type: str
    # What orders deliveries: one subject's events reach an endpoint in the order recorded
    # (a customer's merchant id or cus_ id).
    subject: str
    body: bytes
    public_id: str
    livemode: bool = False
    created_at: datetime | None = None


# Built once: hot paths (a Stripe customer's creation) record an event in their unit of work.
_INSERT_EVENT = Prepared(events.insert().returning(events.c.id))


async def record(conn: AsyncConnection, event: NewEvent) -> int:
    """Write ``event`` on the change's own connection (the caller's unit of work commits it)."""
    values = {
        "public_id": event.public_id,
        "program_id": event.program_id,
        "dialect": event.dialect,
        "type": event.type,
        "livemode": event.livemode,
        "subject": event.subject[:100],
        "body": event.body,
        "fanned_out": False,
        "created_at": event.created_at or utcnow(),
    }
    event_id: int = await _INSERT_EVENT.scalar(conn, values)
    return event_id


def subscribes(topics: list[str], event_type: str) -> bool:
    return EVERY_EVENT in topics or event_type in topics


async def subscribed_types(
    conn: AsyncConnection, program_id: int, dialect: str, livemode: bool = False
) -> frozenset[str]:
    """The event types some enabled endpoint of the program hears (``*`` among them if one
    hears every type). A dialect whose events exist only to be delivered (LoyaltyLion's)
    builds a payload only when its topic is in here."""
    rows = await conn.execute(
        sa.select(webhook_endpoints.c.topics).where(
            webhook_endpoints.c.program_id == program_id,
            webhook_endpoints.c.dialect == dialect,
            webhook_endpoints.c.livemode == livemode,
            webhook_endpoints.c.status == "enabled",
            webhook_endpoints.c.deleted_at.is_(None),
        )
    )
    return frozenset(topic for (topics,) in rows for topic in topics)


async def replace_body(conn: AsyncConnection, event_id: int, body: bytes) -> bool:
    """Give an event recorded earlier in the same transaction a newer body (a customer changed
    again before the commit); False when it is not there any more (undone by a savepoint)."""
    changed = await conn.execute(
        events.update()
        .where(events.c.id == event_id, events.c.fanned_out.is_(False))
        .values(body=body)
    )
    return changed.rowcount == 1


async def recorded(conn: AsyncConnection, public_id: str) -> bool:
    """Whether an event with this public id exists (an id derived from what it announces
    makes an event once only)."""
    found = await conn.scalar(sa.select(events.c.id).where(events.c.public_id == public_id))
    return found is not None
