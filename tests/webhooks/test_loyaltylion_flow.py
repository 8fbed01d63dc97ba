"""A scripted flow through every API an integration calls (enrolment, orders, a tier change,
redemption, a rule completion, a referral, an unsubscribe), with a webhook for every topic
Tessera sends: what the receiver gets, on both databases."""

from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa

from tessera.loyalty import program_events as topics
from tessera.store.tables import events

from .loyaltylion import Hooks, hooks_fixture, signed_by, subject_of  # noqa: F401


async def scripted_flow(hooks: Hooks) -> None:
    await hooks.session("ada")  # enrolment: joined, 100 points
    await hooks.order("o1", "ada", "95.00")  # 950 points: Silver
    await hooks.admin("POST", "/v2/customers/ada/claimed_rewards", 201, json={"reward_id": 1})
    await hooks.headless(
        "/rules/clickthrough/complete", {"customer_merchant_id": "ada", "rule_id": 4}
    )
    code = (await hooks.admin("GET", "/v2/customers", 200))["customers"][0]["referral_id"]
    await hooks.headless(
        "/referrals/referee_incentive",
        {"referral_id": code, "referee_email": "bob@example.com", "ip_address": "203.0.113.9"}
        | {"user_agent": None},
    )
    await hooks.order("o2", "bob", "20.00", referral_id=code)  # bob joins; ada's referral
    await hooks.admin(
        "POST", "/v2/loyalty_emails/unsubscribes", 201, json={"email": "bob@example.com"}
    )


async def test_every_event_of_the_flow_arrives_signed_with_the_site_secret(hooks: Hooks) -> None:
    await hooks.register()

    await scripted_flow(hooks)
    await hooks.deliver()

    assert len(hooks.receiver.requests) > 10
    assert all(signed_by(request, hooks.tenant.site_secret) for request in hooks.receiver.requests)
    assert not any(signed_by(request, "another secret") for request in hooks.receiver.requests)


async def test_each_webhook_hears_a_customers_events_in_the_order_they_happened(
    hooks: Hooks,
) -> None:
    # A webhook is one topic: each at an address of its own, to tell them apart.
    for topic in topics.SENT:
        body = {"webhook": {"topic": topic, "address": f"{hooks.receiver.url}?topic={topic}"}}
        await hooks.admin("POST", "/v2/webhooks", 201, json=body)

    await scripted_flow(hooks)
    await hooks.deliver()

    async with hooks.worker.tessera.engine.connect() as conn:
        ids = (await conn.execute(sa.select(events.c.public_id).order_by(events.c.id))).scalars()
        happened = {public_id: place for place, public_id in enumerate(ids)}
    heard: dict[tuple[str, str], list[int]] = defaultdict(list)
    for request in hooks.receiver.requests:
        event = json.loads(request.body)
        places = heard[request.path, subject_of(event)]
        if happened[event["id"]] not in places:
            places.append(happened[event["id"]])
    assert len(heard) == 12  # (webhook, customer) pairs
    assert all(places == sorted(places) for places in heard.values()), heard
    updates = [e["customer"] for e in await hooks.of(topics.CUSTOMERS_UPDATE)]
    # One update per request that changed ada, showing her as it left her.
    assert [c["points_approved"] for c in updates if c["merchant_id"] == "ada"] == [
        100,  # joined
        1050,  # the order
        550,  # the voucher
        575,  # the clickthrough rule
        1075,  # the referral
    ]


async def test_each_event_arrives_once_after_dropping_duplicates_by_id(hooks: Hooks) -> None:
    await hooks.register(topics.CUSTOMERS_UPDATE, topics.POINTS_EARNED)
    hooks.receiver.script = [500, 200, 503]  # failed attempts are retried with the same id

    await scripted_flow(hooks)

    delivered = await hooks.events()
    async with hooks.worker.tessera.engine.connect() as conn:
        recorded = list((await conn.execute(sa.select(events.c.public_id))).scalars())
    assert sorted(event["id"] for event in delivered) == sorted(recorded)
    assert len(hooks.receiver.requests) == len(recorded) + 2


async def test_an_events_id_and_topic_come_first_and_its_created_at_is_when_it_was_sent(
    hooks: Hooks,
) -> None:
    await hooks.register(topics.ENROLLED)

    await hooks.session("ada")
    await hooks.deliver()

    [request] = hooks.receiver.requests
    event = json.loads(request.body)
    assert list(event)[:4] == ["id", "topic", "created_at", "payload"]
    assert event["created_at"] >= event["payload"]["created_at"]
    assert event["id"] != event["payload"]["id"]
