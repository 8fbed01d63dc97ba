"""Every string the Stripe dialect stores holds what the contract (and Stripe's documented
metadata limits) allow, on both databases, and one character more is a 400 naming the param."""

from __future__ import annotations

from typing import Any

import pytest

import stripe
from tests.stripe.conftest import StripeWorld, body, error_body

SESSION = {"components": {"buy_button": {"enabled": True}}}


def at_most(length: int) -> str:
    return "x" * length


def email(length: int) -> str:
    return "x" * (length - len("@example.com")) + "@example.com"


def full_metadata() -> dict[str, str]:
    return {f"{i:02d}".ljust(40, "k"): at_most(500) for i in range(50)}


def customer_at_the_limits() -> dict[str, Any]:
    return {
        "name": at_most(256),
        "email": email(512),
        "description": at_most(5000),
        "phone": at_most(20),
        "metadata": full_metadata(),
    }


async def test_every_stored_string_holds_the_contracts_maximum(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params=customer_at_the_limits())  # type: ignore[arg-type]
    stored = world.client.v1.customers.retrieve(customer.id)
    assert stored.description == at_most(5000)
    assert body(stored)["metadata"] == full_metadata()
    session = world.client.v1.customer_sessions.create(
        params={"customer": customer.id, "customer_account": at_most(5000), **SESSION}  # type: ignore[typeddict-item]
    )
    assert session.client_secret
    method = world.client.v1.payment_methods.create(
        params={  # type: ignore[typeddict-item]
            "type": "card",
            "card": {"token": "tok_visa"},
            "billing_details": {"name": at_most(5000), "email": email(5000)},
            "metadata": full_metadata(),
        }
    )
    assert method.billing_details.name == at_most(5000)


def over(field: str) -> dict[str, Any]:
    params = customer_at_the_limits()
    if field == "metadata":
        params["metadata"] = {**full_metadata(), "one_more": "x"}
    elif field.startswith("metadata["):
        key = field[len("metadata[") : -1]
        params["metadata"] = {key: at_most(501)} if len(key) <= 40 else {key: "x"}
    elif field == "email":
        params["email"] = email(513)
    else:
        params[field] = at_most(len(params[field]) + 1)
    return params


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "email",
        "description",
        "phone",
        "metadata",
        "metadata[long]",
        f"metadata[{'k' * 41}]",
    ],
)
async def test_a_customer_string_one_over_the_maximum_is_refused_by_name(
    world: StripeWorld, field: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.create(params=over(field))  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert error_body(caught.value)["param"] == field


async def test_a_customer_account_one_over_the_maximum_is_refused_by_name(
    world: StripeWorld,
) -> None:
    customer = world.client.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customer_sessions.create(
            params={"customer": customer.id, "customer_account": at_most(5001), **SESSION}  # type: ignore[typeddict-item]
        )
    assert error_body(caught.value)["param"] == "customer_account"


@pytest.mark.parametrize("field", ["metadata[long]", "billing_details[name]"])
async def test_a_payment_method_string_one_over_the_maximum_is_refused_by_name(
    world: StripeWorld, field: str
) -> None:
    params: dict[str, Any] = {"type": "card", "card": {"token": "tok_visa"}}
    if field == "metadata[long]":
        params["metadata"] = {"long": at_most(501)}
    else:
        params["billing_details"] = {"name": at_most(5001)}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.payment_methods.create(params=params)  # type: ignore[arg-type]
    assert error_body(caught.value)["param"] == field
