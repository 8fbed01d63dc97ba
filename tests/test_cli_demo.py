"""`tessera demo`: set up once, keys kept on later runs, replaced with --rotate-keys."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable

from tests.conftest import LiveServer
from tests.test_cli import json_of, problem, run, tessera, whoami


async def test_running_the_demo_again_keeps_its_api_key(database_url: str) -> None:
    first = json_of(tessera(database_url, "demo", "--json"))
    second = json_of(tessera(database_url, "demo", "--json"))
    assert (first["program_id"], first["site_id"]) == (second["program_id"], second["site_id"])
    assert first["api_key"].startswith("pat_") and first["api_key_kept"] is False
    assert second["api_key"] is None and second["api_key_kept"] is True
    assert second["api_key_id"] == first["api_key_id"]
    assert first["api_key"].startswith(second["api_key_prefix"])
    status, body = await whoami(database_url, first["api_key"])
    assert status == 200
    assert len(body["identity"]["scopes"]) == 6


def test_running_the_demo_again_keeps_its_stripe_keys(database_url: str) -> None:
    first = json_of(tessera(database_url, "demo", "--json"))
    second = json_of(tessera(database_url, "demo", "--json"))
    assert first["stripe_secret_key"].startswith("sk_test_")
    assert second["stripe_secret_key"] is None and second["stripe_publishable_key"] is None
    assert second["stripe_keys_kept"] is True
    assert second["stripe_secret_key_id"] == first["stripe_secret_key_id"]
    assert second["stripe_secret_key_masked"].endswith(first["stripe_secret_key"][-4:])


async def test_rotate_keys_revokes_the_demo_keys_and_prints_new_ones(database_url: str) -> None:
    first = json_of(tessera(database_url, "demo", "--json"))
    rotated = json_of(tessera(database_url, "demo", "--json", "--rotate-keys"))
    assert rotated["api_key"].startswith("pat_") and rotated["api_key"] != first["api_key"]
    assert rotated["api_key_kept"] is False and rotated["stripe_keys_kept"] is False
    assert (await whoami(database_url, first["api_key"]))[0] == 401
    assert (await whoami(database_url, rotated["api_key"]))[0] == 200


def test_the_demo_says_when_it_kept_its_keys(database_url: str) -> None:
    tessera(database_url, "demo")
    again = tessera(database_url, "demo").stdout
    assert "is kept" in again and "tessera demo --rotate-keys" in again
    assert "pat_" not in again.split("curl", 1)[1]
    assert '-H "Authorization: Bearer $TESSERA_API_KEY"' in again


def test_a_new_rate_limit_with_kept_keys_is_refused(database_url: str) -> None:
    tessera(database_url, "demo", "--json")
    result = tessera(database_url, "demo", "--rate-limit", "5/second", check=False)
    assert result.returncode == 1
    assert problem(result).startswith("error: The demo keeps its keys")
    assert "tessera demo --rotate-keys" in problem(result)
    options = ["--json", "--rotate-keys", "--rate-limit", "5/second"]
    assert json_of(tessera(database_url, "demo", *options))["api_key"].startswith("pat_")


def demo_curl(output: str) -> str:
    return "curl" + output.split("\ncurl", 1)[1]


def test_the_printed_curl_mints_a_session(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server()
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_PUBLIC_URL": server.url}
    first = run("demo", env=env)
    answer = subprocess.run(["sh", "-c", demo_curl(first.stdout)], capture_output=True, text=True)
    assert json.loads(answer.stdout)["webview_session"]["url"].startswith(server.url)


def test_the_curl_printed_with_kept_keys_works_with_the_key_in_the_environment(
    database_url: str, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server()
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_PUBLIC_URL": server.url}
    key = json.loads(run("demo", "--json", env=env).stdout)["api_key"]
    again = run("demo", env=env)
    answer = subprocess.run(
        ["sh", "-c", demo_curl(again.stdout)],
        env={**os.environ, "TESSERA_API_KEY": key},
        capture_output=True,
        text=True,
    )
    assert json.loads(answer.stdout)["webview_session"]["url"].startswith(server.url)
