"""Customers through stripe-python: create, retrieve, update, delete, list, modes."""

from __future__ import annotations

import pytest

import stripe
from tests.stripe.conftest import StripeWorld, body, error_body, http
from tests.stripe.schema import assert_customer_or_deleted, assert_stripe_schema


async def test_creates_a_customer_with_a_cus_id(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(
        params={
            "email": "alice@example.com",
            "name": "Alice",
            "description": "First customer",
            "phone": "+15555550100",
            "metadata": {"order": "42"},
        }
    )
    assert_stripe_schema("customer", body(customer))
    assert customer.id.startswith("cus_")
    assert (customer.email, customer.name, customer.description, customer.phone) == (
        "alice@example.com",
        "Alice",
        "First customer",
        "+15555550100",
    )
    assert customer.metadata.to_dict() == {"order": "42"}
    assert customer.livemode is False


async def test_retrieves_a_customer(world: StripeWorld) -> None:
    created = world.client.v1.customers.create(params={"email": "bob@example.com"})
    customer = world.client.v1.customers.retrieve(created.id)
    assert_customer_or_deleted(body(customer))
    assert customer.id == created.id
    assert customer.email == "bob@example.com"


async def test_updates_fields_and_merges_metadata(world: StripeWorld) -> None:
    created = world.client.v1.customers.create(
        params={"name": "Carol", "metadata": {"a": "1", "b": "2"}}
    )
    updated = world.client.v1.customers.update(
        created.id, params={"email": "carol@example.com", "metadata": {"a": "", "c": "3"}}
    )
    assert_stripe_schema("customer", body(updated))
    assert updated.name == "Carol"
    assert updated.email == "carol@example.com"
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}


async def test_an_empty_string_clears_a_field(world: StripeWorld) -> None:
    created = world.client.v1.customers.create(params={"name": "Dan", "phone": "+1555"})
    updated = world.client.v1.customers.update(created.id, params={"phone": ""})
    assert updated.phone is None
    assert updated.name == "Dan"


async def test_a_deleted_customer_retrieves_as_the_deleted_shape(world: StripeWorld) -> None:
    created = world.client.v1.customers.create(params={"email": "erin@example.com"})
    deleted = world.client.v1.customers.delete(created.id)
    assert_stripe_schema("deleted_customer", body(deleted))
    again = world.client.v1.customers.retrieve(created.id)
    assert body(again) == {"id": created.id, "object": "customer", "deleted": True}
    assert_customer_or_deleted(body(again))


async def test_an_unknown_customer_is_resource_missing(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.retrieve("cus_doesnotexist")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "id"
    assert error_body(caught.value)["message"] == "No such customer: 'cus_doesnotexist'"


async def test_lists_newest_first_with_cursors_and_has_more(world: StripeWorld) -> None:
    ids = [world.client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(5)]
    first = world.client.v1.customers.list(params={"limit": 2})
    assert first.object == "list"
    assert first.url == "/v1/customers"
    assert [c.id for c in first.data] == [ids[4], ids[3]]
    assert first.has_more is True
    for customer in body(first)["data"]:
        assert_stripe_schema("customer", customer)
    second = world.client.v1.customers.list(params={"limit": 2, "starting_after": ids[3]})
    assert [c.id for c in second.data] == [ids[2], ids[1]]
    assert second.has_more is True
    last = world.client.v1.customers.list(params={"limit": 2, "starting_after": ids[1]})
    assert [c.id for c in last.data] == [ids[0]]
    assert last.has_more is False
    before = world.client.v1.customers.list(params={"limit": 2, "ending_before": ids[1]})
    assert [c.id for c in before.data] == [ids[3], ids[2]]
    assert before.has_more is True


async def test_listing_leaves_out_deleted_customers(world: StripeWorld) -> None:
    kept = world.client.v1.customers.create(params={"name": "kept"})
    gone = world.client.v1.customers.create(params={"name": "gone"})
    world.client.v1.customers.delete(gone.id)
    assert [c.id for c in world.client.v1.customers.list().data] == [kept.id]


async def test_a_limit_out_of_range_is_an_invalid_integer(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.list(params={"limit": 101})
    assert caught.value.code == "parameter_invalid_integer"
    assert caught.value.param == "limit"


async def test_test_and_live_customers_never_mix(world: StripeWorld) -> None:
    live = await world.more_keys(livemode=True)
    live_client = world.client_for(live.secret_key)
    live_customer = live_client.v1.customers.create(params={"name": "Live"})
    assert live_customer.livemode is True
    assert world.client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.retrieve(live_customer.id)
    assert caught.value.code == "resource_missing"


async def test_another_programs_customer_does_not_exist(world: StripeWorld) -> None:
    other = await world.more_keys(program_id=await world.other_program())
    theirs = world.client_for(other.secret_key).v1.customers.create(params={"name": "Theirs"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.retrieve(theirs.id)
    assert caught.value.http_status == 404


async def test_a_contract_parameter_tessera_does_not_store_is_refused_by_name(
    world: StripeWorld,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.create(params={"balance": 100})
    assert caught.value.code == "parameter_unsupported"
    assert caught.value.param == "balance"


async def test_an_unknown_customer_parameter_is_parameter_unknown(world: StripeWorld) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.create(params={"nickname": "Al"})  # type: ignore[typeddict-unknown-key]
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "nickname"
    assert error_body(caught.value)["message"] == "Received unknown parameter: nickname"


@pytest.mark.parametrize("field", ["name", "email", "description"])
async def test_a_nul_character_is_an_invalid_string_on_every_database(
    world: StripeWorld, field: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        world.client.v1.customers.create(params={field: "a\x00b"})  # type: ignore[misc]
    assert caught.value.code == "parameter_invalid_string"
    assert caught.value.param == field


async def test_metadata_keys_made_of_digits_are_kept_as_keys(world: StripeWorld) -> None:
    # stripe-python sends metadata={"0": ..., "2": ...} as metadata[0]=...&metadata[2]=...
    metadata = {"0": "zero", "2": "two", "10": "ten"}
    customer = world.client.v1.customers.create(params={"metadata": metadata})
    assert body(world.client.v1.customers.retrieve(customer.id))["metadata"] == metadata


async def test_expand_is_read_as_a_list_both_ways(world: StripeWorld) -> None:
    customer = world.client.v1.customers.create(params={})
    for query in ("expand[]=customer", "expand[0]=customer"):
        response = http(
            "POST",
            f"{world.url}/v1/customer_sessions?{query}",
            headers={"Authorization": f"Bearer {world.keys.secret_key}"},
            data={"customer": customer.id, "components[buy_button][enabled]": "true"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["customer"]["id"] == customer.id
