"""Stripe webhook deliveries from a real `tessera serve` to a real receiver on a loopback port,
each checked by stripe-python's ``stripe.Webhook.construct_event`` and stripe-node's
``stripe.webhooks.constructEvent``, unchanged."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import stripe
from tessera.api.stripe.webhook_format import stripe_signature
from tessera.store.tables import events, webhook_deliveries, webhook_endpoints
from tests.stripe.conftest import StripeWorld, body, run_node
from tests.webhooks.receiver import Received, Receiver, running_receiver

FLOW = [
    "customer.created",
    "customer.updated",
    "payment_method.attached",
    "payment_method.updated",
    "payment_method.detached",
    "customer.deleted",
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def listen(
    world: StripeWorld,
    receiver: Receiver,
    enabled: list[str] | None = None,
    client: stripe.StripeClient | None = None,
) -> stripe.WebhookEndpoint:
    return (client or world.client).v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": enabled or ["*"]}
    )


def customer_flow(world: StripeWorld, name: str) -> str:
    """One customer's life: every event type Tessera records, in this order (FLOW)."""
    client = world.client.v1
    customer = client.customers.create(
        params={"name": name}, options={"idempotency_key": f"{name}-signup"}
    )
    client.customers.update(customer.id, params={"name": f"{name} Lovelace"})
    method = client.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.payment_methods.update(method.id, params={"allow_redisplay": "always"})
    client.payment_methods.detach(method.id)
    client.customers.delete(customer.id)
    return customer.id


def events_of(received: list[Received]) -> list[dict[str, Any]]:
    """The events received, each once (the first copy of any delivered twice)."""
    seen: dict[str, dict[str, Any]] = {}
    for request in received:
        event = json.loads(request.body)
        seen.setdefault(event["id"], event)
    return list(seen.values())


def wait_for_events(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = events_of(receiver.wait_for(1))
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} events, got {len(events_of(receiver.requests))}")


def subject_of(event: dict[str, Any]) -> str:
    obj = event["data"]["object"]
    if obj["object"] == "customer":
        return str(obj["id"])
    return str(obj["customer"] or event["data"]["previous_attributes"]["customer"])


