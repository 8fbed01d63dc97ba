"""``tessera sites``: a program's sites, their settings and their legacy credentials."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.revocations import CHECK_SECONDS
from tessera.cli.command import app
from tessera.cli.database import in_transaction, sealing_key
from tessera.cli.output import console, fail, note, print_json, table
from tessera.programs.overview import describe_usage, site_usage
from tessera.programs.site_settings import SiteChanges
from tessera.programs.sites import (
    Site,
    SiteCredentials,
    all_sites,
    create_site,
    delete_site,
    find_site,
    rotate_site_secret,
    update_site,
)

sites_app = typer.Typer(help="Manage a program's sites.", no_args_is_help=True)
app.add_typer(sites_app, name="sites")

SiteId = Annotated[int, typer.Argument(help="The site's id (see `sites list`).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Colour = Annotated[str | None, typer.Option(help="A #rgb or #rrggbb colour.")]
Languages = Annotated[
    str | None, typer.Option(help="Comma-separated language tags (en,de,fr-ca), default first.")
]
Currencies = Annotated[
    str | None, typer.Option(help="Comma-separated ISO 4217 codes (usd,eur), default first.")
]
LogoUrl = Annotated[str | None, typer.Option(help="An https:// logo for the page header.")]


def _theme(
    primary: str | None, background: str | None, text: str | None, logo: str | None
) -> dict[str, str]:
    given = {
        "primary_colour": primary,
        "background_colour": background,
        "text_colour": text,
        "logo_url": logo,
    }
    return {name: value for name, value in given.items() if value is not None}


def _split(values: str | None) -> list[str] | None:
    return None if values is None else values.split(",")


def site_json(site: Site) -> dict[str, object]:
    return {
        "id": site.id,
        "program_id": site.program_id,
        "name": site.name,
        "url": site.url,
        "platform": site.platform,
        "languages": list(site.languages),
        "default_language": site.default_language,
        "currencies": list(site.currencies),
        "default_currency": site.default_currency,
        "theme": site.theme,
        "created_at": site.created_at.isoformat(),
        "updated_at": site.updated_at.isoformat(),
    }


def _print_credentials(created: SiteCredentials, what: str) -> None:
    site = created.site
    console.print(
        f"[green]✓[/] site {site.id} ({escape(site.name)}) in program {site.program_id}{what}"
    )
    console.print(f"  legacy token:  {created.token}\n  legacy secret: [bold]{created.secret}[/]")


@sites_app.command("create")
def sites_create(
    program: Annotated[int, typer.Option(help="Program id.")],
    name: Annotated[str, typer.Option(help="Site name.")],
    url: Annotated[str, typer.Option(help="Store URL.")] = "",
    languages: Languages = "en",
    currencies: Currencies = "usd",
    primary_colour: Colour = None,
    background_colour: Colour = None,
    text_colour: Colour = None,
    logo_url: LogoUrl = None,
    as_json: AsJson = False,
) -> None:
    """Create a site; prints its id and its legacy token & secret (shown once)."""
    theme = _theme(primary_colour, background_colour, text_colour, logo_url)
    key = sealing_key()
    created = in_transaction(
        lambda conn: create_site(
            conn,
            program,
            name=name,
            url=url,
            languages=_split(languages) or [],
            currencies=_split(currencies) or [],
            theme=theme,
            server_key=key,
        )
    )
    if as_json:
        print_json({"site_id": created.site.id, "token": created.token, "secret": created.secret})
        return
    _print_credentials(created, "")
    console.print("  The secret is shown once; prefer API keys (`tessera keys create`).")


@sites_app.command("list")
def sites_list(
    program: Annotated[int | None, typer.Option(help="Only this program's sites.")] = None,
    as_json: AsJson = False,
) -> None:
    """List sites, oldest first: every program's, or one program's."""
    found = in_transaction(lambda conn: all_sites(conn, program))
    if as_json:
        print_json([site_json(site) for site in found])
        return
    shown = table("id", "program", "name", "url", "languages", "currencies", "created")
    for site in found:
        shown.add_row(
            str(site.id),
            str(site.program_id),
            escape(site.name),
            escape(site.url),
            ", ".join(site.languages),
            ", ".join(site.currencies),
            f"{site.created_at:%Y-%m-%d}",
        )
    console.print(shown)
    note("The first language and currency are the defaults.")


def _print_site(site: Site, usage: dict[str, int] | None = None) -> None:
    fields = Table(show_header=False, box=None, pad_edge=False)
    rows = [
        ("id", str(site.id)),
        ("program", str(site.program_id)),
        ("name", site.name),
        ("url", site.url or "-"),
        ("languages", f"{', '.join(site.languages)} (default {site.default_language})"),
        ("currencies", f"{', '.join(site.currencies)} (default {site.default_currency})"),
        *((f"theme.{name}", value or "-") for name, value in site.theme.items()),
        ("created", site.created_at.isoformat()),
        ("updated", site.updated_at.isoformat()),
    ]
    if usage is not None:
        rows.append(("holds", describe_usage(usage) or "nothing (it can be deleted)"))
    for label, value in rows:
        fields.add_row(label, escape(value))
    console.print(fields)


@sites_app.command("show")
def sites_show(site_id: SiteId, as_json: AsJson = False) -> None:
    """Show a site's settings and what it holds (customers, orders, activities)."""

    async def work(conn: AsyncConnection) -> tuple[Site, dict[str, int]]:
        return await find_site(conn, site_id), await site_usage(conn, site_id)

    site, usage = in_transaction(work)
    if as_json:
        print_json({**site_json(site), "holds": usage})
        return
    _print_site(site, usage)


