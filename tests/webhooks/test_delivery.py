"""The delivery worker on both databases, posting to a real receiver on a loopback port."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.config import Settings
from tessera.kit.clock import utcnow
from tessera.metrics import Metrics
from tessera.sealing import server_key
from tessera.state import Tessera
from tessera.store.tables import webhook_attempts, webhook_deliveries, webhook_endpoints
from tessera.store.transactions import write_transaction
from tessera.webhooks import delivery
from tessera.webhooks.delivery import Claimed
from tessera.webhooks.endpoints import (
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    update_endpoint,
)
from tessera.webhooks.outbound import Outcome
from tessera.webhooks.outbox import NewEvent, record
from tessera.webhooks.worker import Deliverer

from ..factories import Tenant, engine_server_key, make_tenant
from .receiver import Receiver, running_receiver

DIALECT = "loyaltylion"


class SignedCopy:
    """A format for the tests: the stored body as it is, signed with the secret."""

    def request(
        self, delivery: Claimed, secret: bytes, now: datetime
    ) -> tuple[bytes, list[tuple[str, str]]]:
        signature = hmac.new(secret, delivery.event_body, hashlib.sha256).hexdigest()
        return delivery.event_body, [
            ("x-signature", signature),
            ("x-event-id", delivery.event_public_id),
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[Deliverer]:
    state = Tessera.start(settings.with_(webhooks_allow_private=True, webhooks_retry_base=0.01))
    try:
        yield Deliverer(state, {DIALECT: SignedCopy()})
    finally:
        await state.close()


async def _endpoint(
    db: AsyncEngine, tenant: Tenant, url: str, topics: list[str], secret: str | None = None
) -> str:
    public_id = uuid.uuid4().hex
    async with db.begin() as conn:
        await create_endpoint(
            conn,
            program_id=tenant.program_id,
            dialect=DIALECT,
            public_id=public_id,
            url=url,
            topics=topics,
            allow_private=True,
            site_id=tenant.site.id,
            secret=secret,
            server_key=None if secret is None else _key(db),
        )
    return public_id


def _key(db: AsyncEngine) -> bytes:
    return engine_server_key(db)


async def _event(db: AsyncEngine, tenant: Tenant, kind: str, subject: str, n: int) -> str:
    public_id = uuid.uuid4().hex
    async with db.begin() as conn:
        await record(
            conn,
            NewEvent(
                program_id=tenant.program_id,
                dialect=DIALECT,
                type=kind,
                subject=subject,
                body=f'{{"n": {n}}}'.encode(),
                public_id=public_id,
            ),
        )
    return public_id


async def _drain(worker: Deliverer, passes: int = 50) -> None:
    """Passes until nothing is due (retries are due within a few tens of milliseconds)."""
    for _ in range(passes):
        if await worker.run_once() == 0:
            await asyncio.sleep(0.05)
            async with worker.tessera.engine.connect() as conn:
                if not await delivery.work_waiting(conn, delivery_now()):
                    return


def delivery_now() -> datetime:
    return utcnow() + timedelta(seconds=1)


async def test_an_event_reaches_a_subscribed_endpoint_signed_with_the_site_secret(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, receiver.url, ["customers/update"])
    event_id = await _event(db, tenant, "customers/update", "c1", 1)

    await _drain(worker)

    [got] = receiver.wait_for(1)
    assert got.body == b'{"n": 1}'
    assert got.headers["x-event-id"] == event_id
    expected = hmac.new(tenant.site_secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-signature"] == expected


async def test_an_endpoint_with_its_own_secret_is_signed_with_it(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, receiver.url, ["*"], secret="whsec_test")
    await _event(db, tenant, "customer.created", "c1", 1)

    await _drain(worker)

    [got] = receiver.wait_for(1)
    assert got.headers["x-signature"] == hmac.new(b"whsec_test", got.body, "sha256").hexdigest()


async def test_an_endpoint_hears_only_the_types_it_subscribed_to(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, receiver.url, ["customers/update"])
    await _event(db, tenant, "loyalty_emails/unsubscribe", "c1", 1)
    await _event(db, tenant, "customers/update", "c1", 2)

    await _drain(worker)

    assert [r.body for r in receiver.wait_for(1)] == [b'{"n": 2}']


async def test_an_endpoint_created_after_an_event_does_not_hear_it(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _event(db, tenant, "customers/update", "c1", 1)
    await _endpoint(db, tenant, receiver.url, ["customers/update"])
    await _event(db, tenant, "customers/update", "c1", 2)

    await _drain(worker)

    assert [r.body for r in receiver.wait_for(1)] == [b'{"n": 2}']


async def test_another_programs_events_never_reach_an_endpoint(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    mine, theirs = await make_tenant(db), await make_tenant(db, name="Other")
    await _endpoint(db, mine, receiver.url, ["*"])
    await _event(db, theirs, "customers/update", "c1", 1)
    await _event(db, mine, "customers/update", "c1", 2)

    await _drain(worker)

    assert [r.body for r in receiver.wait_for(1)] == [b'{"n": 2}']


async def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, receiver.url, ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    receiver.script = [500, 500, 500]

    await _drain(worker)

    got = receiver.wait_for(4)
    assert len(got) == 4 and len({r.headers["x-event-id"] for r in got}) == 1
    async with db.connect() as conn:
        state, attempts = (
            await conn.execute(sa.select(webhook_deliveries.c.state, webhook_deliveries.c.attempts))
        ).one()
        statuses = (
            await conn.execute(sa.select(webhook_attempts.c.status).order_by(webhook_attempts.c.id))
        ).scalars()
        assert (state, attempts, list(statuses)) == ("succeeded", 4, [500, 500, 500, 200])


async def test_one_subjects_events_arrive_in_order_even_when_the_first_is_retried(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, receiver.url, ["*"])
    for n in range(1, 6):
        await _event(db, tenant, "customers/update", "c1", n)
    receiver.script = [500, 500]

    await _drain(worker)

    got = receiver.wait_for(7)
    delivered = [r.body for r in got[2:]]
    assert delivered == [f'{{"n": {n}}}'.encode() for n in range(1, 6)]


async def test_a_delivery_is_leased_to_one_worker_at_a_time(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, "http://127.0.0.1:9/hook", ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    now = delivery_now()
    async with write_transaction(db) as conn:
        await delivery.fan_out(conn)
        first = await delivery.claim(conn, now)
    async with write_transaction(db) as conn:
        second = await delivery.claim(conn, now)
    async with write_transaction(db) as conn:
        after_lease = await delivery.claim(conn, now + delivery.LEASE)
    assert (len(first), len(second), len(after_lease)) == (1, 0, 1)


async def test_a_delivery_gives_up_after_its_retry_period_and_keeps_its_attempts(
    db: AsyncEngine, settings: Settings, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, receiver.url, ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    receiver.script = [503] * 100
    state = Tessera.start(
        settings.with_(
            webhooks_allow_private=True, webhooks_retry_base=0.01, webhooks_retry_for=0.3
        )
    )
    try:
        await _drain(Deliverer(state, {DIALECT: SignedCopy()}), passes=200)
    finally:
        await state.close()
    async with db.connect() as conn:
        state_now, last_status = (
            await conn.execute(
                sa.select(webhook_deliveries.c.state, webhook_deliveries.c.last_status)
            )
        ).one()
        attempts = (
            await conn.execute(sa.select(sa.func.count()).select_from(webhook_attempts))
        ).scalar_one()
    assert (state_now, last_status) == ("failed", 503)
    assert attempts == len(receiver.requests) >= 2


async def test_an_endpoint_failing_for_its_disable_period_is_disabled_and_says_why(
    db: AsyncEngine, settings: Settings, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    public_id = await _endpoint(db, tenant, receiver.url, ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    receiver.script = [500] * 100
    state = Tessera.start(
        settings.with_(
            webhooks_allow_private=True, webhooks_retry_base=0.01, webhooks_disable_after=0.2
        )
    )
    try:
        await _drain(Deliverer(state, {DIALECT: SignedCopy()}), passes=200)
    finally:
        await state.close()
    async with db.connect() as conn:
        endpoint = await get_endpoint(conn, tenant.program_id, DIALECT, public_id)
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason is not None and "answered 500" in endpoint.disabled_reason


async def test_deleting_an_endpoint_cancels_its_pending_deliveries(
    db: AsyncEngine, worker: Deliverer, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    public_id = await _endpoint(db, tenant, receiver.url, ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    async with write_transaction(db) as conn:
        await delivery.fan_out(conn)
        endpoint = await get_endpoint(conn, tenant.program_id, DIALECT, public_id)
        await delete_endpoint(conn, endpoint)

    await _drain(worker)

    assert receiver.requests == []
    async with db.connect() as conn:
        states = (await conn.execute(sa.select(webhook_deliveries.c.state))).scalars()
        assert list(states) == ["cancelled"]
        assert (
            await conn.execute(sa.select(webhook_endpoints.c.deleted_at))
        ).scalar_one() is not None


def test_the_server_key_of_the_factories_is_the_apps(settings: Settings, db: AsyncEngine) -> None:
    assert _key(db) == server_key(settings)


async def test_a_delivery_cancelled_while_it_was_posted_stays_cancelled(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    public_id = await _endpoint(db, tenant, "http://127.0.0.1:9/hook", ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    now = delivery_now()
    async with write_transaction(db) as conn:
        await delivery.fan_out(conn)
        [leased] = await delivery.claim(conn, now)
    async with write_transaction(db) as conn:
        await delete_endpoint(conn, await get_endpoint(conn, tenant.program_id, DIALECT, public_id))
    failed = Outcome(status=500, error="answered 500", excerpt="", duration_ms=1)
    policy = delivery.Policy(0.01, timedelta(days=1), timedelta(days=1), allow_private=True)
    async with write_transaction(db) as conn:
        await delivery.finish(conn, leased, failed, now, policy)
        later = await delivery.claim(conn, now + delivery.LEASE + timedelta(days=1))
        state = (await conn.execute(sa.select(webhook_deliveries.c.state))).scalar_one()
    assert (state, later) == ("cancelled", [])


async def test_the_worker_counts_attempts_by_outcome_and_shows_the_outbox_age(
    db: AsyncEngine, settings: Settings, receiver: Receiver
) -> None:
    tenant = await make_tenant(db)
    await _endpoint(db, tenant, receiver.url, ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    receiver.script = [500]
    metrics = Metrics()
    state = Tessera.start(settings.with_(webhooks_allow_private=True, webhooks_retry_base=0.01))
    try:
        deliverer = Deliverer(state, {DIALECT: SignedCopy()}, metrics)
        await deliverer.run_once()
        waiting = sample(metrics, "tessera_webhook_outbox_age_seconds")
        await _drain(deliverer)
    finally:
        await state.close()
    attempts = "tessera_webhook_deliveries_total"
    assert sample(metrics, attempts, status="retrying") == 1
    assert sample(metrics, attempts, status="succeeded") == 1
    assert waiting > 0 and sample(metrics, "tessera_webhook_outbox_age_seconds") == 0


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_a_disabled_endpoints_deliveries_wait_without_keeping_passes_busy(
    db: AsyncEngine,
) -> None:
    tenant = await make_tenant(db)
    public_id = await _endpoint(db, tenant, "http://127.0.0.1:9/hook", ["*"])
    await _event(db, tenant, "customers/update", "c1", 1)
    async with write_transaction(db) as conn:
        await delivery.fan_out(conn)
        endpoint = await get_endpoint(conn, tenant.program_id, DIALECT, public_id)
        await update_endpoint(conn, endpoint, allow_private=True, enabled=False)
    async with db.connect() as conn:
        assert not await delivery.work_waiting(conn, delivery_now())