async def test_every_event_of_a_customer_arrives_once_in_order(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    listen(hooks_world, receiver)
    customer_flow(hooks_world, "Ada")
    delivered = wait_for_events(receiver, len(FLOW))
    recorded = [e.id for e in hooks_world.client.v1.events.list().data][::-1]
    assert [e["type"] for e in delivered] == FLOW
    assert [e["id"] for e in delivered] == recorded


async def test_two_customers_events_each_arrive_in_their_order(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    listen(hooks_world, receiver)
    ada, bea = customer_flow(hooks_world, "Ada"), customer_flow(hooks_world, "Bea")
    delivered = wait_for_events(receiver, 2 * len(FLOW))
    for customer in (ada, bea):
        assert [e["type"] for e in delivered if subject_of(e) == customer] == FLOW


async def test_stripe_python_verifies_every_delivery(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    secret = listen(hooks_world, receiver).secret
    customer_flow(hooks_world, "Ada")
    wait_for_events(receiver, len(FLOW))
    for request in receiver.requests:
        signature = request.headers["stripe-signature"]
        event = stripe.Webhook.construct_event(request.body, signature, secret)
        assert event.id == json.loads(request.body)["id"]


async def test_stripe_node_verifies_every_delivery(
    hooks_world: StripeWorld, receiver: Receiver, node_project: Path
) -> None:
    secret = listen(hooks_world, receiver).secret
    customer_flow(hooks_world, "Ada")
    wait_for_events(receiver, len(FLOW))
    deliveries = [
        {"body": r.body.decode(), "signature": r.headers["stripe-signature"]}
        for r in receiver.requests
    ]
    verified = run_node(
        node_project,
        "verify_webhooks.js",
        stdin=json.dumps({"secret": secret, "deliveries": deliveries}),
    )
    assert [v.get("id") for v in verified] == [json.loads(d["body"])["id"] for d in deliveries]


def both_checks(project: Path, payload: str, signature: str, secret: str) -> list[str]:
    """Why stripe-python and stripe-node each refuse the delivery ("" where one accepts)."""
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        python = ""
    except stripe.SignatureVerificationError as refused:
        python = str(refused)
    [node] = run_node(
        project,
        "verify_webhooks.js",
        stdin=json.dumps(
            {"secret": secret, "deliveries": [{"body": payload, "signature": signature}]}
        ),
    )
    return [python, node.get("error", "")]


async def test_a_tampered_body_fails_both_checks(
    hooks_world: StripeWorld, receiver: Receiver, node_project: Path
) -> None:
    secret = listen(hooks_world, receiver).secret
    hooks_world.client.v1.customers.create(params={"email": "ada@example.com"})
    [request] = receiver.wait_for(1)
    tampered = request.body.decode().replace("ada@example.com", "eve@example.com")
    assert tampered != request.body.decode()
    python, node = both_checks(node_project, tampered, request.headers["stripe-signature"], secret)
    assert "No signatures found matching the expected signature" in python
    assert "No signatures found matching the expected signature" in node


async def test_a_signature_older_than_the_tolerance_fails_both_checks(
    hooks_world: StripeWorld, receiver: Receiver, node_project: Path
) -> None:
    secret = listen(hooks_world, receiver).secret
    hooks_world.client.v1.customers.create(params={"name": "Ada"})
    [request] = receiver.wait_for(1)
    # Tessera's signature of this very body, as the format makes it, but 301 s ago.
    old = stripe_signature(secret.encode(), request.body, int(time.time()) - 301)
    fresh = stripe_signature(secret.encode(), request.body, int(time.time()))
    assert both_checks(node_project, request.body.decode(), fresh, secret) == ["", ""]
    python, node = both_checks(node_project, request.body.decode(), old, secret)
    assert "Timestamp outside the tolerance zone" in python
    assert "Timestamp outside the tolerance zone" in node


async def test_a_delivered_update_carries_its_previous_attributes(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    listen(hooks_world, receiver, ["customer.updated"])
    customer = hooks_world.client.v1.customers.create(
        params={"name": "Ada", "email": "ada@example.com"}
    )
    hooks_world.client.v1.customers.update(customer.id, params={"name": "Ada L."})
    [event] = wait_for_events(receiver, 1)
    assert event["data"]["previous_attributes"] == {"name": "Ada"}
    assert event["data"]["object"]["name"] == "Ada L."


async def test_a_delivered_event_names_its_request_and_idempotency_key(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    listen(hooks_world, receiver)
    customer = hooks_world.client.v1.customers.create(
        params={"name": "Ada"}, options={"idempotency_key": "signup-ada"}
    )
    assert customer.last_response is not None
    [event] = wait_for_events(receiver, 1)
    assert event["request"] == {
        "id": customer.last_response.request_id,
        "idempotency_key": "signup-ada",
    }


async def test_pending_webhooks_is_this_endpoint_until_it_answers(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    listen(hooks_world, receiver)
    hooks_world.client.v1.customers.create(params={"name": "Ada"})
    [delivered] = wait_for_events(receiver, 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        [event] = body(hooks_world.client.v1.events.list())["data"]
        if event["pending_webhooks"] == 0:
            break
        await asyncio.sleep(0.05)
    assert (delivered["pending_webhooks"], event["pending_webhooks"]) == (1, 0)


async def test_an_endpoint_hears_only_its_enabled_events(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    endpoint = listen(hooks_world, receiver, ["payment_method.attached"])
    customer_flow(hooks_world, "Ada")
    [event] = wait_for_events(receiver, 1)
    await all_fanned_out(hooks_world)
    assert event["type"] == "payment_method.attached"
    assert await _deliveries_to(hooks_world, endpoint.id) == 1


async def all_fanned_out(world: StripeWorld) -> None:
    """Until the worker has made the deliveries of every event of the world's program."""
    for _ in range(200):
        async with world.db.connect() as conn:
            waiting = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(events)
                    .where(events.c.program_id == world.program_id, events.c.fanned_out.is_(False))
                )
            ).scalar_one()
        if not waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the events were not fanned out within 10 s")


async def _deliveries_to(world: StripeWorld, endpoint_id: str) -> int:
    async with world.db.connect() as conn:
        return int(
            (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(webhook_deliveries)
                    .join(
                        webhook_endpoints,
                        webhook_endpoints.c.id == webhook_deliveries.c.endpoint_id,
                    )
                    .where(webhook_endpoints.c.public_id == endpoint_id)
                )
            ).scalar_one()
        )


async def test_a_live_endpoint_never_receives_a_test_event(hooks_world: StripeWorld) -> None:
    live = hooks_world.client_for((await hooks_world.more_keys(livemode=True)).secret_key)
    with running_receiver() as test_receiver, running_receiver() as live_receiver:
        listen(hooks_world, test_receiver)
        live_endpoint = listen(hooks_world, live_receiver, client=live)
        customer_flow(hooks_world, "Ada")
        wait_for_events(test_receiver, len(FLOW))
        await all_fanned_out(hooks_world)
        assert live_receiver.requests == []
    assert await _deliveries_to(hooks_world, live_endpoint.id) == 0


async def test_a_disabled_endpoint_receives_nothing(
    hooks_world: StripeWorld, receiver: Receiver
) -> None:
    with running_receiver() as other:
        disabled = listen(hooks_world, other)
        hooks_world.client.v1.webhook_endpoints.update(disabled.id, params={"disabled": True})
        listen(hooks_world, receiver)
        hooks_world.client.v1.customers.create(params={"name": "Ada"})
        wait_for_events(receiver, 1)
        await all_fanned_out(hooks_world)
        assert other.requests == []
    assert await _deliveries_to(hooks_world, disabled.id) == 0
