"""Stripe events through stripe-python: what each change records, and GET /v1/events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import stripe
from tessera.store.tables import events
from tests.stripe.conftest import StripeWorld, body, error_body, http
from tests.stripe.schema import assert_stripe_schema
from tests.stripe.test_claim import claim, detach, payment_element, saved_cards, session_secret


def listed(world: StripeWorld, client: stripe.StripeClient | None = None, **params: Any) -> Any:
    """The events GET /v1/events answers (as sent), checked against Stripe's schema."""
    page = (client or world.client).v1.events.list(params=params)  # type: ignore[arg-type]
    for event in body(page)["data"]:
        assert_stripe_schema("event", event)
    return body(page)["data"]


def only(world: StripeWorld, type: str) -> Any:
    [event] = listed(world, type=type)
    return event


def customer(world: StripeWorld, **params: Any) -> stripe.Customer:
    return world.client.v1.customers.create(params={"name": "Ada", **params})


async def test_creating_a_customer_records_customer_created_with_the_customer(
    world: StripeWorld,
) -> None:
    created = customer(world, email="ada@example.com", metadata={"tier": "gold"})
    event = only(world, "customer.created")
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["data"] == {"object": body(world.client.v1.customers.retrieve(created.id))}
    assert (event["livemode"], event["api_version"]) == (False, "2026-09-30.endive")
    assert abs(event["created"] - body(created)["created"]) <= 1


async def test_an_update_records_only_the_changed_fields_with_their_previous_values(
    world: StripeWorld,
) -> None:
    created = customer(world, email="ada@example.com", metadata={"a": "1", "b": "2"})
    world.client.v1.customers.update(
        created.id,
        params={"email": "ada@example.org", "name": "Ada", "metadata": {"a": "", "c": "3"}},
    )
    event = only(world, "customer.updated")
    assert event["data"]["previous_attributes"] == {
        "email": "ada@example.com",
        "metadata": {"a": "1", "c": None},
    }
    assert event["data"]["object"]["email"] == "ada@example.org"


async def test_an_update_that_changes_nothing_records_no_event(world: StripeWorld) -> None:
    created = customer(world)
    world.client.v1.customers.update(created.id, params={"name": "Ada"})
    assert listed(world, type="customer.updated") == []


async def test_deleting_a_customer_records_the_customer_as_it_was(world: StripeWorld) -> None:
    created = customer(world, email="ada@example.com")
    world.client.v1.customers.delete(created.id)
    event = only(world, "customer.deleted")
    assert event["data"] == {"object": body(created)}


async def test_the_event_names_the_request_and_its_idempotency_key(world: StripeWorld) -> None:
    created = world.client.v1.customers.create(
        params={"name": "Ada"}, options={"idempotency_key": "signup-42"}
    )
    assert created.last_response is not None
    event = only(world, "customer.created")
    assert event["request"] == {
        "id": created.last_response.request_id,
        "idempotency_key": "signup-42",
    }


async def test_a_request_without_an_idempotency_key_has_none(world: StripeWorld) -> None:
    # stripe-python sends an Idempotency-Key with every POST: this request is made by hand.
    response = http(
        "POST",
        f"{world.url}/v1/customers",
        data={"name": "Ada"},
        headers={"Authorization": f"Bearer {world.keys.secret_key}"},
    )
    assert only(world, "customer.created")["request"] == {
        "id": response.headers["Request-Id"],
        "idempotency_key": None,
    }


async def test_a_replayed_request_records_no_second_event(world: StripeWorld) -> None:
    for _ in range(2):
        world.client.v1.customers.create(params={"name": "Ada"}, options={"idempotency_key": "k"})
    assert len(listed(world, type="customer.created")) == 1


async def test_a_refused_change_records_no_event(world: StripeWorld) -> None:
    created = customer(world)
    too_many = {f"k{n}": "v" for n in range(51)}
    with pytest.raises(stripe.InvalidRequestError):
        world.client.v1.customers.update(created.id, params={"metadata": too_many})
    assert listed(world, type="customer.updated") == []


