"""Delivery: each event to each subscribed endpoint, at least once, in order per subject.

Three steps, each its own short write transaction, none held open while posting:

1. **Fan out** (:func:`fan_out`): events not yet fanned out get one delivery per endpoint that
   hears their type and existed when they happened. One worker fans out at a time (an advisory
   lock on PostgreSQL, the single writer on SQLite), in event order, so one subject's
   deliveries are made in the order its events were.
2. **Claim** (:func:`claim`): due deliveries are leased for ``LEASE`` (rows locked with
   ``SKIP LOCKED`` on PostgreSQL while leasing), so one delivery is posted by one worker at a
   time. A delivery waits while an earlier one of its subject to the same endpoint is pending:
   an endpoint hears one customer's events in order, and one at a time.
3. **Finish** (:func:`finish`): every attempt is recorded; a 2xx ends the delivery; a failure
   schedules the next attempt (tessera.webhooks.retry) until the delivery has been retried for
   ``retry_for``, then it is "failed" and its attempts stay. An endpoint whose every attempt
   failed for ``disable_after`` is disabled, and says why.

A worker that dies mid-post lets the lease lapse; the delivery is posted again (the receiver
deduplicates by the event id in the body).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.config import Settings
from tessera.kit.clock import as_utc
from tessera.programs.site_secrets import PURPOSE as SITE_SECRET
from tessera.store.tables import events, sites, webhook_attempts, webhook_deliveries
from tessera.store.tables import webhook_endpoints as endpoints
from tessera.webhooks.endpoints import DISABLED, ENABLED, SEALED_AS
from tessera.webhooks.outbound import Outcome
from tessera.webhooks.outbox import subscribes
from tessera.webhooks.retry import next_delay

LEASE = timedelta(seconds=15)  # three times the 5 s an attempt may take
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
_FAN_OUT_LOCK = 0x7E55E4A  # PostgreSQL advisory lock: one fan-out at a time


@dataclass(frozen=True, slots=True)
class Policy:
    retry_base: float
    retry_for: timedelta
    disable_after: timedelta
    allow_private: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            retry_base=settings.webhooks_retry_base,
            retry_for=timedelta(seconds=settings.webhooks_retry_for),
            disable_after=timedelta(seconds=settings.webhooks_disable_after),
            allow_private=settings.webhooks_allow_private,
        )


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased delivery with what posting it needs."""

    delivery_id: int
    attempts: int
    dialect: str
    event_public_id: str
    event_type: str
    event_body: bytes
    event_created_at: datetime
    livemode: bool
    endpoint_id: int
    endpoint_public_id: str
    url: str
    attributes: dict[str, Any]
    # The signing secret, sealed: the endpoint's own, else its site's (``sealed_as`` says which).
    secret_sealed: bytes | None
    sealed_as: str
    # Endpoints this event has not reached yet, this one included (Stripe's pending_webhooks).
    pending: int


class Format(Protocol):
    """A dialect's webhook request: the body and headers (the signature among them)."""

    def request(
        self, delivery: Claimed, secret: bytes, now: datetime
    ) -> tuple[bytes, list[tuple[str, str]]]: ...


def hears(listener: Any, event: Any) -> bool:
    """Whether an enabled endpoint (a row with ``dialect``, ``livemode``, ``topics`` and
    ``created_at``) gets a delivery of an event of its program (``dialect``, ``livemode``,
    ``type``, ``created_at``): its dialect and mode, a type it subscribes to, and it existed
    when the event happened."""
    return bool(
        listener.dialect == event.dialect
        and listener.livemode == event.livemode
        and as_utc(listener.created_at) <= as_utc(event.created_at)
        and subscribes(listener.topics, event.type)
    )


