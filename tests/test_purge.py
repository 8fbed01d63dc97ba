"""Expired WebView sessions and visits, customer sessions and old idempotency records are
purged in batches; what is still usable stays."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.config import Settings
from tessera.kit.clock import utcnow
from tessera.purge import purge_expired
from tessera.state import Tessera
from tessera.store.tables import (
    events,
    stripe_customer_sessions,
    stripe_idempotency,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webview_sessions,
)
from tessera.store.transactions import write_transaction
from tessera.webhooks.delivery import fan_out
from tessera.webhooks.endpoints import create_endpoint
from tessera.webhooks.outbox import NewEvent, record
from tests.conftest import LiveServer
from tests.factories import Tenant, make_tenant

LONG_AGO = timedelta(days=2)
SOON = timedelta(minutes=5)


def token() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


async def add_webview_session(
    db: AsyncEngine, tenant: Tenant, expires_at: datetime, visit_expires_at: datetime | None
) -> None:
    async with db.begin() as conn:
        await conn.execute(
            webview_sessions.insert().values(
                token_hash=token(),
                program_id=tenant.program_id,
                site_id=tenant.site.id,
                channel="app",
                language="en",
                currency="usd",
                created_at=expires_at - timedelta(minutes=5),
                expires_at=expires_at,
                visit_hash=token() if visit_expires_at else None,
                visit_expires_at=visit_expires_at,
            )
        )


async def add_customer_session(db: AsyncEngine, tenant: Tenant, expires_at: datetime) -> None:
    async with db.begin() as conn:
        await conn.execute(
            stripe_customer_sessions.insert().values(
                secret_hash=token(),
                program_id=tenant.program_id,
                livemode=False,
                components={},
                created_at=expires_at - timedelta(minutes=30),
                expires_at=expires_at,
            )
        )


async def add_idempotency_record(db: AsyncEngine, tenant: Tenant, created_at: datetime) -> None:
    async with db.begin() as conn:
        await conn.execute(
            stripe_idempotency.insert().values(
                program_id=tenant.program_id,
                livemode=False,
                idempotency_key=token(),
                fingerprint=token(),
                state="done",
                status=200,
                body=b"{}",
                created_at=created_at,
            )
        )


async def count(db: AsyncEngine, table: sa.Table) -> int:
    async with db.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_expired_webview_sessions_go_and_usable_ones_stay(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db)
    now = utcnow()
    await add_webview_session(db, tenant, now - LONG_AGO, None)  # never opened, expired
    await add_webview_session(db, tenant, now - LONG_AGO, now - LONG_AGO)  # visit over too
    await add_webview_session(db, tenant, now + SOON, None)  # URL still valid
    await add_webview_session(db, tenant, now - LONG_AGO, now + SOON)  # visit still on
    purged = await purge_expired(tessera)
    assert purged["webview_sessions"] == 2
    assert await count(db, webview_sessions) == 2


async def test_expired_customer_sessions_go_and_live_ones_stay(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db)
    now = utcnow()
    await add_customer_session(db, tenant, now - LONG_AGO)
    await add_customer_session(db, tenant, now + SOON)
    purged = await purge_expired(tessera)
    assert purged["customer_sessions"] == 1
    assert await count(db, stripe_customer_sessions) == 1


async def test_idempotency_records_go_after_the_24_hour_replay_window(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db)
    now = utcnow()
    await add_idempotency_record(db, tenant, now - timedelta(hours=25))
    await add_idempotency_record(db, tenant, now - timedelta(hours=23))
    purged = await purge_expired(tessera)
    assert purged["idempotency_records"] == 1
    assert await count(db, stripe_idempotency) == 1


async def add_delivered_event(db: AsyncEngine, tenant: Tenant, created_at: datetime) -> None:
    async with write_transaction(db) as conn:
        await record(
            conn,
            NewEvent(
                program_id=tenant.program_id,
                dialect="loyaltylion",
                type="customers/update",
                subject="c1",
                body=b"{}",
                public_id=token(),
                created_at=created_at,
            ),
        )
        await fan_out(conn)
        delivery_id = (await conn.execute(sa.select(sa.func.max(webhook_deliveries.c.id)))).scalar()
        await conn.execute(
            webhook_attempts.insert().values(
                delivery_id=delivery_id, attempted_at=created_at, duration_ms=1, status=200
            )
        )


async def test_events_go_after_30_days_with_their_deliveries_and_attempts(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        await create_endpoint(
            conn,
            program_id=tenant.program_id,
            dialect="loyaltylion",
            public_id=token(),
            url="https://example.com/hook",
            topics=["*"],
            allow_private=False,
        )
        # As if it had been there before the events.
        await conn.execute(
            webhook_endpoints.update().values(created_at=utcnow() - timedelta(days=40))
        )
    now = utcnow()
    await add_delivered_event(db, tenant, now - timedelta(days=31))
    await add_delivered_event(db, tenant, now - timedelta(days=29))
    purged = await purge_expired(tessera)
    assert purged["events"] == 1
    assert (await count(db, events), await count(db, webhook_deliveries)) == (1, 1)
    assert await count(db, webhook_attempts) == 1


async def test_a_just_expired_link_is_kept_for_a_while_to_say_it_expired(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db)
    await add_webview_session(db, tenant, utcnow() - timedelta(minutes=1), None)
    await purge_expired(tessera)
    assert await count(db, webview_sessions) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_purge_goes_batch_by_batch_until_nothing_expired_is_left(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db)
    for _ in range(7):
        await add_webview_session(db, tenant, utcnow() - LONG_AGO, None)
    purged = await purge_expired(tessera, batch=3, pause=0)
    assert purged["webview_sessions"] == 7
    assert await count(db, webview_sessions) == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_served_app_purges_by_itself(
    db: AsyncEngine, live_server: Callable[..., LiveServer]
) -> None:
    tenant = await make_tenant(db)
    await add_webview_session(db, tenant, utcnow() - LONG_AGO, None)
    await add_webview_session(db, tenant, utcnow() + SOON, None)
    live_server(workers=2, env={"TESSERA_PURGE_INTERVAL": "1"})
    for _ in range(100):
        if await count(db, webview_sessions) == 1:
            break
        await asyncio.sleep(0.1)
    assert await count(db, webview_sessions) == 1


def test_the_purge_interval_is_read_from_the_environment() -> None:
    assert Settings.from_env({"TESSERA_PURGE_INTERVAL": "30"}).purge_interval == 30
    assert Settings.from_env({}).purge_interval == 60
