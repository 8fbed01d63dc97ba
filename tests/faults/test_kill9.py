"""kill -9 of every process of `tessera serve --workers 2` under load, on each write path: after
a restart, every write the server acknowledged is stored, and nothing is half-written.

Each test loads one path with concurrent clients against a real server process, sends SIGKILL
to the supervisor and both workers at once while requests are in flight, then reads the
database and serves again on it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.auth.stripe_keys import create_stripe_keys
from tessera.kit.secrets import hash_secret
from tessera.store.tables import (
    claimed_rewards,
    customers,
    ledger_entries,
    stripe_customer_sessions,
    stripe_customers,
    stripe_idempotency,
    webview_sessions,
)
from tests.conftest import LiveServer
from tests.factories import Tenant, make_customer
from tests.headless.helpers import PREFIX, demo_tenant

CLIENTS = 16
LOAD_SECONDS = 1.0
MIN_ACKNOWLEDGED = 20
START_POINTS = 10_000_000
UNLIMITED = "1000000/second"


@dataclass
class World:
    tenant: Tenant
    stripe_key: str
    stripe_customer: str


@dataclass
class Acknowledged:
    """What the server answered 2xx to, by the id or secret its answer carried."""

    ids: set[str]
    # (Idempotency-Key, form body, id answered) of Stripe requests, to replay after the restart.
    replays: list[tuple[str, str, str]]


Send = Callable[[httpx.AsyncClient, World, int], Awaitable[tuple[str, str, str] | str | None]]


def processes_of(server: LiveServer) -> list[int]:
    """The server's supervisor and every process it started (its workers)."""
    found = [server.process.pid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server.process.pid:
            found.append(int(entry.name))
    return found


def kill_every_process(server: LiveServer) -> None:
    pids = processes_of(server)
    assert len(pids) >= 3, "expected a supervisor and two workers"
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)


async def load_until_killed(server: LiveServer, world: World, send: Send) -> Acknowledged:
    acknowledged = Acknowledged(ids=set(), replays=[])
    numbers = itertools.count()
    killed = asyncio.Event()
    enough = asyncio.Event()  # MIN_ACKNOWLEDGED writes were acknowledged

    async def client() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            while not killed.is_set():
                try:
                    outcome = await send(http, world, next(numbers))
                except httpx.HTTPError:
                    continue  # no answer, so nothing was promised
                if isinstance(outcome, tuple):
                    acknowledged.replays.append(outcome)
                    acknowledged.ids.add(outcome[2])
                elif outcome is not None:
                    acknowledged.ids.add(outcome)
                if len(acknowledged.ids) >= MIN_ACKNOWLEDGED:
                    enough.set()

    clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
    # Kill mid-load: after LOAD_SECONDS and once some writes were acknowledged (a busy machine
    # may take a while to answer the first ones).
    await asyncio.sleep(LOAD_SECONDS)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(enough.wait(), timeout=20)
    await asyncio.to_thread(kill_every_process, server)
    killed.set()
    await asyncio.gather(*clients)
    assert len(acknowledged.ids) >= MIN_ACKNOWLEDGED, "the load barely ran before the kill"
    return acknowledged


def json_headers(tenant: Tenant) -> dict[str, str]:
    return {**tenant.auth, "Content-Type": "application/json"}


def stripe_headers(world: World, idempotency_key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {world.stripe_key}",
        "Idempotency-Key": idempotency_key,
        "Content-Type": "application/x-www-form-urlencoded",
    }


# --- the write paths: one request, and what it acknowledged -------------------------------


async def send_webview_session(http: httpx.AsyncClient, world: World, n: int) -> str | None:
    body = {"channel": "app", "customer": {"merchant_id": f"wv-{n}", "email": f"wv{n}@x.example"}}
    response = await http.post(
        f"/v2/sites/{world.tenant.site.id}/webviews/sessions",
        json=body,
        headers=json_headers(world.tenant),
    )
    if response.status_code != 201:
        return None
    return hash_secret(response.json()["webview_session"]["url"].rsplit("/", 1)[1])


