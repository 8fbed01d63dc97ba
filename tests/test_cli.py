"""The `tessera` command, run as a user runs it, against both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tessera.config import Settings, normalize_database_url
from tests.conftest import app_client


def tessera(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TESSERA_DATABASE_URL": database_url, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "tessera", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"tessera {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


async def whoami(database_url: str, key: str) -> tuple[int, Any]:
    settings = Settings(database_url=normalize_database_url(database_url), auth_cache_ttl=0.0)
    async with app_client(settings) as client:
        response = await client.get(
            "/v2/identity/whoami", headers={"Authorization": f"Bearer {key}"}
        )
    return response.status_code, response.json()


async def test_demo_is_idempotent_and_rotates_its_key(database_url: str) -> None:
    first = json_of(tessera(database_url, "demo", "--json"))
    second = json_of(tessera(database_url, "demo", "--json"))
    assert set(first) >= {"program_id", "site_id", "api_key"}
    assert (first["program_id"], first["site_id"]) == (second["program_id"], second["site_id"])
    assert first["api_key"] != second["api_key"]
    assert (await whoami(database_url, first["api_key"]))[0] == 401
    status, body = await whoami(database_url, second["api_key"])
    assert status == 200
    assert len(body["identity"]["scopes"]) == 6


async def test_demo_prints_a_working_curl(database_url: str) -> None:
    result = tessera(database_url, "demo")
    assert "curl -s -X POST http://127.0.0.1:8000/v2/sites/" in result.stdout
    assert "Authorization: Bearer pat_" in result.stdout


async def test_keys_create_prints_a_key_with_the_requested_scopes(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    created = json_of(
        tessera(
            database_url,
            "keys",
            "create",
            "--program",
            str(demo["program_id"]),
            "--scopes",
            "read_customers,write_customers",
            "--json",
        )
    )
    assert created["api_key"].startswith("pat_")
    status, body = await whoami(database_url, created["api_key"])
    assert status == 200
    assert body["identity"]["scopes"] == ["read_customers", "write_customers"]


def test_keys_create_refuses_an_unknown_scope(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    result = tessera(
        database_url,
        "keys",
        "create",
        "--program",
        str(demo["program_id"]),
        "--scopes",
        "read_everything",
        check=False,
    )
    assert result.returncode == 1
    assert "unknown scope read_everything" in result.stderr
    assert "Traceback" not in result.stderr


def test_keys_create_refuses_a_malformed_rate_limit(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    result = tessera(
        database_url,
        "keys",
        "create",
        "--program",
        str(demo["program_id"]),
        "--rate-limit",
        "fast",
        check=False,
    )
    assert result.returncode == 1
    assert "is not a rate limit" in result.stderr


def test_keys_create_for_a_missing_program_says_so(database_url: str) -> None:
    result = tessera(
        database_url,
        "keys",
        "create",
        "--program",
        "4242",
        "--scopes",
        "read_customers",
        check=False,
    )
    assert result.returncode == 1
    assert "No program with id 4242" in result.stderr


def test_keys_create_without_scopes_is_refused(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    result = tessera(
        database_url, "keys", "create", "--program", str(demo["program_id"]), check=False
    )
    assert result.returncode == 1
    assert "name the key's scopes with --scopes" in result.stderr


async def test_keys_revoke_stops_the_key_working(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    keys = json_of(tessera(database_url, "keys", "list", "--json"))
    active = [k for k in keys if k["revoked_at"] is None]
    assert len(active) == 1
    assert "api_key" not in active[0] and demo["api_key"] not in json.dumps(keys)
    tessera(database_url, "keys", "revoke", str(active[0]["id"]))
    assert (await whoami(database_url, demo["api_key"]))[0] == 401


def test_sites_create_prints_the_legacy_credentials_once(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    site = json_of(
        tessera(
            database_url,
            "sites",
            "create",
            "--program",
            str(demo["program_id"]),
            "--name",
            "Nordic store",
            "--languages",
            "sv,en",
            "--currencies",
            "sek",
            "--json",
        )
    )
    assert site["site_id"] != demo["site_id"]
    assert len(site["token"]) >= 32 and len(site["secret"]) >= 32


def test_sites_create_refuses_a_bad_currency(database_url: str) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    result = tessera(
        database_url,
        "sites",
        "create",
        "--program",
        str(demo["program_id"]),
        "--name",
        "Bad",
        "--currencies",
        "dollars",
        check=False,
    )
    assert result.returncode == 1
    assert "'dollars' is not an ISO 4217 currency code" in result.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_bad_setting_is_an_error_message_not_a_traceback(database_url: str) -> None:
    env = {**os.environ, "TESSERA_DATABASE_URL": database_url, "TESSERA_LOG_LEVEL": "chatty"}
    result = subprocess.run(
        [sys.executable, "-m", "tessera", "migrate"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "TESSERA_LOG_LEVEL must be one of" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--primary-colour", "red;}", "theme.primary_colour: must be a hex colour"),
        ("--logo-url", "http://logo.example/a.png", "theme.logo_url: must be an https:// URL"),
    ],
)
def test_sites_create_refuses_a_theme_the_page_could_not_use(
    database_url: str, option: str, value: str, message: str
) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    result = tessera(
        database_url,
        "sites",
        "create",
        "--program",
        str(demo["program_id"]),
        "--name",
        "Themed",
        option,
        value,
        check=False,
    )
    assert result.returncode == 1
    assert message in result.stderr
