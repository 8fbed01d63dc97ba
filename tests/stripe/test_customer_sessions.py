"""POST /v1/customer_sessions through stripe-python: the happy path and every error."""

from __future__ import annotations

from typing import Any

import pytest

import stripe
from tests.stripe.conftest import StripeWorld, body, error_body, http
from tests.stripe.schema import assert_stripe_schema

COMPONENTS = (
    "active_entitlements",
    "buy_button",
    "customer_portal",
    "customer_sheet",
    "mobile_payment_element",
    "payment_element",
    "pricing_table",
)


def customer_id(world: StripeWorld) -> str:
    return str(world.client.v1.customers.create(params={"email": "shopper@example.com"}).id)


def create(world: StripeWorld, **params: Any) -> Any:
    return world.client.v1.customer_sessions.create(params=params)  # type: ignore[arg-type]


def invalid(world: StripeWorld, **params: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create(world, **params)
    assert caught.value.http_status == 400
    error_body(caught.value)
    return caught.value


async def test_creates_a_customer_session_as_the_contract_describes(world: StripeWorld) -> None:
    customer = customer_id(world)
    session = create(world, customer=customer, components={"buy_button": {"enabled": True}})
    data = body(session)
    assert_stripe_schema("customer_session", data)
    assert data["object"] == "customer_session"
    assert data["customer"] == customer
    assert data["livemode"] is False
    assert data["expires_at"] == data["created"] + 30 * 60
    assert set(data["components"]) == set(COMPONENTS)
    assert data["components"]["buy_button"] == {"enabled": True}


async def test_the_client_secret_carries_at_least_128_bits(world: StripeWorld) -> None:
    session = create(
        world, customer=customer_id(world), components={"pricing_table": {"enabled": True}}
    )
    secret = session.client_secret
    assert secret.startswith("cuss_secret_")
    random_part = secret.removeprefix("cuss_secret_")
    assert len(random_part) * 4 >= 128  # hex
    assert int(random_part, 16) >= 0


async def test_fills_in_feature_defaults_for_every_component(world: StripeWorld) -> None:
    session = create(
        world,
        customer=customer_id(world),
        components={
            "payment_element": {
                "enabled": True,
                "features": {"payment_method_redisplay": "enabled"},
            },
            "customer_sheet": {"enabled": False},
        },
    )
    components = body(session)["components"]
    assert components["payment_element"]["features"] == {
        "payment_method_allow_redisplay_filters": ["always"],
        "payment_method_redisplay": "enabled",
        "payment_method_redisplay_limit": None,
        "payment_method_remove": "disabled",
        "payment_method_save": "disabled",
        "payment_method_save_usage": None,
    }
    assert components["customer_sheet"] == {
        "enabled": False,
        "features": {
            "payment_method_allow_redisplay_filters": ["always"],
            "payment_method_remove": "disabled",
        },
    }
    assert components["mobile_payment_element"] == {"enabled": False, "features": None}
    assert components["active_entitlements"] == {"enabled": False}


async def test_accepts_every_feature_of_every_component(world: StripeWorld) -> None:
    components = {
        "active_entitlements": {"enabled": True},
        "buy_button": {"enabled": True},
        "customer_portal": {"enabled": True},
        "pricing_table": {"enabled": True},
        "customer_sheet": {
            "enabled": True,
            "features": {
                "payment_method_allow_redisplay_filters": ["always", "limited"],
                "payment_method_remove": "enabled",
            },
        },
        "mobile_payment_element": {
            "enabled": True,
            "features": {
                "payment_method_allow_redisplay_filters": ["unspecified"],
                "payment_method_redisplay": "enabled",
                "payment_method_remove": "enabled",
                "payment_method_save": "enabled",
                "payment_method_save_allow_redisplay_override": "always",
            },
        },
        "payment_element": {
            "enabled": True,
            "features": {
                "payment_method_allow_redisplay_filters": ["always", "limited", "unspecified"],
                "payment_method_redisplay": "enabled",
                "payment_method_redisplay_limit": 10,
                "payment_method_remove": "enabled",
                "payment_method_save": "enabled",
                "payment_method_save_usage": "off_session",
            },
        },
    }
    session = create(world, customer=customer_id(world), components=components)
    data = body(session)
    assert_stripe_schema("customer_session", data)
    assert data["components"] == components


async def test_expands_the_customer_when_asked(world: StripeWorld) -> None:
    customer = customer_id(world)
    session = create(
        world,
        customer=customer,
        components={"buy_button": {"enabled": True}},
        expand=["customer"],
    )
    data = body(session)
    assert_stripe_schema("customer_session", data)
    assert data["customer"]["id"] == customer
    assert data["customer"]["object"] == "customer"
    assert_stripe_schema("customer", data["customer"])


async def test_accepts_a_customer_account_beside_the_customer(world: StripeWorld) -> None:
    session = create(
        world,
        customer=customer_id(world),
        customer_account="acct_1Example",
        components={"buy_button": {"enabled": True}},
    )
    data = body(session)
    assert data["customer_account"] == "acct_1Example"


async def test_a_customer_account_alone_is_parameter_missing_on_customer(
    world: StripeWorld,
) -> None:
    error = invalid(
        world, customer_account="acct_1Example", components={"buy_button": {"enabled": True}}
    )
    assert error.code == "parameter_missing"
    assert error.param == "customer"


async def test_an_unknown_customer_is_resource_missing_on_customer(world: StripeWorld) -> None:
    error = invalid(world, customer="cus_x", components={"buy_button": {"enabled": True}})
    assert error.code == "resource_missing"
    assert error.param == "customer"
    assert error.user_message == "No such customer: 'cus_x'"


async def test_a_customer_of_the_other_mode_is_resource_missing(world: StripeWorld) -> None:
    live = await world.more_keys(livemode=True)
    live_customer = world.client_for(live.secret_key).v1.customers.create(params={})
    error = invalid(world, customer=live_customer.id, components={"buy_button": {"enabled": True}})
    assert error.code == "resource_missing"
    assert error.param == "customer"


async def test_a_deleted_customer_is_resource_missing(world: StripeWorld) -> None:
    customer = customer_id(world)
    world.client.v1.customers.delete(customer)
    error = invalid(world, customer=customer, components={"buy_button": {"enabled": True}})
    assert error.code == "resource_missing"


async def test_a_live_key_makes_a_live_session(world: StripeWorld) -> None:
    live = world.client_for((await world.more_keys(livemode=True)).secret_key)
    customer = live.v1.customers.create(params={})
    session = live.v1.customer_sessions.create(
        params={"customer": customer.id, "components": {"buy_button": {"enabled": True}}}
    )
    assert session.livemode is True


async def test_no_enabled_component_is_refused_on_components(world: StripeWorld) -> None:
    error = invalid(
        world, customer=customer_id(world), components={"buy_button": {"enabled": False}}
    )
    assert error.param == "components"


async def test_missing_components_is_parameter_missing(world: StripeWorld) -> None:
    error = invalid(world, customer=customer_id(world))
    assert error.code == "parameter_missing"
    assert error.param == "components"


async def test_a_component_without_enabled_is_parameter_missing(world: StripeWorld) -> None:
    error = invalid(
        world,
        customer=customer_id(world),
        components={"payment_element": {"features": {"payment_method_remove": "enabled"}}},
    )
    assert error.code == "parameter_missing"
    assert error.param == "components[payment_element][enabled]"


async def test_an_unknown_component_is_parameter_unknown(world: StripeWorld) -> None:
    error = invalid(world, customer=customer_id(world), components={"foo": {"enabled": True}})
    assert error.code == "parameter_unknown"
    assert error.param == "components[foo]"
    assert error.user_message == "Received unknown parameter: components[foo]"


async def test_an_unknown_top_level_parameter_is_parameter_unknown(world: StripeWorld) -> None:
    error = invalid(
        world,
        customer=customer_id(world),
        components={"buy_button": {"enabled": True}},
        colour="blue",
    )
    assert error.code == "parameter_unknown"
    assert error.param == "colour"


async def test_a_bad_enum_value_is_refused_with_its_param(world: StripeWorld) -> None:
    error = invalid(
        world,
        customer=customer_id(world),
        components={
            "payment_element": {
                "enabled": True,
                "features": {"payment_method_redisplay": "sometimes"},
            }
        },
    )
    assert error.code == "parameter_invalid_enum"
    assert error.param == "components[payment_element][features][payment_method_redisplay]"


async def test_a_bad_filter_in_the_array_is_refused_with_its_index(world: StripeWorld) -> None:
    error = invalid(
        world,
        customer=customer_id(world),
        components={
            "customer_sheet": {
                "enabled": True,
                "features": {"payment_method_allow_redisplay_filters": ["always", "never"]},
            }
        },
    )
    assert error.code == "parameter_invalid_enum"
    assert (
        error.param
        == "components[customer_sheet][features][payment_method_allow_redisplay_filters][1]"
    )


async def test_a_non_boolean_enabled_is_an_invalid_boolean(world: StripeWorld) -> None:
    error = invalid(
        world, customer=customer_id(world), components={"buy_button": {"enabled": "yes"}}
    )
    assert error.code == "parameter_invalid_boolean"
    assert error.param == "components[buy_button][enabled]"


@pytest.mark.parametrize("limit", [0, 11, "three"])
async def test_a_redisplay_limit_outside_one_to_ten_is_refused(
    world: StripeWorld, limit: object
) -> None:
    error = invalid(
        world,
        customer=customer_id(world),
        components={
            "payment_element": {
                "enabled": True,
                "features": {"payment_method_redisplay_limit": limit},
            }
        },
    )
    assert error.code == "parameter_invalid_integer"
    assert error.param == "components[payment_element][features][payment_method_redisplay_limit]"


async def test_expanding_anything_but_the_customer_is_refused(world: StripeWorld) -> None:
    error = invalid(
        world,
        customer=customer_id(world),
        components={"buy_button": {"enabled": True}},
        expand=["components"],
    )
    assert error.param == "expand"


def form_post(world: StripeWorld, form: str, content_type: str) -> Any:
    return http(
        "POST",
        f"{world.url}/v1/customer_sessions",
        content=form,
        headers={
            "Authorization": f"Bearer {world.keys.secret_key}",
            "Content-Type": content_type,
        },
    )


async def test_reads_empty_bracket_arrays_as_well_as_indexed_ones(world: StripeWorld) -> None:
    customer = customer_id(world)
    form = (
        f"customer={customer}&expand[]=customer"
        "&components[customer_sheet][enabled]=true"
        "&components[customer_sheet][features][payment_method_allow_redisplay_filters][]=always"
        "&components[customer_sheet][features][payment_method_allow_redisplay_filters][]=limited"
    )
    response = form_post(world, form, "application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    data = response.json()
    assert_stripe_schema("customer_session", data)
    assert data["customer"]["id"] == customer
    features = data["components"]["customer_sheet"]["features"]
    assert features["payment_method_allow_redisplay_filters"] == ["always", "limited"]


async def test_a_json_body_is_refused_with_stripes_envelope(world: StripeWorld) -> None:
    response = form_post(world, '{"customer": "cus_x"}', "application/json")
    assert response.status_code == 415
    assert_stripe_schema("error", response.json())


async def test_neither_customer_nor_customer_account_is_parameter_missing(
    world: StripeWorld,
) -> None:
    error = invalid(world, components={"buy_button": {"enabled": True}})
    assert error.code == "parameter_missing"
    assert error.param == "customer"


@pytest.mark.parametrize(
    ("form", "code", "param"),
    [
        # int() would refuse or misread these although str.isdigit() accepts them.
        (
            "components[payment_element][enabled]=true"
            "&components[payment_element][features][payment_method_redisplay_limit]=--3",
            "parameter_invalid_integer",
            "components[payment_element][features][payment_method_redisplay_limit]",
        ),
        (
            "components[payment_element][enabled]=true"
            "&components[payment_element][features][payment_method_redisplay_limit]=%D9%A3",
            "parameter_invalid_integer",
            "components[payment_element][features][payment_method_redisplay_limit]",
        ),
        (
            "components[buy_button][enabled]=true&expand[%C2%B2]=customer",
            "parameter_invalid_array",
            "expand",
        ),
        ("components[buy_button][enabled]=true&customer=%FF", "parameter_invalid_string", None),
    ],
)
async def test_odd_digits_and_bad_utf8_are_400s_not_500s(
    world: StripeWorld, form: str, code: str, param: str | None
) -> None:
    response = form_post(
        world, f"customer={customer_id(world)}&{form}", "application/x-www-form-urlencoded"
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert_stripe_schema("error", response.json())
    assert (error["code"], error.get("param")) == (code, param)
    assert response.headers["Request-Id"].startswith("req_")