async def send_headless_session(http: httpx.AsyncClient, world: World, n: int) -> str | None:
    response = await http.post(
        f"{PREFIX}/{world.tenant.site.id}/customers/hl-{n}/sessions?channel=web",
        json={"customer": {"email": f"hl{n}@x.example"}},
        headers=json_headers(world.tenant),
    )
    if response.status_code != 200:
        return None
    merchant_id: str = response.json()["customer"]["merchant_id"]
    return merchant_id


async def send_redemption(http: httpx.AsyncClient, world: World, n: int) -> str | None:
    response = await http.post(
        f"{PREFIX}/{world.tenant.site.id}/rewards/cart_discount_voucher/redeem?channel=web",
        json={"reward_id": 1, "customer_merchant_id": "rich"},
        headers=json_headers(world.tenant),
    )
    if response.status_code != 201:
        return None
    return str(response.json()["claimed_reward"]["id"])


async def send_stripe_customer(
    http: httpx.AsyncClient, world: World, n: int
) -> tuple[str, str, str] | None:
    key, form = f"k9-cus-{n}", f"email=c{n}%40x.example"
    response = await http.post("/v1/customers", content=form, headers=stripe_headers(world, key))
    if response.status_code != 200:
        return None
    return key, form, response.json()["id"]


async def send_stripe_customer_session(
    http: httpx.AsyncClient, world: World, n: int
) -> tuple[str, str, str] | None:
    key = f"k9-cs-{n}"
    form = f"customer={world.stripe_customer}&components[pricing_table][enabled]=true"
    response = await http.post(
        "/v1/customer_sessions", content=form, headers=stripe_headers(world, key)
    )
    if response.status_code != 200:
        return None
    return key, form, response.json()["client_secret"]


# --- what is stored ---------------------------------------------------------------------------


async def stored_webview_sessions(conn: AsyncConnection, world: World) -> set[str]:
    table = webview_sessions
    query = sa.select(table.c.token_hash).where(table.c.program_id == world.tenant.program_id)
    return set((await conn.execute(query)).scalars())


async def stored_headless_customers(conn: AsyncConnection, world: World) -> set[str]:
    query = sa.select(customers.c.merchant_id).where(
        customers.c.program_id == world.tenant.program_id, customers.c.merchant_id.like("hl-%")
    )
    return set((await conn.execute(query)).scalars())


async def stored_claims(conn: AsyncConnection, world: World) -> set[str]:
    query = sa.select(claimed_rewards.c.id).where(
        claimed_rewards.c.program_id == world.tenant.program_id
    )
    return {str(claim) for claim in (await conn.execute(query)).scalars()}


async def stored_stripe_customers(conn: AsyncConnection, world: World) -> set[str]:
    query = sa.select(stripe_customers.c.public_id).where(
        stripe_customers.c.program_id == world.tenant.program_id
    )
    return set((await conn.execute(query)).scalars())


async def stored_customer_sessions(conn: AsyncConnection, world: World) -> set[str]:
    query = sa.select(stripe_customer_sessions.c.secret_hash).where(
        stripe_customer_sessions.c.program_id == world.tenant.program_id
    )
    return set((await conn.execute(query)).scalars())


# --- nothing half-written -----------------------------------------------------------------


async def every_new_customer_joined_once(conn: AsyncConnection, world: World) -> None:
    """A headless session for a new id enrols the customer and pays join_program, together."""
    joins = (
        sa.select(sa.func.count())
        .select_from(ledger_entries)
        .where(
            ledger_entries.c.customer_id == customers.c.id,
            ledger_entries.c.kind == "earned_points_from_rule",
        )
        .scalar_subquery()
    )
    query = sa.select(customers.c.merchant_id, customers.c.state, joins).where(
        customers.c.program_id == world.tenant.program_id, customers.c.merchant_id.like("hl-%")
    )
    for merchant_id, state, join_entries in (await conn.execute(query)).all():
        assert (state, join_entries) == ("enrolled", 1), merchant_id


