"""Keys: secret, restricted and publishable; Bearer and Basic; Stripe's 401 and 403 answers;
and the headers and 404 every /v1 answer shares."""

from __future__ import annotations

import base64

import pytest

import stripe
from tests.stripe.conftest import StripeWorld, body, error_body, http
from tests.stripe.schema import assert_stripe_schema

SESSION = {"components": {"buy_button": {"enabled": True}}}


async def test_a_missing_key_is_a_401_with_stripes_message(world: StripeWorld) -> None:
    response = http("GET", f"{world.url}/v1/customers")
    assert response.status_code == 401
    assert_stripe_schema("error", response.json())
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("You did not provide an API key.")


async def test_an_invalid_key_is_a_401_naming_the_key_masked(world: StripeWorld) -> None:
    client = world.client_for("sk_test_thisKeyDoesNotExist1234")
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 401
    assert error_body(caught.value)["message"] == ("Invalid API Key provided: sk_test_********1234")


async def test_the_error_never_shows_the_whole_key(world: StripeWorld) -> None:
    key = "sk_test_" + "9" * 40 + "abcd"
    with pytest.raises(stripe.AuthenticationError) as caught:
        world.client_for(key).v1.customers.list()
    assert key not in str(caught.value.http_body)


async def test_basic_auth_with_the_key_as_user_name_works(world: StripeWorld) -> None:
    token = base64.b64encode(f"{world.keys.secret_key}:".encode()).decode()
    response = http("GET", f"{world.url}/v1/customers", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
    assert response.json()["object"] == "list"


async def test_a_restricted_key_without_the_permission_is_a_403(world: StripeWorld) -> None:
    keys = await world.more_keys(permissions=["customers:read"])
    client = world.client_for(keys.secret_key)
    assert keys.secret_key.startswith("rk_test_")
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.customers.create(params={"name": "Nope"})
    assert caught.value.http_status == 403
    assert "customers:write" in error_body(caught.value)["message"]


async def test_a_restricted_key_with_the_permission_works(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    keys = await world.more_keys(permissions=["customer_sessions:write", "customers:read"])
    client = world.client_for(keys.secret_key)
    session = client.v1.customer_sessions.create(params={"customer": customer.id, **SESSION})  # type: ignore[typeddict-item]
    assert_stripe_schema("customer_session", body(session))
    assert client.v1.customers.retrieve(customer.id).id == customer.id


async def test_a_write_permission_implies_read(world: StripeWorld) -> None:
    keys = await world.more_keys(permissions=["customers:write"])
    assert world.client_for(keys.secret_key).v1.customers.list().object == "list"


async def test_a_publishable_key_cannot_call_secret_endpoints(world: StripeWorld) -> None:
    with pytest.raises(stripe.AuthenticationError) as caught:
        world.client_for(world.keys.publishable_key).v1.customers.list()
    assert "publishable" in error_body(caught.value)["message"]


async def test_a_live_key_makes_live_objects(world: StripeWorld) -> None:
    live = await world.more_keys(livemode=True)
    assert live.secret_key.startswith("sk_live_")
    assert live.publishable_key.startswith("pk_live_")
    customer = world.client_for(live.secret_key).v1.customers.create(params={})
    assert body(customer)["livemode"] is True


async def test_every_answer_carries_a_request_id(world: StripeWorld) -> None:
    ok = http(
        "GET",
        f"{world.url}/v1/customers",
        headers={"Authorization": f"Bearer {world.keys.secret_key}"},
    )
    refused = http("GET", f"{world.url}/v1/customers")
    assert ok.headers["Request-Id"].startswith("req_")
    assert refused.headers["Request-Id"].startswith("req_")
    assert ok.headers["Request-Id"] != refused.headers["Request-Id"]


async def test_stripe_version_is_accepted_and_echoed(world: StripeWorld) -> None:
    client = world.client_for(world.keys.secret_key, stripe_version="2025-01-27.acacia")
    customers = client.v1.customers.list()
    assert customers.last_response is not None
    assert customers.last_response.headers["Stripe-Version"] == "2025-01-27.acacia"


async def test_an_unknown_url_is_stripes_unrecognized_request_url(world: StripeWorld) -> None:
    response = http(
        "GET", f"{world.url}/v1/foo", headers={"Authorization": f"Bearer {world.keys.secret_key}"}
    )
    assert response.status_code == 404
    assert_stripe_schema("error", response.json())
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "message": "Unrecognized request URL (GET: /v1/foo). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    }


async def test_a_wrong_method_is_an_unrecognized_url_too(world: StripeWorld) -> None:
    response = http("PUT", f"{world.url}/v1/customers")
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("Unrecognized request URL (PUT:")


async def test_the_sdk_raises_invalid_request_error_for_an_unknown_url(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.raw_request("get", "/v1/nothing_here")
    assert caught.value.http_status == 404


async def test_the_contract_is_served_at_openapi_stripe_json(world: StripeWorld) -> None:
    document = http("GET", f"{world.url}/openapi/stripe.json").json()
    assert document["info"]["version"] == "2026-09-30.endive"
    assert {"/v1/customer_sessions", "/v1/customers", "/v1/customers/{customer}"} <= set(
        document["paths"]
    )
    assert {"customer_session", "customer", "deleted_customer", "error"} <= set(
        document["components"]["schemas"]
    )


async def test_expanding_the_customer_needs_the_permission_to_read_customers(
    world: StripeWorld,
) -> None:
    customer = world.client.v1.customers.create(params={"email": "private@example.com"})
    keys = await world.more_keys(permissions=["customer_sessions:write"])
    client = world.client_for(keys.secret_key)
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.customer_sessions.create(
            params={"customer": customer.id, "expand": ["customer"], **SESSION}  # type: ignore[typeddict-item]
        )
    assert caught.value.http_status == 403
    error = error_body(caught.value)
    assert "customers:read" in error["message"]
    assert "private@example.com" not in str(caught.value.json_body)


async def test_a_session_without_expansion_needs_only_its_own_permission(
    world: StripeWorld,
) -> None:
    customer = world.client.v1.customers.create(params={})
    keys = await world.more_keys(permissions=["customer_sessions:write"])
    client = world.client_for(keys.secret_key)
    session = client.v1.customer_sessions.create(params={"customer": customer.id, **SESSION})  # type: ignore[typeddict-item]
    assert session.customer == customer.id
