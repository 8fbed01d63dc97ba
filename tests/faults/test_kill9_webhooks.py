"""kill -9 of `tessera serve --workers 2` while Stripe customers are created and their events
posted: after a restart, every customer the server acknowledged reaches the receiver as a
signed ``customer.created`` event. Events live in the outbox row written with the customer, so
a kill between the commit and the post (or in the middle of a post) loses none."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

import stripe
from tessera.auth.stripe_keys import create_stripe_keys
from tests.conftest import LiveServer, start_live_server
from tests.factories import make_tenant
from tests.faults.test_kill9 import World, load_until_killed
from tests.faults.test_kill9 import send_stripe_customer as send_customer
from tests.webhooks.receiver import Receiver, running_receiver

ENV = {
    "TESSERA_WEBHOOKS_ALLOW_PRIVATE": "true",
    "TESSERA_WEBHOOKS_INTERVAL": "0.05",
    "TESSERA_WEBHOOKS_RETRY_BASE": "0.1",
    "TESSERA_RATE_LIMIT_DEFAULT": "1000000/second",
}


def register_endpoint(server: LiveServer, key: str, url: str) -> str:
    """A Stripe webhook endpoint for customer.created; its whsec_ secret."""
    response = httpx.post(
        f"{server.url}/v1/webhook_endpoints",
        content=urlencode({"url": url, "enabled_events[]": "customer.created"}),
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 200, response.text
    secret: str = response.json()["secret"]
    return secret


async def test_every_acknowledged_customer_is_announced_after_a_kill_9(
    db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        keys = await create_stripe_keys(conn, tenant.program_id)
    world = World(tenant=tenant, stripe_key=keys.secret_key, stripe_customer="")
    with running_receiver() as receiver:
        receiver.delay = 0.02  # some posts are in flight at the kill
        server = start_live_server(database_url, tmp_path, workers=2, env=ENV)
        try:
            secret = register_endpoint(server, keys.secret_key, receiver.url)
            acknowledged = await load_until_killed(server, world, send_customer)
        finally:
            server.stop()
        restarted = start_live_server(database_url, tmp_path, workers=2, env=ENV)
        try:
            announced = await asyncio.to_thread(
                wait_for_customers, receiver, acknowledged.ids, secret
            )
        finally:
            restarted.stop()
    assert acknowledged.ids <= announced


def wait_for_customers(receiver: Receiver, expected: set[str], secret: str) -> set[str]:
    """The customers announced, once every expected one was (or 60 s passed); each delivery
    checked with stripe-python's own signature check."""
    deadline = time.monotonic() + 60
    announced: set[str] = set()
    while time.monotonic() < deadline:
        with receiver.lock:
            requests = list(receiver.requests)
        announced = set()
        for request in requests:
            event = stripe.Webhook.construct_event(
                request.body, request.headers["stripe-signature"], secret
            )
            assert event["type"] == "customer.created"
            announced.add(msgspec.json.decode(request.body)["data"]["object"]["id"])
        if expected <= announced:
            return announced
        time.sleep(0.2)
    return announced