async def test_attaching_a_payment_method_records_payment_method_attached(
    world: StripeWorld,
) -> None:
    owner = customer(world)
    method = world.client.v1.payment_methods.create(params={"card": {"token": "tok_visa"}})
    world.client.v1.payment_methods.attach(method.id, params={"customer": owner.id})
    event = only(world, "payment_method.attached")
    retrieved = world.client.v1.payment_methods.retrieve(method.id)
    assert event["data"] == {"object": body(retrieved)}
    assert event["data"]["object"]["customer"] == owner.id


async def test_a_payment_method_made_for_a_customer_is_attached(world: StripeWorld) -> None:
    owner = customer(world)
    method = world.client.v1.payment_methods.create(
        params={"card": {"token": "tok_visa"}, "customer": owner.id}
    )
    assert only(world, "payment_method.attached")["data"]["object"]["id"] == method.id


async def test_detaching_records_the_customer_it_was_detached_from(world: StripeWorld) -> None:
    owner = customer(world)
    method = world.client.v1.payment_methods.attach("pm_card_visa", params={"customer": owner.id})
    world.client.v1.payment_methods.detach(method.id)
    event = only(world, "payment_method.detached")
    assert event["data"]["object"]["customer"] is None
    assert event["data"]["previous_attributes"] == {"customer": owner.id}


async def test_a_removal_by_the_front_end_records_payment_method_detached(
    world: StripeWorld,
) -> None:
    owner = customer(world)
    [card] = saved_cards(world, owner.id, "always")
    features = payment_element(payment_method_redisplay="enabled", payment_method_remove="enabled")
    key = claim(world, session_secret(world, owner.id, features))["ephemeral_key"]["secret"]
    detach(world, key, card)
    event = only(world, "payment_method.detached")
    assert event["data"]["previous_attributes"] == {"customer": owner.id}
    assert event["request"]["id"].startswith("req_")


async def test_updating_a_payment_method_records_what_changed(world: StripeWorld) -> None:
    owner = customer(world)
    method = world.client.v1.payment_methods.attach("pm_card_visa", params={"customer": owner.id})
    world.client.v1.payment_methods.update(
        method.id, params={"allow_redisplay": "always", "metadata": {"nick": "work"}}
    )
    event = only(world, "payment_method.updated")
    assert event["data"]["previous_attributes"] == {
        "allow_redisplay": "unspecified",
        "metadata": {"nick": None},
    }


async def test_events_are_listed_newest_first_with_cursors(world: StripeWorld) -> None:
    ids = [customer(world).id for _ in range(3)]
    first = listed(world, limit=2)
    second = listed(world, limit=2, starting_after=first[-1]["id"])
    back = listed(world, ending_before=second[0]["id"])
    by_customer = [e["data"]["object"]["id"] for e in first + second]
    assert by_customer == [ids[2], ids[1], ids[0]]
    assert [e["id"] for e in back] == [e["id"] for e in first]


async def test_a_list_has_more_when_a_page_does_not_hold_every_event(world: StripeWorld) -> None:
    for _ in range(2):
        customer(world)
    page = world.client.v1.events.list(params={"limit": 1})
    assert (len(page.data), page.has_more) == (1, True)
    assert body(page)["url"] == "/v1/events"


async def test_the_type_filter_takes_a_wildcard(world: StripeWorld) -> None:
    created = customer(world)
    world.client.v1.customers.update(created.id, params={"name": "Bea"})
    world.client.v1.payment_methods.attach("pm_card_visa", params={"customer": created.id})
    assert [e["type"] for e in listed(world, type="customer.*")] == [
        "customer.updated",
        "customer.created",
    ]


