"""`tessera webhooks list|deliveries|retry` against both databases: what an operator sees of a
failing endpoint, and sending its delivery again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.clock import utcnow
from tessera.store.transactions import write_transaction
from tessera.webhooks import delivery
from tessera.webhooks.delivery import Policy
from tessera.webhooks.endpoints import create_endpoint
from tessera.webhooks.outbound import Outcome
from tessera.webhooks.outbox import NewEvent, record
from tests.factories import make_tenant
from tests.test_cli import json_of, problem, tessera

DISABLE_AT_ONCE = Policy(
    retry_base=30.0,
    retry_for=timedelta(days=3),
    disable_after=timedelta(0),
    allow_private=True,
)


async def failing_endpoint(db: AsyncEngine) -> None:
    """An endpoint whose one delivery failed twice (so it was disabled at the second)."""
    tenant = await make_tenant(db)
    async with write_transaction(db) as conn:
        await create_endpoint(
            conn,
            program_id=tenant.program_id,
            dialect="loyaltylion",
            public_id=uuid.uuid4().hex,
            url="https://hooks.example.invalid/in",
            topics=["customers/update"],
            allow_private=False,
            site_id=tenant.site.id,
        )
        await record(
            conn,
            NewEvent(
                program_id=tenant.program_id,
                dialect="loyaltylion",
                type="customers/update",
                subject="1001",
                body=b"{}",
                public_id="evt-cli-1",
            ),
        )
        await delivery.fan_out(conn)
    for day in (1, 2):  # each attempt when it is due
        now = utcnow() + timedelta(days=day)
        async with write_transaction(db) as conn:
            [claimed] = await delivery.claim(conn, now)
            answer = Outcome(status=503, error="answered 503", excerpt="", duration_ms=7)
            await delivery.finish(conn, claimed, answer, now, DISABLE_AT_ONCE)


async def test_webhooks_list_shows_a_disabled_endpoint_and_why(
    db: AsyncEngine, database_url: str
) -> None:
    await failing_endpoint(db)
    [shown] = json_of(await asyncio.to_thread(tessera, database_url, "webhooks", "list", "--json"))
    assert shown["status"] == "disabled" and "answered 503" in shown["disabled_reason"]
    assert shown["deliveries"]["pending"] == 1 and shown["topics"] == ["customers/update"]


async def test_webhooks_deliveries_show_every_attempt(db: AsyncEngine, database_url: str) -> None:
    await failing_endpoint(db)
    result = await asyncio.to_thread(tessera, database_url, "webhooks", "deliveries", "--json")
    [shown] = json_of(result)
    assert (shown["event"], shown["state"]) == ("evt-cli-1", "pending")
    assert [a["status"] for a in shown["attempts"]] == [503, 503]


async def test_webhooks_retry_queues_the_delivery_and_enables_its_endpoint(
    db: AsyncEngine, database_url: str
) -> None:
    await failing_endpoint(db)
    [shown] = json_of(
        await asyncio.to_thread(tessera, database_url, "webhooks", "deliveries", "--json")
    )
    result = await asyncio.to_thread(tessera, database_url, "webhooks", "retry", str(shown["id"]))
    assert f"delivery {shown['id']} (pending until now) is queued" in result.stdout
    assert "enabled again" in result.stdout
    async with db.connect() as conn:
        assert len(await delivery.claim(conn, utcnow())) == 1


async def test_webhooks_retry_of_an_unknown_delivery_is_one_line(database_url: str) -> None:
    result = await asyncio.to_thread(
        tessera, database_url, "webhooks", "retry", "999999", check=False
    )
    assert result.returncode != 0
    assert problem(result).count("\n") == 0 and "999999" in problem(result)
