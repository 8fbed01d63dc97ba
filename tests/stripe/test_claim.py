"""The client secret does real work: a publishable key claims it once and gets what the
front-end components need; removal works only when a component enables it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import stripe
from tessera.kit.clock import utcnow
from tessera.store.tables import stripe_customer_sessions
from tests.stripe.conftest import StripeWorld

CLAIM = "/v1/customer_sessions/claim"


def saved_cards(world: StripeWorld, customer: str, *redisplay: str) -> list[str]:
    """Attach one card per value, oldest first; returns their ids."""
    ids = []
    for value in redisplay:
        method = world.client.v1.payment_methods.create(
            params={"type": "card", "card": {"token": "tok_visa"}, "allow_redisplay": value}  # type: ignore[typeddict-item]
        )
        world.client.v1.payment_methods.attach(method.id, params={"customer": customer})
        ids.append(method.id)
    return ids


def session_secret(world: StripeWorld, customer: str, components: dict[str, Any]) -> str:
    session = world.client.v1.customer_sessions.create(
        params={"customer": customer, "components": components}  # type: ignore[typeddict-item]
    )
    return str(session.client_secret)


def claim(world: StripeWorld, secret: str) -> Any:
    front_end = world.client_for(world.keys.publishable_key)
    return front_end.raw_request("post", CLAIM, client_secret=secret).data


def payment_element(**features: Any) -> dict[str, Any]:
    return {"payment_element": {"enabled": True, "features": features}}


async def test_a_claim_returns_the_enabled_components_and_saved_methods(
    world: StripeWorld,
) -> None:
    customer = world.client.v1.customers.create(params={"email": "pat@example.com"}).id
    ids = saved_cards(world, customer, "always", "limited", "always")
    secret = session_secret(
        world,
        customer,
        {**payment_element(payment_method_redisplay="enabled"), "buy_button": {"enabled": True}},
    )
    claimed = claim(world, secret)
    assert claimed["object"] == "customer_session_claim"
    assert claimed["customer"]["id"] == customer
    assert set(claimed["components"]) == {"payment_element", "buy_button"}
    assert claimed["components"]["payment_element"]["payment_methods"] == [ids[2], ids[0]]
    assert [m["id"] for m in claimed["payment_methods"]] == [ids[2], ids[0]]
    assert claimed["ephemeral_key"]["secret"].startswith("ek_test_")


async def test_the_allow_redisplay_filters_choose_what_is_shown(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    ids = saved_cards(world, customer, "always", "limited", "unspecified")
    secret = session_secret(
        world,
        customer,
        payment_element(
            payment_method_redisplay="enabled",
            payment_method_allow_redisplay_filters=["limited", "unspecified"],
        ),
    )
    shown = claim(world, secret)["components"]["payment_element"]["payment_methods"]
    assert shown == [ids[2], ids[1]]


async def test_the_redisplay_limit_caps_what_is_shown(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    ids = saved_cards(world, customer, "always", "always", "always", "always")
    secret = session_secret(
        world,
        customer,
        payment_element(payment_method_redisplay="enabled", payment_method_redisplay_limit=2),
    )
    shown = claim(world, secret)["components"]["payment_element"]["payment_methods"]
    assert shown == [ids[3], ids[2]]


async def test_without_a_limit_the_payment_element_shows_three(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    saved_cards(world, customer, "always", "always", "always", "always")
    secret = session_secret(world, customer, payment_element(payment_method_redisplay="enabled"))
    assert len(claim(world, secret)["components"]["payment_element"]["payment_methods"]) == 3


async def test_redisplay_disabled_shows_no_saved_methods(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    saved_cards(world, customer, "always")
    secret = session_secret(world, customer, payment_element())
    claimed = claim(world, secret)
    assert claimed["components"]["payment_element"]["payment_methods"] == []
    assert claimed["payment_methods"] == []


async def test_a_second_claim_fails_clearly(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    secret = session_secret(world, customer, {"buy_button": {"enabled": True}})
    claim(world, secret)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        claim(world, secret)
    assert caught.value.code == "customer_session_already_claimed"
    assert "single-use" in caught.value.user_message


async def test_an_expired_secret_is_customer_session_expired(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    secret = session_secret(world, customer, {"buy_button": {"enabled": True}})
    async with world.db.begin() as conn:
        await conn.execute(
            sa.update(stripe_customer_sessions)
            .where(stripe_customer_sessions.c.program_id == world.program_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        claim(world, secret)
    assert caught.value.code == "customer_session_expired"


async def test_an_unknown_secret_is_resource_missing(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        claim(world, "cuss_secret_" + "0" * 48)
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "client_secret"


async def test_a_secret_key_cannot_claim(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    secret = session_secret(world, customer, {"buy_button": {"enabled": True}})
    with pytest.raises(stripe.AuthenticationError):
        world.client.raw_request("post", CLAIM, client_secret=secret)


async def test_another_programs_publishable_key_cannot_claim(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    secret = session_secret(world, customer, {"buy_button": {"enabled": True}})
    other = await world.more_keys(program_id=await world.other_program())
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client_for(other.publishable_key).raw_request("post", CLAIM, client_secret=secret)
    assert caught.value.code == "resource_missing"


def detach(world: StripeWorld, ephemeral_key: str, method: str) -> Any:
    front_end = world.client_for(world.keys.publishable_key)
    return front_end.raw_request(
        "post", f"{CLAIM}/payment_methods/{method}/detach", ephemeral_key=ephemeral_key
    ).data


async def test_removal_detaches_when_payment_method_remove_is_enabled(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    [card] = saved_cards(world, customer, "always")
    secret = session_secret(
        world,
        customer,
        payment_element(payment_method_redisplay="enabled", payment_method_remove="enabled"),
    )
    key = claim(world, secret)["ephemeral_key"]["secret"]
    detached = detach(world, key, card)
    assert detached["customer"] is None
    assert world.client.v1.customers.payment_methods.list(customer).data == []


async def test_removal_is_refused_when_no_component_enables_it(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    [card] = saved_cards(world, customer, "always")
    secret = session_secret(world, customer, payment_element(payment_method_redisplay="enabled"))
    key = claim(world, secret)["ephemeral_key"]["secret"]
    with pytest.raises(stripe.PermissionError):
        detach(world, key, card)
    assert len(world.client.v1.customers.payment_methods.list(customer).data) == 1


async def test_removal_cannot_reach_another_customers_card(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    stranger = world.client.v1.customers.create(params={}).id
    [their_card] = saved_cards(world, stranger, "always")
    secret = session_secret(world, customer, payment_element(payment_method_remove="enabled"))
    key = claim(world, secret)["ephemeral_key"]["secret"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        detach(world, key, their_card)
    assert caught.value.http_status == 404
    assert len(world.client.v1.customers.payment_methods.list(stranger).data) == 1


async def test_only_the_hash_of_the_client_secret_is_stored(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={}).id
    secret = session_secret(world, customer, {"buy_button": {"enabled": True}})
    async with world.db.connect() as conn:
        rows = (await conn.execute(sa.select(stripe_customer_sessions))).mappings().all()
    assert secret not in {str(v) for row in rows for v in row.values()}