async def test_the_types_filter_takes_several_types(world: StripeWorld) -> None:
    created = customer(world)
    world.client.v1.customers.update(created.id, params={"name": "Bea"})
    world.client.v1.payment_methods.attach("pm_card_visa", params={"customer": created.id})
    found = listed(world, types=["customer.created", "payment_method.attached"])
    assert [e["type"] for e in found] == ["payment_method.attached", "customer.created"]


async def test_type_and_types_together_are_refused(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        listed(world, type="customer.created", types=["customer.updated"])
    error = error_body(refused.value)
    assert (error["code"], error["param"]) == ("parameters_exclusive", "types")


async def test_the_created_filter_takes_a_range(world: StripeWorld) -> None:
    customer(world)
    [event] = listed(world)
    at = event["created"]
    assert [e["id"] for e in listed(world, created={"gte": at, "lte": at})] == [event["id"]]
    assert listed(world, created={"gt": at}) == []
    assert listed(world, created={"lt": at}) == []
    assert [e["id"] for e in listed(world, created=at)] == [event["id"]]


async def test_a_timestamp_beyond_any_date_is_refused_naming_it(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        listed(world, created={"gt": 10**17})
    assert error_body(refused.value)["param"] == "created[gt]"


async def test_delivery_success_is_refused_by_name(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        listed(world, delivery_success=True)
    assert error_body(refused.value)["param"] == "delivery_success"


async def test_an_event_is_retrieved_by_its_id(world: StripeWorld) -> None:
    customer(world)
    [event] = listed(world)
    retrieved = world.client.v1.events.retrieve(event["id"])
    assert_stripe_schema("event", body(retrieved))
    assert body(retrieved) == event


async def test_an_event_older_than_30_days_is_gone(world: StripeWorld) -> None:
    customer(world)
    [event] = listed(world)
    async with world.db.begin() as conn:
        await conn.execute(
            events.update()
            .where(events.c.public_id == event["id"])
            .values(created_at=events.c.created_at - timedelta(days=31))
        )
    assert listed(world) == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        world.client.v1.events.retrieve(event["id"])
    assert (missing.value.http_status, error_body(missing.value)["code"]) == (
        404,
        "resource_missing",
    )


async def test_a_test_key_never_sees_a_live_event(world: StripeWorld) -> None:
    live = world.client_for((await world.more_keys(livemode=True)).secret_key)
    live.v1.customers.create(params={"name": "Live"})
    [event] = listed(world, client=live)
    assert event["livemode"] is True
    assert listed(world) == []
    with pytest.raises(stripe.InvalidRequestError) as missing:
        world.client.v1.events.retrieve(event["id"])
    assert (missing.value.http_status, error_body(missing.value)["code"]) == (
        404,
        "resource_missing",
    )


async def test_pending_webhooks_counts_the_endpoints_not_reached_yet(world: StripeWorld) -> None:
    # A .invalid name never resolves: its delivery stays pending.
    endpoint = world.client.v1.webhook_endpoints.create(
        params={"url": "https://hooks.tessera.invalid/x", "enabled_events": ["customer.created"]}
    )
    customer(world)
    [event] = listed(world)
    world.client.v1.webhook_endpoints.delete(endpoint.id)
    [after] = listed(world)
    assert (event["pending_webhooks"], after["pending_webhooks"]) == (1, 0)


async def test_events_are_recorded_with_no_endpoint(world: StripeWorld) -> None:
    customer(world)
    async with world.db.connect() as conn:
        count = (
            await conn.execute(
                sa.select(sa.func.count())
                .select_from(events)
                .where(events.c.program_id == world.program_id)
            )
        ).scalar_one()
    assert count == 1 and listed(world)[0]["pending_webhooks"] == 0


async def test_a_restricted_key_needs_events_read(world: StripeWorld) -> None:
    reader = await world.more_keys(permissions=["customers:read"])
    response = http(
        "GET", f"{world.url}/v1/events", headers={"Authorization": f"Bearer {reader.secret_key}"}
    )
    assert response.status_code == 403
    assert "'events:read'" in response.json()["error"]["message"]
