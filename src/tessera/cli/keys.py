"""``tessera keys``: API keys (``pat_``) and Stripe keys, created, listed and revoked."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.keys import (
    ApiKey,
    create_key,
    get_key,
    list_keys,
    revoke_key,
    validate_rate_limit,
)
from tessera.auth.revocations import CHECK_SECONDS
from tessera.auth.scopes import SCOPES, parse_scopes
from tessera.cli.command import app
from tessera.cli.database import in_transaction
from tessera.cli.output import console, fail, note, print_json, table

keys_app = typer.Typer(
    help="Create, list and revoke API keys and Stripe keys.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

# What the CLI says once a revocation commits: tessera.auth.revocations makes it true.
REFUSED = (
    f"every worker refuses it within {CHECK_SECONDS:g} s, on every machine serving this database"
)


@keys_app.command("create")
def keys_create(
    program: Annotated[int, typer.Option(help="Program id.")],
    scopes: Annotated[str, typer.Option(help=f"Comma-separated: {','.join(SCOPES)}.")] = "",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    rate_limit: Annotated[
        str | None, typer.Option(help="Override the rate limits for this key, e.g. 5000/second.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    stripe: Annotated[
        bool, typer.Option("--stripe", help="Create Stripe keys: a secret and a publishable key.")
    ] = False,
    live: Annotated[bool, typer.Option("--live", help="Stripe keys for live mode.")] = False,
    restricted: Annotated[
        bool, typer.Option("--restricted", help="A restricted Stripe key (rk_) with --permissions.")
    ] = False,
    permissions: Annotated[
        str, typer.Option(help="Restricted key permissions, e.g. customer_sessions:write.")
    ] = "",
) -> None:
    """Create an API key. It is printed once and stored only as a hash."""
    if stripe or live or restricted:
        from tessera.cli.stripe_keys import create_stripe_keys

        create_stripe_keys(program, name, rate_limit, as_json, live, restricted, permissions)
        return
    try:
        scope_list = parse_scopes(scopes)
        validate_rate_limit(rate_limit)
    except ValueError as exc:
        fail(str(exc))
    if not scope_list:
        # A key without scopes is refused by every endpoint: almost surely not what was meant.
        fail(f"name the key's scopes with --scopes, from: {','.join(SCOPES)}")
    created = in_transaction(
        lambda conn: create_key(conn, program, scope_list, name=name, rate_limit=rate_limit)
    )
    if as_json:
        print_json({"api_key": created.secret, "id": created.key.id, "scopes": scope_list})
        return
    console.print(f"[green]✓[/] API key {created.key.id} for program {program}:")
    console.print(f"  [bold]{created.secret}[/]")
    console.print("  Store it now: Tessera keeps only its hash and cannot show it again.")


def _key_json(key: ApiKey) -> dict[str, object]:
    return {
        "id": key.id,
        "program_id": key.program_id,
        "name": key.name,
        "prefix": key.display_prefix,
        "scopes": sorted(key.scopes),
        "rate_limit": key.rate_limit,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def may_do(scopes: frozenset[str]) -> str:
    """The key's scopes in the documented order (``write_`` ones include their ``read_``)."""
    if scopes >= set(SCOPES):
        return "every scope"
    return ", ".join(s for s in SCOPES if s in scopes) or "nothing"


@keys_app.command("list")
def keys_list(
    program: Annotated[int | None, typer.Option(help="Only this program's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    stripe: Annotated[bool, typer.Option("--stripe", help="List Stripe keys instead.")] = False,
) -> None:
    """List keys and what each may do (never their secrets)."""
    if stripe:
        from tessera.cli.stripe_keys import list_stripe_keys

        list_stripe_keys(program, as_json)
        return
    found = in_transaction(lambda conn: list_keys(conn, program))
    if as_json:
        print_json([_key_json(k) for k in found])
        return
    shown = table("id", "program", "name", "key", "scopes", "limit", "created", "state")
    for k in found:
        shown.add_row(
            str(k.id),
            str(k.program_id),
            k.name,
            k.display_prefix + "…",
            may_do(k.scopes),
            k.rate_limit or "default",
            f"{k.created_at:%Y-%m-%d}",
            "[red]revoked[/]" if k.revoked_at else "[green]active[/]",
        )
    console.print(shown)
    note("A write_ scope includes its read_ one. Stripe keys: tessera keys list --stripe")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (see `keys list`).")],
    stripe: Annotated[bool, typer.Option("--stripe", help="Revoke a Stripe key.")] = False,
    with_publishable: Annotated[
        bool,
        typer.Option(
            "--with-publishable",
            help="With --stripe: also revoke the publishable key made with this secret key.",
        ),
    ] = False,
) -> None:
    """Revoke a key: once the command says so, every worker refuses it within 0.1 s."""
    if stripe:
        from tessera.cli.stripe_keys import revoke_stripe_key

        revoke_stripe_key(key_id, with_publishable)
        return
    if with_publishable:
        fail("--with-publishable goes with --stripe (an API key has no publishable key)")

    async def work(conn: AsyncConnection) -> tuple[ApiKey, bool]:
        key = await get_key(conn, key_id)
        if key.revoked_at is not None:
            return key, False
        return await revoke_key(conn, key_id), True

    key, revoked = in_transaction(work)
    if not revoked:
        console.print(
            f"API key {key.id} ({key.display_prefix}…) was already revoked "
            f"({key.revoked_at:%Y-%m-%d %H:%M} UTC); nothing changed"
        )
        return
    console.print(f"[green]✓[/] API key {key.id} ({key.display_prefix}…) is revoked: {REFUSED}")
