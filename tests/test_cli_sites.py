"""`tessera sites`: create, list, show, update, delete, rotate-secret, against both databases."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
import typer.main

from tessera.auth.revocations import CHECK_SECONDS
from tessera.cli import app
from tessera.config import Settings
from tessera.programs.site_settings import DEFAULT_THEME
from tests.conftest import app_client
from tests.test_cli import json_of, problem, run, tessera

THEME = {
    "--primary-colour": "#112233",
    "--background-colour": "#fafafa",
    "--text-colour": "#222",
    "--logo-url": "https://shop.example/logo.png",
}


def new_program(database_url: str) -> str:
    made = tessera(database_url, "programs", "create", "--name", "Club", "--json")
    return str(json_of(made)["program_id"])


def new_site(database_url: str, program: str, *options: str) -> Any:
    made = tessera(
        database_url, "sites", "create", "--program", program, "--name", "Shop", *options, "--json"
    )
    return json_of(made)


def shown(database_url: str, site: int) -> Any:
    return json_of(tessera(database_url, "sites", "show", str(site), "--json"))


def basic(token: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:{secret}".encode()).decode()}


async def mint(http: httpx.AsyncClient, site: int, headers: dict[str, str]) -> int:
    path = f"/v2/sites/{site}/webviews/sessions"
    return (await http.post(path, json={"channel": "app"}, headers=headers)).status_code


def long_cache(database_url: str) -> Settings:
    """A worker that would trust what it cached for ten minutes, but for revocations."""
    return Settings.from_env({"TESSERA_DATABASE_URL": database_url}).with_(auth_cache_ttl=600.0)


def test_sites_create_prints_the_legacy_credentials_once(database_url: str) -> None:
    program = new_program(database_url)
    site = new_site(database_url, program, "--languages", "sv,en", "--currencies", "sek")
    assert len(site["token"]) >= 32 and len(site["secret"]) >= 32
    assert site["secret"] not in tessera(database_url, "sites", "show", str(site["site_id"])).stdout


def test_sites_create_takes_every_theme_setting(database_url: str) -> None:
    options = [part for pair in THEME.items() for part in pair]
    site = new_site(database_url, new_program(database_url), *options)
    theme = shown(database_url, site["site_id"])["theme"]
    assert theme == {option[2:].replace("-", "_"): value for option, value in THEME.items()}


@pytest.mark.parametrize("command", ["create", "update"])
def test_every_theme_setting_has_an_option(command: str) -> None:
    group = typer.main.get_command(app).commands["sites"]  # type: ignore[attr-defined]
    options = {name for param in group.commands[command].params for name in param.opts}
    assert {"--" + name.replace("_", "-") for name in DEFAULT_THEME} <= options


def test_sites_create_refuses_a_bad_currency(database_url: str) -> None:
    program = new_program(database_url)
    result = tessera(
        database_url, "sites", "create", "--program", program, "--name", "Bad",
        "--currencies", "dollars", check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "'dollars' is not an ISO 4217 currency code" in result.stderr


def test_sites_create_refuses_a_language_babel_does_not_know(database_url: str) -> None:
    program = new_program(database_url)
    result = tessera(
        database_url, "sites", "create", "--program", program, "--name", "Bad",
        "--languages", "en,klingon", check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        problem(result) == "error: Invalid site (languages: 'klingon' is not a known language tag)"
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--primary-colour", "red;}", "theme.primary_colour: must be a hex colour"),
        ("--background-colour", "white", "theme.background_colour: must be a hex colour"),
        ("--text-colour", "#12", "theme.text_colour: must be a hex colour"),
        ("--logo-url", "http://logo.example/a.png", "theme.logo_url: must be an https:// URL"),
    ],
)
def test_sites_create_refuses_a_theme_the_page_could_not_use(
    database_url: str, option: str, value: str, message: str
) -> None:
    program = new_program(database_url)
    result = tessera(
        database_url, "sites", "create", "--program", program, "--name", "Themed", option, value,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert message in problem(result)
    assert json_of(tessera(database_url, "sites", "list", "--json")) == []


def test_sites_list_shows_one_programs_sites_oldest_first(database_url: str) -> None:
    first, second = new_program(database_url), new_program(database_url)
    a = new_site(database_url, first)["site_id"]
    new_site(database_url, second)
    b = new_site(database_url, first)["site_id"]
    listed = json_of(tessera(database_url, "sites", "list", "--program", first, "--json"))
    assert [site["id"] for site in listed] == [a, b]
    assert len(json_of(tessera(database_url, "sites", "list", "--json"))) == 3


def test_sites_show_names_an_unknown_site(database_url: str) -> None:
    result = tessera(database_url, "sites", "show", "4242", check=False)
    assert result.returncode == 1
    assert problem(result) == "error: No site with id 4242"


def test_sites_update_changes_only_what_it_names(database_url: str) -> None:
    site = new_site(database_url, new_program(database_url), "--languages", "en,de")["site_id"]
    before = shown(database_url, site)
    tessera(database_url, "sites", "update", str(site), "--name", "New", "--text-colour", "#000")
    after = shown(database_url, site)
    assert after["name"] == "New" and after["theme"]["text_colour"] == "#000"
    unchanged = ("languages", "default_language", "currencies", "url", "created_at")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after["theme"]["primary_colour"] == before["theme"]["primary_colour"]


def test_sites_update_languages_makes_the_first_the_default(database_url: str) -> None:
    site = new_site(database_url, new_program(database_url), "--languages", "en,de")["site_id"]
    tessera(database_url, "sites", "update", str(site), "--languages", "fr_CA,de")
    after = shown(database_url, site)
    assert (after["languages"], after["default_language"]) == (["fr-ca", "de"], "fr-ca")
    tessera(database_url, "sites", "update", str(site), "--default-language", "de")
    assert shown(database_url, site)["default_language"] == "de"


def test_sites_update_refuses_a_bad_value_and_changes_nothing(database_url: str) -> None:
    site = new_site(database_url, new_program(database_url))["site_id"]
    before = shown(database_url, site)
    result = tessera(
        database_url, "sites", "update", str(site), "--name", "New", "--default-currency", "eur",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "default_currency: must be one of the site's currencies" in problem(result)
    assert shown(database_url, site) == before


def test_sites_update_with_nothing_to_change_is_refused(database_url: str) -> None:
    site = new_site(database_url, new_program(database_url))["site_id"]
    result = tessera(database_url, "sites", "update", str(site), check=False)
    assert result.returncode == 1
    assert "name at least one setting to change" in problem(result)


def test_sites_delete_refuses_a_site_with_customers(database_url: str) -> None:
    site = json_of(tessera(database_url, "demo", "--json"))["site_id"]
    result = tessera(database_url, "sites", "delete", str(site), "--yes", check=False)
    assert result.returncode == 1
    assert problem(result).startswith(f"error: site {site} holds 5 customers")
    assert shown(database_url, site)["id"] == site


def test_sites_delete_without_yes_and_no_terminal_is_refused(database_url: str) -> None:
    site = new_site(database_url, new_program(database_url))["site_id"]
    result = run("sites", "delete", str(site), env={"TESSERA_DATABASE_URL": database_url})
    assert result.returncode == 1
    assert f"deleting site {site} needs --yes" in problem(result)
    assert shown(database_url, site)["id"] == site


async def test_a_deleted_sites_credentials_stop_working_in_a_running_worker(
    database_url: str,
) -> None:
    site = new_site(database_url, new_program(database_url))
    credentials = basic(site["token"], site["secret"])
    async with app_client(long_cache(database_url)) as http:
        assert await mint(http, site["site_id"], credentials) == 201
        deleted = tessera(database_url, "sites", "delete", str(site["site_id"]), "--yes")
        await asyncio.sleep(CHECK_SECONDS)
        assert await mint(http, site["site_id"], credentials) == 401
    assert "is deleted: every worker refuses its legacy token & secret" in deleted.stdout
    assert json_of(tessera(database_url, "sites", "list", "--json")) == []


async def test_rotate_secret_stops_the_old_secret_in_a_running_worker_and_keeps_the_token(
    database_url: str,
) -> None:
    site = new_site(database_url, new_program(database_url))
    old = basic(site["token"], site["secret"])
    async with app_client(long_cache(database_url)) as http:
        assert await mint(http, site["site_id"], old) == 201
        rotated = json_of(
            tessera(database_url, "sites", "rotate-secret", str(site["site_id"]), "--json")
        )
        await asyncio.sleep(CHECK_SECONDS)
        assert await mint(http, site["site_id"], old) == 401
        assert await mint(http, site["site_id"], basic(rotated["token"], rotated["secret"])) == 201
    assert rotated["token"] == site["token"] and rotated["secret"] != site["secret"]


async def test_a_running_worker_sees_an_updated_site_within_the_check_interval(
    database_url: str,
) -> None:
    demo = json_of(tessera(database_url, "demo", "--json"))
    auth = {"Authorization": f"Bearer {demo['api_key']}"}
    path = f"/headless/2025-06/{demo['site_id']}/configuration?channel=web"
    async with app_client(long_cache(database_url)) as http:
        assert (await http.get(path + "&currency=sek", headers=auth)).status_code == 200
        site = str(demo["site_id"])
        tessera(database_url, "sites", "update", site, "--currencies", "usd,eur")
        await asyncio.sleep(CHECK_SECONDS)
        answer = await http.get(path + "&currency=sek", headers=auth)
    assert answer.status_code == 400
    assert answer.json()["error"]["details"]["currency"].endswith("currencies: usd, eur")
