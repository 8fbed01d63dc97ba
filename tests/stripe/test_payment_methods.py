"""Payment methods from Stripe's test tokens: create, attach, detach, list, allow_redisplay."""

from __future__ import annotations

import pytest

import stripe
from tests.stripe.conftest import StripeWorld, body


async def test_attaching_a_test_token_id_attaches_a_new_card(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    method = world.client.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer.id}
    )
    data = body(method)
    assert data["object"] == "payment_method"
    assert data["id"].startswith("pm_")
    assert data["id"] != "pm_card_visa"
    assert data["customer"] == customer.id
    assert data["card"]["brand"] == "visa"
    assert data["card"]["last4"] == "4242"
    assert data["allow_redisplay"] == "unspecified"


async def test_creates_from_a_card_token_and_attaches_later(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    method = world.client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_mastercard"}, "allow_redisplay": "always"}
    )
    assert method.customer is None
    assert method.card is not None and method.card.brand == "mastercard"
    attached = world.client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    assert attached.customer == customer.id
    assert attached.allow_redisplay == "always"


async def test_an_unknown_token_is_resource_missing(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.payment_methods.create(
            params={"type": "card", "card": {"token": "tok_nonsense"}}
        )
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "card[token]"


async def test_detaches_a_payment_method(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    method = world.client.v1.payment_methods.attach(
        "pm_card_amex", params={"customer": customer.id}
    )
    detached = world.client.v1.payment_methods.detach(method.id)
    assert detached.customer is None
    assert world.client.v1.customers.payment_methods.list(customer.id).data == []


async def test_lists_a_customers_methods_newest_first_filtered_by_allow_redisplay(
    world: StripeWorld,
) -> None:
    customer = world.client.v1.customers.create(params={})
    ids = []
    for token, redisplay in [("visa", "always"), ("mastercard", "limited"), ("amex", "always")]:
        method = world.client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"token": f"tok_{token}"},
                "allow_redisplay": redisplay,  # type: ignore[typeddict-item]
            }
        )
        world.client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
        ids.append(method.id)
    listed = world.client.v1.customers.payment_methods.list(customer.id)
    assert [m.id for m in listed.data] == ids[::-1]
    always = world.client.v1.customers.payment_methods.list(
        customer.id, params={"allow_redisplay": "always"}
    )
    assert [m.id for m in always.data] == [ids[2], ids[0]]


async def test_updates_allow_redisplay(world: StripeWorld) -> None:
    method = world.client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_visa"}}
    )
    updated = world.client.v1.payment_methods.update(
        method.id, params={"allow_redisplay": "always"}
    )
    assert updated.allow_redisplay == "always"


async def test_a_card_attached_elsewhere_cannot_be_attached_again(world: StripeWorld) -> None:
    first = world.client.v1.customers.create(params={})
    second = world.client.v1.customers.create(params={})
    method = world.client.v1.payment_methods.attach("pm_card_visa", params={"customer": first.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.payment_methods.attach(method.id, params={"customer": second.id})
    assert caught.value.code == "payment_method_unexpected_state"


async def test_listing_by_another_programs_customer_is_a_400_naming_customer(
    world: StripeWorld,
) -> None:
    theirs = await world.more_keys(program_id=await world.other_program())
    customer = world.client_for(theirs.secret_key).v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.payment_methods.list(params={"customer": customer.id})
    assert caught.value.http_status == 400
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "customer"


async def test_listing_by_a_customer_in_the_url_that_names_nothing_is_a_404_on_id(
    world: StripeWorld,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.payment_methods.list("cus_nothing")
    assert caught.value.http_status == 404
    assert caught.value.param == "id"
