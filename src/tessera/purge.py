"""Purging what has expired: WebView sessions and their visits, Stripe customer sessions,
idempotency records past Stripe's 24-hour replay window, and events (with their deliveries)
past the 30 days they are listed for.

Each worker of `tessera serve` runs :func:`purge_forever` from the app's lifespan. Rows go in
batches of ``BATCH`` per statement, each batch its own short write through the app's group
commit (on SQLite that is the one writer path every request uses, so a batch queues with
requests instead of holding the write lock against them), with a pause between batches. Several
workers purging at once is harmless: a row deleted twice is deleted once.

Expired rows are kept for ``GRACE`` past their expiry, so that a link opened a little late
still says "expired" rather than "not valid".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.api.stripe.idempotency import REPLAY_WINDOW, delete_old_idempotency_records
from tessera.kit.clock import utcnow
from tessera.sessions.customer_sessions import delete_expired_customer_sessions
from tessera.sessions.webview import delete_expired_webview_sessions
from tessera.state import Tessera
from tessera.webhooks.retention import EVENT_RETENTION, delete_old_events

log = structlog.get_logger("tessera.purge")

BATCH = 1000  # rows per statement
PAUSE = 0.05  # seconds between two batches, so requests get the writer in between
GRACE = timedelta(hours=1)

Purger = Callable[[AsyncConnection, datetime, int], Awaitable[int]]


def purgers(now: datetime) -> dict[str, tuple[Purger, datetime]]:
    """What to purge, and what expired (or was created) before when it may go."""
    return {
        "webview_sessions": (delete_expired_webview_sessions, now - GRACE),
        "customer_sessions": (delete_expired_customer_sessions, now - GRACE),
        "idempotency_records": (delete_old_idempotency_records, now - REPLAY_WINDOW),
        "events": (delete_old_events, now - EVENT_RETENTION),
    }


def _batch_of(
    purge: Purger, before: datetime, batch: int
) -> Callable[[AsyncConnection], Awaitable[int]]:
    async def work(conn: AsyncConnection) -> int:
        return await purge(conn, before, batch)

    return work


async def purge_expired(
    tessera: Tessera, *, batch: int = BATCH, pause: float = PAUSE
) -> dict[str, int]:
    """One pass: every kind of expired row, batch after batch; how many rows of each went."""
    purged: dict[str, int] = {}
    for name, (purge, before) in purgers(utcnow()).items():
        total = 0
        while True:
            deleted = await tessera.writes.run(_batch_of(purge, before, batch))
            total += deleted
            if deleted < batch:
                break
            await asyncio.sleep(pause)
        purged[name] = total
    return purged


async def purge_forever(tessera: Tessera, interval: float) -> None:
    """Purge every ``interval`` seconds (the first pass one interval after start) until
    cancelled. A failed pass (the database away) is logged and tried again next time."""
    while True:
        await asyncio.sleep(interval)
        try:
            purged = await purge_expired(tessera)
        except Exception as exc:
            log.warning("purge_failed", error=type(exc).__name__)
            continue
        if any(purged.values()):
            log.info("purged", **purged)
