"""Webhook endpoints through stripe-python: create, retrieve, update, list, delete, modes."""

from __future__ import annotations

import pytest

import stripe
from tests.stripe.conftest import StripeWorld, body, error_body, http
from tests.stripe.schema import assert_stripe_schema

URL = "https://hooks.tessera.invalid/stripe"


def create(world: StripeWorld, **params: object) -> stripe.WebhookEndpoint:
    return world.client.v1.webhook_endpoints.create(
        params={"url": URL, "enabled_events": ["customer.created"], **params}  # type: ignore[typeddict-item]
    )


async def test_creating_an_endpoint_shows_its_whsec_secret(world: StripeWorld) -> None:
    endpoint = create(world, description="CRM sync", metadata={"team": "crm"})
    assert_stripe_schema("webhook_endpoint", body(endpoint))
    assert endpoint.id.startswith("we_")
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    assert (endpoint.url, endpoint.enabled_events, endpoint.status) == (
        URL,
        ["customer.created"],
        "enabled",
    )
    assert (endpoint.description, endpoint.metadata.to_dict()) == ("CRM sync", {"team": "crm"})
    assert endpoint.livemode is False


async def test_the_secret_is_never_shown_again(world: StripeWorld) -> None:
    created = create(world)
    retrieved = world.client.v1.webhook_endpoints.retrieve(created.id)
    listed = world.client.v1.webhook_endpoints.list()
    updated = world.client.v1.webhook_endpoints.update(created.id, params={"description": "x"})
    for answer in (body(retrieved), body(updated), *body(listed)["data"]):
        assert "secret" not in answer
    assert created.secret is not None and created.secret not in str(body(listed))


async def test_every_event_is_enabled_with_a_star(world: StripeWorld) -> None:
    endpoint = create(world, enabled_events=["*"])
    assert endpoint.enabled_events == ["*"]


async def test_an_unknown_event_type_is_refused_naming_the_param(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(world, enabled_events=["customer.created", "customer.exploded"])
    error = error_body(refused.value)
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "parameter_invalid_enum",
        "enabled_events[1]",
    )
    assert "'customer.exploded'" in error["message"]


async def test_a_url_is_required(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        world.client.v1.webhook_endpoints.create(params={"enabled_events": ["*"]})  # type: ignore[typeddict-item]
    assert error_body(refused.value)["param"] == "url"


async def test_a_private_address_is_refused_naming_url(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(world, url="http://127.0.0.1:9/hook")
    error = error_body(refused.value)
    assert error["param"] == "url"
    assert "private, loopback or link-local" in error["message"]


async def test_a_url_that_is_not_http_is_refused(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(world, url="ftp://hooks.tessera.invalid/x")
    assert error_body(refused.value)["param"] == "url"


async def test_connect_endpoints_are_refused_by_name(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(world, connect=True)
    error = error_body(refused.value)
    assert (error["code"], error["param"]) == ("parameter_unsupported", "connect")


async def test_the_api_version_given_is_kept(world: StripeWorld) -> None:
    created = create(world, api_version="2025-03-31.basil")
    retrieved = world.client.v1.webhook_endpoints.retrieve(created.id)
    assert (created.api_version, retrieved.api_version) == ("2025-03-31.basil", "2025-03-31.basil")


async def test_an_unknown_api_version_is_refused(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(world, api_version="1999-01-01")
    assert error_body(refused.value)["param"] == "api_version"


async def test_an_update_changes_what_it_names(world: StripeWorld) -> None:
    created = create(world, description="old", metadata={"a": "1", "b": "2"})
    updated = world.client.v1.webhook_endpoints.update(
        created.id,
        params={
            "url": "https://other.tessera.invalid/hook",
            "enabled_events": ["customer.updated", "payment_method.attached"],
            "metadata": {"a": "", "c": "3"},
        },
    )
    assert_stripe_schema("webhook_endpoint", body(updated))
    assert updated.url == "https://other.tessera.invalid/hook"
    assert updated.enabled_events == ["customer.updated", "payment_method.attached"]
    assert (updated.description, updated.metadata.to_dict()) == ("old", {"b": "2", "c": "3"})


async def test_an_empty_description_clears_it(world: StripeWorld) -> None:
    created = create(world, description="old")
    updated = world.client.v1.webhook_endpoints.update(created.id, params={"description": ""})
    assert updated.description is None


async def test_disabling_and_enabling_an_endpoint(world: StripeWorld) -> None:
    created = create(world)
    disabled = world.client.v1.webhook_endpoints.update(created.id, params={"disabled": True})
    enabled = world.client.v1.webhook_endpoints.update(created.id, params={"disabled": False})
    assert (disabled.status, enabled.status) == ("disabled", "enabled")


async def test_the_api_version_cannot_be_changed(world: StripeWorld) -> None:
    created = create(world)
    response = http(
        "POST",
        f"{world.url}/v1/webhook_endpoints/{created.id}",
        data={"api_version": "2025-03-31.basil"},
        headers={"Authorization": f"Bearer {world.keys.secret_key}"},
    )
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["param"]) == (
        400,
        "parameter_unknown",
        "api_version",
    )


async def test_a_deleted_endpoint_is_gone(world: StripeWorld) -> None:
    created = create(world)
    deleted = world.client.v1.webhook_endpoints.delete(created.id)
    assert_stripe_schema("deleted_webhook_endpoint", body(deleted))
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        world.client.v1.webhook_endpoints.retrieve(created.id)
    error = error_body(missing.value)
    assert (missing.value.http_status, error["code"]) == (404, "resource_missing")
    assert error["message"] == f"No such webhook endpoint: '{created.id}'"


async def test_lists_newest_first_with_cursors(world: StripeWorld) -> None:
    ids = [create(world).id for _ in range(3)]
    first = world.client.v1.webhook_endpoints.list(params={"limit": 2})
    second = world.client.v1.webhook_endpoints.list(
        params={"limit": 2, "starting_after": first.data[-1].id}
    )
    back = world.client.v1.webhook_endpoints.list(params={"ending_before": second.data[0].id})
    assert ([e.id for e in first.data], first.has_more) == ([ids[2], ids[1]], True)
    assert ([e.id for e in second.data], second.has_more) == ([ids[0]], False)
    assert [e.id for e in back.data] == [ids[2], ids[1]]


async def test_a_mode_holds_at_most_16_endpoints(world: StripeWorld) -> None:
    for _ in range(16):
        create(world)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create(world)
    assert "maximum of 16 test webhook endpoints" in error_body(refused.value)["message"]


async def test_a_test_key_never_sees_a_live_endpoint(world: StripeWorld) -> None:
    live = await world.more_keys(livemode=True)
    endpoint = world.client_for(live.secret_key).v1.webhook_endpoints.create(
        params={"url": URL, "enabled_events": ["*"]}
    )
    assert endpoint.livemode is True
    with pytest.raises(stripe.InvalidRequestError) as missing:
        world.client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert error_body(missing.value)["code"] == "resource_missing"
    assert world.client.v1.webhook_endpoints.list().data == []


async def test_a_restricted_key_needs_the_webhook_endpoints_permission(world: StripeWorld) -> None:
    reader = await world.more_keys(permissions=["webhook_endpoints:read"])
    client = world.client_for(reader.secret_key)
    assert client.v1.webhook_endpoints.list().data == []
    with pytest.raises(stripe.PermissionError):
        client.v1.webhook_endpoints.create(params={"url": URL, "enabled_events": ["*"]})
