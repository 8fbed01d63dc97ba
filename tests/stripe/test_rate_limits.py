"""Stripe's documented limits per account (program) and mode, and per-key overrides."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import stripe
from tests.stripe.conftest import StripeWorld, error_body


def burst(world: StripeWorld, key: str, count: int) -> list[httpx.Response]:
    """``count`` requests at once (from 20 threads), so that they land within one second even
    on a busy machine."""
    with (
        httpx.Client(headers={"Authorization": f"Bearer {key}"}) as http,
        ThreadPoolExecutor(20) as pool,
    ):
        return list(pool.map(lambda _: http.get(f"{world.url}/v1/customers"), range(count)))


async def test_test_mode_allows_25_requests_a_second(world: StripeWorld) -> None:
    statuses = [r.status_code for r in burst(world, world.keys.secret_key, 60)]
    assert statuses.count(200) >= 25
    assert statuses.count(429) > 0
    assert set(statuses) == {200, 429}


async def test_a_rate_limited_answer_is_stripes_rate_limit_error(world: StripeWorld) -> None:
    keys = await world.more_keys(rate_limit="2/second")
    client = world.client_for(keys.secret_key)
    client.v1.customers.list()
    client.v1.customers.list()
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 429
    assert error_body(caught.value)["code"] == "rate_limit"


async def test_live_mode_allows_more_than_test_mode(world: StripeWorld) -> None:
    live = await world.more_keys(livemode=True)
    statuses = [r.status_code for r in burst(world, live.secret_key, 40)]
    assert statuses == [200] * 40


async def test_a_per_key_override_replaces_the_account_limit(world: StripeWorld) -> None:
    keys = await world.more_keys(rate_limit="60/second")
    statuses = [r.status_code for r in burst(world, keys.secret_key, 40)]
    assert statuses == [200] * 40


async def test_publishable_key_calls_do_not_use_up_the_secret_keys_budget(
    world: StripeWorld,
) -> None:
    with (
        httpx.Client(headers={"Authorization": f"Bearer {world.keys.publishable_key}"}) as http,
        ThreadPoolExecutor(20) as pool,
    ):
        claims = list(
            pool.map(
                lambda _: http.post(
                    f"{world.url}/v1/customer_sessions/claim",
                    data={"client_secret": "cuss_secret_guess"},
                ),
                range(40),
            )
        )
    assert 429 in {r.status_code for r in claims}
    assert world.client.v1.customers.list().object == "list"
