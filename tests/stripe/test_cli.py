"""`tessera keys create --stripe` and `tessera demo --json` make keys that stripe-python uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

import stripe
from tests.conftest import LiveServer
from tests.stripe.conftest import sdk


def tessera_text(database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tessera", *args],
        env={**os.environ, "TESSERA_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def tessera(database_url: str, *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "tessera", *args],
        env={**os.environ, "TESSERA_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


async def test_keys_create_stripe_prints_a_working_key_pair(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    program = tessera(database_url, "program", "create", "--name", "CLI shop", "--json")[
        "program_id"
    ]
    keys = tessera(database_url, "keys", "create", "--program", str(program), "--stripe", "--json")
    assert set(keys) == {"secret_key", "secret_key_id", "publishable_key", "publishable_key_id"}
    assert keys["secret_key"].startswith("sk_test_")
    assert keys["publishable_key"].startswith("pk_test_")
    server = live_server()
    customer = sdk(keys["secret_key"], server.url).v1.customers.create(params={})
    assert customer.livemode is False


async def test_keys_create_live_makes_live_keys(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    program = tessera(database_url, "program", "create", "--name", "CLI shop", "--json")[
        "program_id"
    ]
    keys = tessera(
        database_url, "keys", "create", "--program", str(program), "--stripe", "--live", "--json"
    )
    assert keys["secret_key"].startswith("sk_live_")
    server = live_server()
    assert sdk(keys["secret_key"], server.url).v1.customers.create(params={}).livemode is True


async def test_keys_create_restricted_grants_only_its_permissions(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    program = tessera(database_url, "program", "create", "--name", "CLI shop", "--json")[
        "program_id"
    ]
    keys = tessera(
        database_url,
        *("keys", "create", "--program", str(program), "--restricted"),
        *("--permissions", "customers:read", "--json"),
    )
    assert keys["secret_key"].startswith("rk_test_")
    client = sdk(keys["secret_key"], live_server().url)
    assert client.v1.customers.list().object == "list"
    with pytest.raises(stripe.PermissionError):
        client.v1.customers.create(params={})


async def test_demo_json_includes_stripe_keys_and_rotates_them(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    first = tessera(database_url, "demo", "--json")
    second = tessera(database_url, "demo", "--json", "--rotate-keys")
    assert second["stripe_secret_key"].startswith("sk_test_")
    assert second["stripe_publishable_key"].startswith("pk_test_")
    server = live_server()
    assert sdk(second["stripe_secret_key"], server.url).v1.customers.list().object == "list"
    with pytest.raises(stripe.AuthenticationError):
        sdk(first["stripe_secret_key"], server.url).v1.customers.list()


async def test_keys_list_stripe_shows_keys_masked_never_secret(database_url: str) -> None:
    program = tessera(database_url, "program", "create", "--name", "CLI shop", "--json")[
        "program_id"
    ]
    keys = tessera(database_url, "keys", "create", "--program", str(program), "--stripe", "--json")
    listed = tessera(database_url, "keys", "list", "--stripe", "--program", str(program), "--json")
    assert [row["kind"] for row in listed] == ["secret", "publishable"]
    assert listed[0]["key"] == "sk_test_********" + keys["secret_key"][-4:]
    assert keys["secret_key"] not in json.dumps(listed)


async def test_a_revoked_stripe_key_is_refused(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    program = tessera(database_url, "program", "create", "--name", "CLI shop", "--json")[
        "program_id"
    ]
    keys = tessera(database_url, "keys", "create", "--program", str(program), "--stripe", "--json")
    listed = tessera(database_url, "keys", "list", "--stripe", "--program", str(program), "--json")
    revoked = tessera_text(database_url, "keys", "revoke", "--stripe", str(listed[0]["id"]))
    assert "is revoked" in revoked
    with pytest.raises(stripe.AuthenticationError):
        sdk(keys["secret_key"], live_server().url).v1.customers.list()
