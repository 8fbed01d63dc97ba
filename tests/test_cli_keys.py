"""`tessera keys`: API keys and Stripe keys, created, listed with what they may do, revoked."""

from __future__ import annotations

import json
from typing import Any

from tests.test_cli import json_of, problem, tessera, whoami


def demo_program(database_url: str) -> str:
    return str(json_of(tessera(database_url, "demo", "--json"))["program_id"])


def stripe_pair(database_url: str, program: str) -> Any:
    options = ["--program", program, "--stripe", "--json"]
    return json_of(tessera(database_url, "keys", "create", *options))


def stripe_keys_by_id(database_url: str) -> dict[int, Any]:
    listed = json_of(tessera(database_url, "keys", "list", "--stripe", "--json"))
    return {row["id"]: row for row in listed}


async def test_keys_create_prints_a_key_with_the_requested_scopes(database_url: str) -> None:
    program = demo_program(database_url)
    created = json_of(
        tessera(
            database_url, "keys", "create", "--program", program,
            "--scopes", "read_customers,write_customers", "--json",
        )
    )  # fmt: skip
    assert created["api_key"].startswith("pat_") and isinstance(created["id"], int)
    status, body = await whoami(database_url, created["api_key"])
    assert status == 200
    assert body["identity"]["scopes"] == ["read_customers", "write_customers"]


def test_keys_create_refuses_an_unknown_scope(database_url: str) -> None:
    program = demo_program(database_url)
    result = tessera(
        database_url, "keys", "create", "--program", program, "--scopes", "read_everything",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "unknown scope read_everything" in result.stderr
    assert "Traceback" not in result.stderr


def test_keys_create_refuses_a_malformed_rate_limit(database_url: str) -> None:
    program = demo_program(database_url)
    result = tessera(
        database_url, "keys", "create", "--program", program, "--rate-limit", "fast", check=False
    )
    assert result.returncode == 1
    assert "is not a rate limit" in result.stderr


def test_keys_create_for_a_missing_program_says_so(database_url: str) -> None:
    result = tessera(
        database_url, "keys", "create", "--program", "4242", "--scopes", "read_customers",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert problem(result) == "error: No program with id 4242"


def test_keys_create_without_scopes_is_refused(database_url: str) -> None:
    program = demo_program(database_url)
    result = tessera(database_url, "keys", "create", "--program", program, check=False)
    assert result.returncode == 1
    assert "name the key's scopes with --scopes" in result.stderr


def test_keys_list_shows_what_each_key_may_do(database_url: str) -> None:
    program = demo_program(database_url)
    tessera(
        database_url, "keys", "create", "--program", program, "--scopes", "read_orders",
        "--name", "reporting",
    )  # fmt: skip
    rows = [line.split() for line in tessera(database_url, "keys", "list").stdout.splitlines()]
    assert ["1", program, "demo"] == rows[2][:3] and "every scope" in " ".join(rows[2])
    assert rows[3][2] == "reporting" and rows[3][4] == "read_orders"


def test_keys_list_stripe_says_what_each_kind_may_call(database_url: str) -> None:
    demo_program(database_url)
    shown = tessera(database_url, "keys", "list", "--stripe").stdout
    assert "every endpoint" in shown and "client side only" in shown


async def test_keys_revoke_stops_the_key_working(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    keys = json_of(tessera(database_url, "keys", "list", "--json"))
    (active,) = [k for k in keys if k["revoked_at"] is None]
    assert "api_key" not in active and demo["api_key"] not in json.dumps(keys)
    result = tessera(database_url, "keys", "revoke", str(active["id"]))
    assert "is revoked: every worker refuses it within 0.1 s" in result.stdout
    assert (await whoami(database_url, demo["api_key"]))[0] == 401


def test_revoking_a_revoked_key_says_so_and_changes_nothing(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    key = str(demo["api_key_id"])
    tessera(database_url, "keys", "revoke", key)
    before = json_of(tessera(database_url, "keys", "list", "--json"))
    again = tessera(database_url, "keys", "revoke", key).stdout
    assert f"API key {key} (" in again and "was already revoked" in again
    assert json_of(tessera(database_url, "keys", "list", "--json")) == before


def test_keys_create_stripe_json_names_both_keys_ids(database_url: str) -> None:
    program = demo_program(database_url)
    pair = stripe_pair(database_url, program)
    by_id = stripe_keys_by_id(database_url)
    assert by_id[pair["secret_key_id"]]["key"].endswith(pair["secret_key"][-4:])
    assert by_id[pair["publishable_key_id"]]["kind"] == "publishable"


def test_revoking_a_stripe_secret_key_says_its_publishable_key_still_works(
    database_url: str,
) -> None:
    pair = stripe_pair(database_url, demo_program(database_url))
    result = tessera(database_url, "keys", "revoke", "--stripe", str(pair["secret_key_id"]))
    assert "every worker refuses it within 0.1 s" in result.stdout
    assert f"Its publishable key {pair['publishable_key_id']} " in result.stderr
    assert "--with-publishable" in result.stderr
    listed = stripe_keys_by_id(database_url)
    assert listed[pair["secret_key_id"]]["revoked_at"] is not None
    assert listed[pair["publishable_key_id"]]["revoked_at"] is None


def test_with_publishable_revokes_the_pair(database_url: str) -> None:
    pair = stripe_pair(database_url, demo_program(database_url))
    secret = str(pair["secret_key_id"])
    result = tessera(database_url, "keys", "revoke", "--stripe", secret, "--with-publishable")
    assert result.stdout.count("is revoked: every worker refuses it within 0.1 s") == 2
    listed = stripe_keys_by_id(database_url)
    assert listed[pair["secret_key_id"]]["revoked_at"] is not None
    assert listed[pair["publishable_key_id"]]["revoked_at"] is not None


def test_with_publishable_refuses_a_publishable_key_id(database_url: str) -> None:
    pair = stripe_pair(database_url, demo_program(database_url))
    publishable = str(pair["publishable_key_id"])
    result = tessera(
        database_url, "keys", "revoke", "--stripe", publishable, "--with-publishable", check=False
    )
    assert result.returncode == 1
    assert "is itself a publishable key" in problem(result)
    listed = json_of(tessera(database_url, "keys", "list", "--stripe", "--json"))
    assert all(row["revoked_at"] is None for row in listed)