async def every_claim_spent_its_points(conn: AsyncConnection, world: World) -> None:
    """Each stored claim has exactly one debit, and no debit lacks its claim."""
    claims = await stored_claims(conn, world)
    query = sa.select(ledger_entries.c.claimed_reward_id).where(
        ledger_entries.c.program_id == world.tenant.program_id, ledger_entries.c.points < 0
    )
    debited = [str(claim) for claim in (await conn.execute(query)).scalars()]
    assert sorted(debited) == sorted(claims)


async def every_idempotency_record_is_whole(conn: AsyncConnection, world: World) -> None:
    """An Idempotency-Key is stored with its answer or not at all: none left in flight."""
    query = sa.select(stripe_idempotency.c.state, stripe_idempotency.c.body).where(
        stripe_idempotency.c.program_id == world.tenant.program_id
    )
    for state, body in (await conn.execute(query)).all():
        assert (state, body is None) == ("done", False)


async def nothing_more(conn: AsyncConnection, world: World) -> None:
    """A single-row write is whole or absent."""


@dataclass(frozen=True)
class WritePath:
    name: str
    send: Send
    stored: Callable[[AsyncConnection, World], Awaitable[set[str]]]
    whole: Callable[[AsyncConnection, World], Awaitable[None]]
    # How an acknowledged id is stored (a client secret only as its hash).
    as_stored: Callable[[str], str] = str


PATHS = [
    WritePath("webview_session", send_webview_session, stored_webview_sessions, nothing_more),
    WritePath(
        "headless_session_new_customer",
        send_headless_session,
        stored_headless_customers,
        every_new_customer_joined_once,
    ),
    WritePath("headless_redemption", send_redemption, stored_claims, every_claim_spent_its_points),
    WritePath(
        "stripe_customer",
        send_stripe_customer,  # type: ignore[arg-type]
        stored_stripe_customers,
        every_idempotency_record_is_whole,
    ),
    WritePath(
        "stripe_customer_session",
        send_stripe_customer_session,  # type: ignore[arg-type]
        stored_customer_sessions,
        every_idempotency_record_is_whole,
        as_stored=hash_secret,
    ),
]


async def make_world(db: AsyncEngine, server_url: str) -> World:
    tenant = await demo_tenant(db, rate_limit=UNLIMITED)
    await make_customer(db, tenant, "rich", points=START_POINTS)
    async with db.begin() as conn:
        keys = await create_stripe_keys(conn, tenant.program_id, rate_limit=UNLIMITED)
    async with httpx.AsyncClient(base_url=server_url) as http:
        response = await http.post(
            "/v1/customers",
            content="email=shopper%40x.example",
            headers={
                "Authorization": f"Bearer {keys.secret_key}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
    assert response.status_code == 200, response.text
    return World(tenant=tenant, stripe_key=keys.secret_key, stripe_customer=response.json()["id"])


async def replays_answer_the_same(
    server: LiveServer, world: World, replays: list[tuple[str, str, str]]
) -> None:
    """After the restart an acknowledged Stripe request, retried with its Idempotency-Key,
    gets the answer it got before the kill (its record survived with it)."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        for key, form, answered in replays[:10]:
            path = "/v1/customers" if key.startswith("k9-cus-") else "/v1/customer_sessions"
            response = await http.post(path, content=form, headers=stripe_headers(world, key))
            assert response.status_code == 200, response.text
            field = "id" if path == "/v1/customers" else "client_secret"
            assert response.json()[field] == answered


@pytest.mark.parametrize("path", PATHS, ids=[path.name for path in PATHS])
async def test_kill_9_of_every_worker_loses_no_acknowledged_write(
    path: WritePath, db: AsyncEngine, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(workers=2, env={"TESSERA_RATE_LIMIT_DEFAULT": UNLIMITED})
    world = await make_world(db, server.url)
    acknowledged = await load_until_killed(server, world, path.send)

    restarted = live_server(workers=2, env={"TESSERA_RATE_LIMIT_DEFAULT": UNLIMITED})
    async with db.connect() as conn:
        stored = await path.stored(conn, world)
        missing = {path.as_stored(answered) for answered in acknowledged.ids} - stored
        assert not missing, f"{len(missing)} of {len(acknowledged.ids)} acknowledged writes lost"
        await path.whole(conn, world)
    await replays_answer_the_same(restarted, world, acknowledged.replays)
