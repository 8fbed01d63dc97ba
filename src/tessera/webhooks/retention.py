"""How long events are kept: 30 days, as Stripe lists them (``GET /v1/events``). An older
event goes with its deliveries and their attempts; by then every delivery has long succeeded or
given up (retries last 3 days), unless its endpoint was disabled all that time."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.store.tables import events, webhook_attempts, webhook_deliveries

EVENT_RETENTION = timedelta(days=30)


async def delete_old_events(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` events created before ``before``; how many went."""
    ids = list(
        (
            await conn.execute(
                sa.select(events.c.id)
                .where(events.c.created_at < before)
                .order_by(events.c.id)
                .limit(limit)
            )
        ).scalars()
    )
    if not ids:
        return 0
    deliveries = sa.select(webhook_deliveries.c.id).where(webhook_deliveries.c.event_id.in_(ids))
    await conn.execute(
        webhook_attempts.delete().where(webhook_attempts.c.delivery_id.in_(deliveries))
    )
    await conn.execute(webhook_deliveries.delete().where(webhook_deliveries.c.event_id.in_(ids)))
    await conn.execute(events.delete().where(events.c.id.in_(ids)))
    return len(ids)
