"""``tessera keys ... --stripe``: Stripe key pairs, a secret (or restricted) key and its
publishable key."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth import stripe_keys as keys
from tessera.auth.keys import validate_rate_limit
from tessera.auth.stripe_keys import StripeKeyInfo
from tessera.cli.database import in_transaction
from tessera.cli.keys import REFUSED
from tessera.cli.output import console, fail, note, print_json, table

# What each kind of key may call (docs/stripe.md).
MAY = {"secret": "every endpoint", "publishable": "client side only"}


def create_stripe_keys(
    program: int,
    name: str,
    rate_limit: str | None,
    as_json: bool,
    live: bool,
    restricted: bool,
    permissions: str,
) -> None:
    try:
        validate_rate_limit(rate_limit)
        granted = keys.parse_permissions(permissions) if restricted else None
    except ValueError as exc:
        fail(str(exc))
    if restricted and not granted:
        fail("a restricted key needs --permissions, e.g. customer_sessions:write")
    created = in_transaction(
        lambda conn: keys.create_stripe_keys(
            conn,
            program,
            livemode=live,
            restricted_permissions=granted,
            name=name,
            rate_limit=rate_limit,
        )
    )
    if as_json:
        print_json(
            {
                "secret_key": created.secret_key,
                "secret_key_id": created.secret.id,
                "publishable_key": created.publishable_key,
                "publishable_key_id": created.publishable.id,
            }
        )
        return
    mode = "live" if live else "test"
    console.print(f"[green]✓[/] Stripe {mode}-mode keys for program {program}:")
    console.print(f"  secret ({created.secret.id}):      [bold]{created.secret_key}[/]")
    console.print(f"  publishable ({created.publishable.id}): [bold]{created.publishable_key}[/]")
    console.print("  Store them now: Tessera keeps only their hashes and cannot show them again.")


def _may(info: StripeKeyInfo) -> str:
    key = info.key
    return MAY.get(key.kind) or ", ".join(sorted(key.permissions or [])) or "nothing"


def list_stripe_keys(program: int | None, as_json: bool) -> None:
    found = in_transaction(lambda conn: keys.list_stripe_keys(conn, program))
    if as_json:
        print_json(
            [
                {
                    "id": info.key.id,
                    "program_id": info.key.program_id,
                    "name": info.name,
                    "kind": info.key.kind,
                    "livemode": info.key.livemode,
                    "key": info.key.masked,
                    "permissions": None
                    if info.key.permissions is None
                    else sorted(info.key.permissions),
                    "rate_limit": info.key.rate_limit,
                    "created_at": info.created_at.isoformat(),
                    "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
                }
                for info in found
            ]
        )
        return
    shown = table("id", "program", "name", "key", "may call", "limit", "created", "state")
    for info in found:
        key = info.key
        shown.add_row(
            str(key.id),
            str(key.program_id),
            info.name,
            key.masked,
            _may(info),
            key.rate_limit or "default",
            f"{info.created_at:%Y-%m-%d}",
            "[red]revoked[/]" if info.revoked_at else "[green]active[/]",
        )
    console.print(shown)
    note("sk_/rk_/pk_: secret, restricted, publishable; _test_ or _live_: the mode.")


def _revoked_line(info: StripeKeyInfo, revoked_now: bool) -> str:
    what = f"Stripe {info.key.kind} key {info.key.id} ({info.key.masked})"
    if revoked_now:
        return f"[green]✓[/] {what} is revoked: {REFUSED}"
    at = f"{info.revoked_at:%Y-%m-%d %H:%M} UTC" if info.revoked_at else ""
    return f"{what} was already revoked ({at}); nothing changed"


async def _revoke(conn: AsyncConnection, key_id: int) -> tuple[StripeKeyInfo, bool]:
    info = await keys.get_stripe_key(conn, key_id)
    if info.revoked_at is not None:
        return info, False
    return await keys.revoke_stripe_key(conn, key_id), True


def revoke_stripe_key(key_id: int, with_publishable: bool) -> None:
    async def work(
        conn: AsyncConnection,
    ) -> tuple[tuple[StripeKeyInfo, bool], tuple[StripeKeyInfo, bool] | None]:
        info = await keys.get_stripe_key(conn, key_id)
        if with_publishable and info.key.kind == "publishable":
            fail(
                f"Stripe key {key_id} is itself a publishable key: --with-publishable goes "
                "with the id of the secret key it was made with"
            )
        twin = await keys.publishable_twin(conn, info.key)
        revoked = await _revoke(conn, key_id)
        if twin is None or not with_publishable:
            return revoked, (twin, False) if twin is not None else None
        return revoked, await _revoke(conn, twin.key.id)

    (info, revoked_now), twin = in_transaction(work)
    console.print(_revoked_line(info, revoked_now))
    if twin is None:
        if with_publishable:
            note(f"No publishable key was made with Stripe key {key_id}.")
        return
    twin_info, twin_revoked = twin
    if with_publishable:
        console.print(_revoked_line(twin_info, twin_revoked))
    elif twin_info.revoked_at is None:
        note(
            f"Its publishable key {twin_info.key.id} ({twin_info.key.masked}) still works; "
            f"`tessera keys revoke --stripe {key_id} --with-publishable` revokes it too."
        )
