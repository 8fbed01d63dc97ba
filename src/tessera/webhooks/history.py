"""What the operator sees and does (`tessera webhooks list|deliveries|retry`): every endpoint
with how its deliveries stand, recent deliveries with every attempt, and sending a delivery
again. Operator tools span programs; the API's reads are scoped (tessera.webhooks.endpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import NotFound
from tessera.store.tables import events, webhook_attempts, webhook_deliveries, webhook_endpoints
from tessera.webhooks.endpoints import DISABLED, ENABLED

STATES = ("pending", "succeeded", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class EndpointSummary:
    id: int
    public_id: str
    program_id: int
    dialect: str
    livemode: bool
    url: str
    topics: list[str]
    status: str
    disabled_reason: str | None
    deliveries: dict[str, int]  # by state


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    duration_ms: int
    status: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    endpoint_id: int
    event_public_id: str
    event_type: str
    subject: str
    state: str
    next_attempt_at: datetime | None
    attempts: list[Attempt]


async def endpoint_summaries(
    conn: AsyncConnection, program_id: int | None = None
) -> list[EndpointSummary]:
    """Every endpoint not deleted, oldest first."""
    e = webhook_endpoints.c
    query = sa.select(webhook_endpoints).where(e.deleted_at.is_(None)).order_by(e.id)
    if program_id is not None:
        query = query.where(e.program_id == program_id)
    rows = (await conn.execute(query)).all()
    counts: dict[int, dict[str, int]] = {}
    if rows:
        d = webhook_deliveries.c
        tallies = await conn.execute(
            sa.select(d.endpoint_id, d.state, sa.func.count())
            .where(d.endpoint_id.in_([row.id for row in rows]))
            .group_by(d.endpoint_id, d.state)
        )
        for endpoint_id, state, n in tallies:
            counts.setdefault(endpoint_id, {})[state] = n
    return [
        EndpointSummary(
            id=row.id,
            public_id=row.public_id,
            program_id=row.program_id,
            dialect=row.dialect,
            livemode=row.livemode,
            url=row.url,
            topics=list(row.topics),
            status=row.status,
            disabled_reason=row.disabled_reason,
            deliveries={state: counts.get(row.id, {}).get(state, 0) for state in STATES},
        )
        for row in rows
    ]


async def recent_deliveries(
    conn: AsyncConnection,
    *,
    endpoint_id: int | None = None,
    state: str | None = None,
    limit: int = 20,
) -> list[Delivery]:
    """The newest deliveries first, each with its attempts oldest first."""
    d = webhook_deliveries.c
    query = (
        sa.select(webhook_deliveries, events.c.public_id, events.c.type)
        .join(events, events.c.id == d.event_id)
        .order_by(d.id.desc())
        .limit(limit)
    )
    if endpoint_id is not None:
        query = query.where(d.endpoint_id == endpoint_id)
    if state is not None:
        query = query.where(d.state == state)
    rows = (await conn.execute(query)).all()
    attempts: dict[int, list[Attempt]] = {}
    if rows:
        a = webhook_attempts.c
        for row in await conn.execute(
            sa.select(webhook_attempts)
            .where(a.delivery_id.in_([row.id for row in rows]))
            .order_by(a.id)
        ):
            attempts.setdefault(row.delivery_id, []).append(
                Attempt(as_utc(row.attempted_at), row.duration_ms, row.status, row.error)
            )
    return [
        Delivery(
            id=row.id,
            endpoint_id=row.endpoint_id,
            event_public_id=row.public_id,
            event_type=row.type,
            subject=row.subject,
            state=row.state,
            next_attempt_at=as_utc(row.next_attempt_at) if row.state == "pending" else None,
            attempts=attempts.get(row.id, []),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Retried:
    delivery_id: int
    endpoint_id: int
    was: str
    endpoint_reenabled: bool


async def retry_delivery(conn: AsyncConnection, delivery_id: int) -> Retried:
    """Send the delivery again at the next pass, with a fresh retry period; if its endpoint was
    disabled, enable it (retrying says the receiver is back). A delivery whose endpoint was
    deleted cannot be retried."""
    d, e = webhook_deliveries.c, webhook_endpoints.c
    row = (
        await conn.execute(
            sa.select(d.state, d.endpoint_id, e.status, e.deleted_at)
            .join(webhook_endpoints, e.id == d.endpoint_id)
            .where(d.id == delivery_id)
        )
    ).one_or_none()
    if row is None or row.deleted_at is not None:
        raise NotFound("delivery", f"No delivery {delivery_id} (or its endpoint was deleted)")
    now = utcnow()
    await conn.execute(
        webhook_deliveries.update()
        .where(d.id == delivery_id)
        .values(state="pending", next_attempt_at=now, leased_until=None, first_attempt_at=None)
    )
    reenabled = row.status == DISABLED
    if reenabled:
        await conn.execute(
            webhook_endpoints.update()
            .where(e.id == row.endpoint_id)
            .values(status=ENABLED, disabled_reason=None, failing_since=None, updated_at=now)
        )
    return Retried(delivery_id, row.endpoint_id, row.state, reenabled)


async def oldest_undelivered(conn: AsyncConnection) -> datetime | None:
    """When the oldest event still to be delivered happened (the outbox's age), leaving out
    deliveries held by a disabled endpoint."""
    unfanned = sa.select(sa.func.min(events.c.created_at)).where(events.c.fanned_out.is_(False))
    pending = (
        sa.select(sa.func.min(events.c.created_at))
        .select_from(webhook_deliveries)
        .join(events, events.c.id == webhook_deliveries.c.event_id)
        .join(webhook_endpoints, webhook_endpoints.c.id == webhook_deliveries.c.endpoint_id)
        .where(webhook_deliveries.c.state == "pending", webhook_endpoints.c.status == ENABLED)
    )
    moments = [
        as_utc(moment)
        for moment in [
            (await conn.execute(unfanned)).scalar_one(),
            (await conn.execute(pending)).scalar_one(),
        ]
        if moment is not None
    ]
    return min(moments, default=None)