@sites_app.command("update")
def sites_update(
    site_id: SiteId,
    name: Annotated[str | None, typer.Option(help="Site name.")] = None,
    url: Annotated[str | None, typer.Option(help="Store URL ('' for none).")] = None,
    languages: Languages = None,
    currencies: Currencies = None,
    default_language: Annotated[
        str | None, typer.Option(help="One of the site's languages.")
    ] = None,
    default_currency: Annotated[
        str | None, typer.Option(help="One of the site's currencies.")
    ] = None,
    primary_colour: Colour = None,
    background_colour: Colour = None,
    text_colour: Colour = None,
    logo_url: Annotated[str | None, typer.Option(help="An https:// logo ('' for none).")] = None,
    as_json: AsJson = False,
) -> None:
    """Change a site's settings; the others stay as they are.

    Values are checked as `sites create` checks them: a bad one changes nothing."""
    changes = SiteChanges(
        name=name,
        url=url,
        languages=_split(languages),
        currencies=_split(currencies),
        default_language=default_language,
        default_currency=default_currency,
        theme=_theme(primary_colour, background_colour, text_colour, logo_url),
    )
    if changes.is_empty():
        fail(f"name at least one setting to change (tessera sites update {site_id} --help)")

    async def work(conn: AsyncConnection) -> Site:
        site = await find_site(conn, site_id)
        return await update_site(conn, site.program_id, site_id, changes)

    site = in_transaction(work)
    if as_json:
        print_json(site_json(site))
        return
    console.print(
        f"[green]✓[/] site {site.id} is updated: every worker uses the new settings "
        f"within {CHECK_SECONDS:g} s"
    )
    _print_site(site)


@sites_app.command("delete")
def sites_delete(
    site_id: SiteId,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a site that holds no customers, orders or activities.

    A site that holds some is refused, and nothing changes. Its legacy token & secret stop
    working."""

    async def check(conn: AsyncConnection) -> tuple[Site, dict[str, int]]:
        return await find_site(conn, site_id), await site_usage(conn, site_id)

    site, usage = in_transaction(check)
    if usage:
        held = describe_usage(usage)
        fail(
            f"site {site_id} holds {held}: deleting it would orphan them, so it is kept "
            "(a site with customers cannot be deleted; change its settings with "
            "`tessera sites update` instead)"
        )
    if not yes:
        if not sys.stdin.isatty():
            fail(f"deleting site {site_id} needs --yes (there is no terminal to ask on)")
        typer.confirm(
            f"Delete site {site_id} ({site.name}) of program {site.program_id}?", abort=True
        )
    deleted = in_transaction(lambda conn: delete_site(conn, site.program_id, site_id))
    console.print(
        f"[green]✓[/] site {deleted.id} ({escape(deleted.name)}) is deleted: every worker "
        f"refuses its legacy token & secret within {CHECK_SECONDS:g} s"
    )


@sites_app.command("rotate-secret")
def sites_rotate_secret(site_id: SiteId, as_json: AsJson = False) -> None:
    """Give a site a new legacy secret (shown once); the old one stops working.

    Every worker refuses the old secret within 0.1 s; the token stays the same."""

    key = sealing_key()

    async def work(conn: AsyncConnection) -> SiteCredentials:
        site = await find_site(conn, site_id)
        return await rotate_site_secret(conn, site.program_id, site_id, server_key=key)

    rotated = in_transaction(work)
    if as_json:
        print_json({"site_id": rotated.site.id, "token": rotated.token, "secret": rotated.secret})
        return
    _print_credentials(rotated, ": a new legacy secret")
    console.print(
        f"  The old secret stops working: every worker refuses it within {CHECK_SECONDS:g} s. "
        "The token is unchanged; the new secret is shown once."
    )
