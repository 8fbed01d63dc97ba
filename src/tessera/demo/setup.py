"""``tessera demo``: an idempotent demo program, site, configuration, members and keys."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import yaml
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.keys import active_keys_named, create_key, revoke_keys_named
from tessera.auth.scopes import SCOPES
from tessera.auth.stripe_keys import (
    active_stripe_keys_named,
    create_stripe_keys,
    revoke_stripe_keys,
)
from tessera.demo.members import seed_demo_members
from tessera.kit.errors import Invalid
from tessera.programs.configuration import apply_document, current_document, parse_document
from tessera.programs.sites import create_program, create_site, find_program_by_name, list_sites

DEMO_PROGRAM = "Tessera Rewards"
DEMO_KEY_NAME = "demo"
DEMO_THEME = {
    "primary_colour": "#5b3cc4",
    "background_colour": "#f7f5ff",
    "text_colour": "#1d1b2c",
    "logo_url": "",
}


@dataclass(frozen=True, slots=True)
class DemoKey:
    """One of the demo's keys. Its secret is known only to the run that created it: a key a
    previous run made is kept, shown by what tells it apart (``pat_1a2b…``)."""

    id: int
    shown: str
    secret: str | None = None

    @property
    def kept(self) -> bool:
        return self.secret is None


@dataclass(frozen=True, slots=True)
class Demo:
    program_id: int
    site_id: int
    created: bool
    api_key: DemoKey
    stripe_secret_key: DemoKey
    stripe_publishable_key: DemoKey


def demo_document_data() -> object:
    return yaml.safe_load(files("tessera.demo").joinpath("program.yaml").read_text("utf-8"))


async def set_up_demo(
    conn: AsyncConnection,
    *,
    rate_limit: str | None = None,
    rotate_keys: bool = False,
    server_key: bytes | None = None,
) -> Demo:
    """Create the demo once; later runs reuse it and keep its keys (a user may have them in
    their scripts). A secret is shown only when it is created, so a kept key comes back
    without it; ``rotate_keys`` revokes the demo's keys and makes new ones."""
    program = await find_program_by_name(conn, DEMO_PROGRAM)
    created = program is None
    if program is None:
        program = await create_program(conn, DEMO_PROGRAM)
        await create_site(
            conn,
            program.id,
            name="Tessera Demo Store",
            url="https://demo.tessera.example",
            platform="custom",
            languages=["en", "de", "es", "fr", "it", "nl", "sv"],
            currencies=["usd", "eur", "gbp", "sek"],
            default_language="en",
            default_currency="usd",
            theme=DEMO_THEME,
            server_key=server_key,
        )
    document = parse_document(demo_document_data())
    if await current_document(conn, program.id) != document:
        await apply_document(conn, program.id, document)
    site = (await list_sites(conn, program.id))[-1]
    await seed_demo_members(conn, site)
    api_key = await _demo_api_key(conn, program.id, rate_limit, rotate_keys)
    secret, publishable = await _demo_stripe_keys(conn, program.id, rate_limit, rotate_keys)
    return Demo(program.id, site.id, created, api_key, secret, publishable)


def _check_kept_limit(kept: str | None, wanted: str | None) -> None:
    if wanted is not None and kept != wanted:
        raise Invalid(
            f"The demo keeps its keys, whose rate limit is {kept or 'the default'}, not "
            f"{wanted}; `tessera demo --rotate-keys` makes new keys with that limit"
        )


async def _demo_api_key(
    conn: AsyncConnection, program_id: int, rate_limit: str | None, rotate: bool
) -> DemoKey:
    active = await active_keys_named(conn, program_id, DEMO_KEY_NAME)
    if active and not rotate:
        key = active[-1]
        _check_kept_limit(key.rate_limit, rate_limit)
        return DemoKey(key.id, key.display_prefix + "…")
    await revoke_keys_named(conn, program_id, DEMO_KEY_NAME)
    made = await create_key(
        conn, program_id, list(SCOPES), name=DEMO_KEY_NAME, rate_limit=rate_limit
    )
    return DemoKey(made.key.id, made.key.display_prefix + "…", made.secret)


async def _demo_stripe_keys(
    conn: AsyncConnection, program_id: int, rate_limit: str | None, rotate: bool
) -> tuple[DemoKey, DemoKey]:
    """The demo's test-mode pair: kept while both keys of it are active, else made anew."""
    active = await active_stripe_keys_named(conn, program_id, DEMO_KEY_NAME)
    by_kind = {info.key.kind: info.key for info in active}
    secret, publishable = by_kind.get("secret"), by_kind.get("publishable")
    if secret is not None and publishable is not None and not rotate:
        _check_kept_limit(secret.rate_limit, rate_limit)
        return DemoKey(secret.id, secret.masked), DemoKey(publishable.id, publishable.masked)
    await revoke_stripe_keys(conn, program_id, DEMO_KEY_NAME)
    made = await create_stripe_keys(conn, program_id, name=DEMO_KEY_NAME, rate_limit=rate_limit)
    return (
        DemoKey(made.secret.id, made.secret.masked, made.secret_key),
        DemoKey(made.publishable.id, made.publishable.masked, made.publishable_key),
    )


__all__ = ["Demo", "DemoKey", "set_up_demo"]
