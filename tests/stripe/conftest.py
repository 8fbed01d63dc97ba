"""A real `tessera serve` per test, with a program and Stripe keys, driven by stripe-python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import stripe
from tessera.auth.stripe_keys import CreatedStripeKeys, create_stripe_keys
from tessera.programs.sites import create_program
from tests.conftest import LiveServer
from tests.stripe.schema import assert_stripe_schema


def http(method: str, url: str, **options: Any) -> httpx.Response:
    """A plain HTTP call, for what the SDK does not let a test see or send. Blocking, like the
    SDK: the server is another process, so the test's event loop has nothing to serve."""
    return httpx.request(method, url, **options)


def sdk(key: str, url: str, **options: Any) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": url}, max_network_retries=0, **options)


def body(obj: Any) -> Any:
    """The JSON the server sent for an SDK object."""
    response = obj.last_response
    assert response is not None
    return response.data


def error_body(exc: stripe.StripeError) -> Any:
    """The error envelope, checked against Stripe's ``error`` schema on the way."""
    assert exc.json_body is not None
    assert_stripe_schema("error", exc.json_body)
    return exc.json_body["error"]


@dataclass
class StripeWorld:
    url: str
    program_id: int
    keys: CreatedStripeKeys
    db: AsyncEngine

    @property
    def client(self) -> stripe.StripeClient:
        return sdk(self.keys.secret_key, self.url)

    def client_for(self, key: str, **options: Any) -> stripe.StripeClient:
        return sdk(key, self.url, **options)

    async def more_keys(
        self,
        *,
        livemode: bool = False,
        permissions: list[str] | None = None,
        rate_limit: str | None = None,
        program_id: int | None = None,
    ) -> CreatedStripeKeys:
        async with self.db.begin() as conn:
            return await create_stripe_keys(
                conn,
                program_id or self.program_id,
                livemode=livemode,
                restricted_permissions=permissions,
                rate_limit=rate_limit,
            )

    async def other_program(self) -> int:
        async with self.db.begin() as conn:
            return (await create_program(conn, "Another shop")).id


@pytest.fixture
async def world(live_server: Callable[..., LiveServer], db: AsyncEngine) -> StripeWorld:
    async with db.begin() as conn:
        program = await create_program(conn, "Stripe shop")
        keys = await create_stripe_keys(conn, program.id)
    server = live_server()
    return StripeWorld(url=server.url, program_id=program.id, keys=keys, db=db)