async def listeners_by_program(
    conn: AsyncConnection, program_ids: set[int]
) -> dict[int, list[Any]]:
    """The enabled endpoints of these programs, by program: rows with what :func:`hears`
    reads, and their ``id``."""
    rows = await conn.execute(
        sa.select(
            endpoints.c.id,
            endpoints.c.program_id,
            endpoints.c.dialect,
            endpoints.c.livemode,
            endpoints.c.topics,
            endpoints.c.created_at,
        ).where(
            endpoints.c.program_id.in_(program_ids),
            endpoints.c.status == ENABLED,
            endpoints.c.deleted_at.is_(None),
        )
    )
    by_program: dict[int, list[Any]] = {}
    for row in rows:
        by_program.setdefault(row.program_id, []).append(row)
    return by_program


async def fan_out(conn: AsyncConnection, limit: int = 500) -> int:
    """Make the deliveries of up to ``limit`` events; how many events were fanned out."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_FAN_OUT_LOCK)))
    batch = (
        await conn.execute(
            sa.select(
                events.c.id,
                events.c.program_id,
                events.c.dialect,
                events.c.type,
                events.c.livemode,
                events.c.subject,
                events.c.created_at,
            )
            .where(events.c.fanned_out.is_(False))
            .order_by(events.c.id)
            .limit(limit)
        )
    ).all()
    if not batch:
        return 0
    by_program = await listeners_by_program(conn, {event.program_id for event in batch})
    rows = [
        {
            "event_id": event.id,
            "endpoint_id": listener.id,
            "subject": event.subject,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": as_utc(event.created_at),
            "created_at": as_utc(event.created_at),
        }
        for event in batch
        for listener in by_program.get(event.program_id, [])
        if hears(listener, event)
    ]
    if rows:
        await conn.execute(webhook_deliveries.insert(), rows)
    await conn.execute(
        events.update()
        .where(events.c.id.in_([event.id for event in batch]))
        .values(fanned_out=True)
    )
    return len(batch)


def _due(now: datetime) -> list[sa.ColumnElement[bool]]:
    d = webhook_deliveries.c
    return [
        d.state == PENDING,
        d.next_attempt_at <= now,
        sa.or_(d.leased_until.is_(None), d.leased_until <= now),
    ]


async def work_waiting(conn: AsyncConnection, now: datetime) -> bool:
    """Whether a pass has anything to do (read without the write lock)."""
    unfanned = sa.select(events.c.id).where(events.c.fanned_out.is_(False)).limit(1)
    # Deliveries held by a disabled endpoint wait without keeping every pass busy.
    due = (
        sa.select(webhook_deliveries.c.id)
        .join(endpoints, endpoints.c.id == webhook_deliveries.c.endpoint_id)
        .where(*_due(now), endpoints.c.status == ENABLED, endpoints.c.deleted_at.is_(None))
        .limit(1)
    )
    return (await conn.execute(sa.select(sa.exists(unfanned) | sa.exists(due)))).scalar_one()


async def claim(conn: AsyncConnection, now: datetime, limit: int = 50) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries, the first pending one of each subject."""
    d = webhook_deliveries.c
    earlier = webhook_deliveries.alias("earlier")
    waiting_behind = sa.exists().where(
        earlier.c.endpoint_id == d.endpoint_id,
        earlier.c.subject == d.subject,
        earlier.c.state == PENDING,
        earlier.c.event_id < d.event_id,
    )
    query = (
        sa.select(d.id)
        .join(endpoints, endpoints.c.id == d.endpoint_id)
        .where(
            *_due(now),
            endpoints.c.status == ENABLED,
            endpoints.c.deleted_at.is_(None),
            ~waiting_behind,
        )
        .order_by(d.event_id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=webhook_deliveries, skip_locked=True)
    ids = list((await conn.execute(query)).scalars())
    if not ids:
        return []
    await conn.execute(
        webhook_deliveries.update().where(d.id.in_(ids)).values(leased_until=now + LEASE)
    )
    unreached = webhook_deliveries.alias("unreached")
    pending = (
        sa.select(sa.func.count())
        .where(unreached.c.event_id == d.event_id, unreached.c.state.in_((PENDING, FAILED)))
        .scalar_subquery()
    )
    rows = await conn.execute(
        sa.select(
            d.id,
            d.attempts,
            events.c.dialect,
            events.c.public_id.label("event_public_id"),
            events.c.type,
            events.c.body,
            events.c.created_at,
            events.c.livemode,
            endpoints.c.id.label("endpoint_id"),
            endpoints.c.public_id.label("endpoint_public_id"),
            endpoints.c.url,
            endpoints.c.attributes,
            endpoints.c.secret_sealed,
            sites.c.secret_sealed.label("site_secret_sealed"),
            pending.label("pending"),
        )
        .join(events, events.c.id == d.event_id)
        .join(endpoints, endpoints.c.id == d.endpoint_id)
        .outerjoin(sites, sites.c.id == endpoints.c.site_id)
        .where(d.id.in_(ids))
        .order_by(d.event_id)
    )
    return [
        Claimed(
            delivery_id=row.id,
            attempts=row.attempts,
            dialect=row.dialect,
            event_public_id=row.event_public_id,
            event_type=row.type,
            event_body=row.body,
            event_created_at=as_utc(row.created_at),
            livemode=row.livemode,
            endpoint_id=row.endpoint_id,
            endpoint_public_id=row.endpoint_public_id,
            url=row.url,
            attributes=dict(row.attributes),
            secret_sealed=row.secret_sealed
            if row.secret_sealed is not None
            else row.site_secret_sealed,
            sealed_as=SEALED_AS if row.secret_sealed is not None else SITE_SECRET,
            pending=row.pending,
        )
        for row in rows
    ]


async def finish(
    conn: AsyncConnection, delivery: Claimed, outcome: Outcome, now: datetime, policy: Policy
) -> str:
    """Record the attempt and decide what follows; the delivery's state after it."""
    d = webhook_deliveries.c
    await conn.execute(
        webhook_attempts.insert().values(
            delivery_id=delivery.delivery_id,
            attempted_at=now,
            duration_ms=outcome.duration_ms,
            status=outcome.status,
            error=None if outcome.error is None else outcome.error[:500],
            response_excerpt=outcome.excerpt[:1000] or None,
        )
    )
    first = (
        await conn.execute(sa.select(d.first_attempt_at).where(d.id == delivery.delivery_id))
    ).scalar_one()
    first = now if first is None else as_utc(first)
    changes: dict[str, Any] = {
        "attempts": delivery.attempts + 1,
        "first_attempt_at": first,
        "last_attempt_at": now,
        "last_status": outcome.status,
        "last_error": None if outcome.error is None else outcome.error[:500],
        "leased_until": None,
    }
    if outcome.succeeded:
        state = SUCCEEDED
    elif now - first >= policy.retry_for:
        state = FAILED
    else:
        state = PENDING
        changes["next_attempt_at"] = now + next_delay(delivery.attempts + 1, policy.retry_base)
    # Only while pending: a delivery cancelled while it was being posted (its endpoint deleted)
    # stays cancelled.
    await conn.execute(
        webhook_deliveries.update()
        .where(d.id == delivery.delivery_id, d.state == PENDING)
        .values(state=state, **changes)
    )
    await _mark_endpoint(conn, delivery.endpoint_id, outcome, now, policy)
    return state


async def _mark_endpoint(
    conn: AsyncConnection, endpoint_id: int, outcome: Outcome, now: datetime, policy: Policy
) -> None:
    e = endpoints.c
    if outcome.succeeded:
        await conn.execute(
            endpoints.update()
            .where(e.id == endpoint_id, e.failing_since.is_not(None))
            .values(failing_since=None)
        )
        return
    since = (await conn.execute(sa.select(e.failing_since).where(e.id == endpoint_id))).scalar_one()
    if since is None:
        await conn.execute(endpoints.update().where(e.id == endpoint_id).values(failing_since=now))
        return
    since = as_utc(since)
    if now - since >= policy.disable_after:
        reason = (
            f"Disabled at {now:%Y-%m-%d %H:%M} UTC: every delivery since {since:%Y-%m-%d %H:%M} "
            f"UTC failed; the last {outcome.error or 'failed'}"
        )
        await conn.execute(
            endpoints.update()
            .where(e.id == endpoint_id, e.status == ENABLED)
            .values(status=DISABLED, disabled_reason=reason[:500], updated_at=now)
        )
