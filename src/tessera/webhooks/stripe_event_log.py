"""Reading Stripe's events (``GET /v1/events``): a program's events of one mode, newest first,
for the last ``RETENTION`` (30 days, as Stripe keeps them), by type and creation time.

An event is answered as it was recorded (tessera.customers.stripe_events), with its
``pending_webhooks`` as it is now: how many endpoints have not yet answered it with a 2xx. An
event the worker has not fanned out yet is pending at every endpoint that will get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.stripe_events import with_pending
from tessera.kit.clock import utcnow
from tessera.kit.errors import MissingReference, NotFound
from tessera.store.tables import events, webhook_deliveries
from tessera.webhooks.delivery import FAILED, PENDING, hears, listeners_by_program
from tessera.webhooks.outbox import STRIPE

RETENTION = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """``types``: exact types; ``pattern``: one type with ``*`` for any characters
    (``customer.*``); ``since`` inclusive, ``until`` exclusive."""

    types: list[str] | None = None
    pattern: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class EventPage:
    bodies: list[bytes]  # each one event object, encoded
    has_more: bool


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _scope(program_id: int, livemode: bool, now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        events.c.program_id == program_id,
        events.c.dialect == STRIPE,
        events.c.livemode == livemode,
        events.c.created_at >= now - RETENTION,
    ]


def _matching(found: EventFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if found.types is not None:
        conditions.append(events.c.type.in_(found.types))
    if found.pattern is not None:
        conditions.append(events.c.type.like(_like(found.pattern), escape="\\"))
    if found.since is not None:
        conditions.append(events.c.created_at >= found.since)
    if found.until is not None:
        conditions.append(events.c.created_at < found.until)
    return conditions


def _query() -> sa.Select[Any]:
    unreached = (
        sa.select(sa.func.count())
        .select_from(webhook_deliveries)
        .where(
            webhook_deliveries.c.event_id == events.c.id,
            webhook_deliveries.c.state.in_((PENDING, FAILED)),
        )
        .scalar_subquery()
    )
    return sa.select(
        events.c.id,
        events.c.program_id,
        events.c.dialect,
        events.c.type,
        events.c.livemode,
        events.c.created_at,
        events.c.body,
        events.c.fanned_out,
        unreached.label("unreached"),
    )


async def _answered(conn: AsyncConnection, rows: list[Any]) -> list[bytes]:
    """The rows' bodies with ``pending_webhooks`` filled in."""
    waiting = {row.program_id for row in rows if not row.fanned_out}
    listeners = await listeners_by_program(conn, waiting) if waiting else {}
    bodies = []
    for row in rows:
        pending = row.unreached
        if not row.fanned_out:
            heard = listeners.get(row.program_id, [])
            pending = sum(1 for endpoint in heard if hears(endpoint, row))
        bodies.append(with_pending(bytes(row.body), pending))
    return bodies


async def get_event(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> bytes:
    row = (
        await conn.execute(
            _query().where(events.c.public_id == public_id, *_scope(program_id, livemode, utcnow()))
        )
    ).one_or_none()
    if row is None:
        raise NotFound("event", f"No such event: '{public_id}'")
    return (await _answered(conn, [row]))[0]


async def _cursor(
    conn: AsyncConnection, program_id: int, livemode: bool, field: str, public_id: str
) -> int:
    found = (
        await conn.execute(
            sa.select(events.c.id).where(
                events.c.public_id == public_id,
                events.c.program_id == program_id,
                events.c.dialect == STRIPE,
                events.c.livemode == livemode,
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise MissingReference(field, "event", f"No such event: '{public_id}'")
    return int(found)


async def list_events(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    *,
    limit: int,
    matching: EventFilter,
    starting_after: str | None = None,
    ending_before: str | None = None,
) -> EventPage:
    """Newest first, as Stripe lists."""
    query = _query().where(*_scope(program_id, livemode, utcnow()), *_matching(matching))
    backwards = False
    if starting_after is not None:
        cursor = await _cursor(conn, program_id, livemode, "starting_after", starting_after)
        query = query.where(events.c.id < cursor).order_by(events.c.id.desc())
    elif ending_before is not None:
        cursor = await _cursor(conn, program_id, livemode, "ending_before", ending_before)
        query = query.where(events.c.id > cursor).order_by(events.c.id.asc())
        backwards = True
    else:
        query = query.order_by(events.c.id.desc())
    rows = list(await conn.execute(query.limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    return EventPage(await _answered(conn, rows), has_more)
