"""``tessera demo``: an idempotent demo program, site, configuration and API key."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import yaml
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.keys import create_key, revoke_keys_named
from tessera.auth.scopes import SCOPES
from tessera.auth.stripe_keys import create_stripe_keys, revoke_stripe_keys
from tessera.demo.members import seed_demo_members
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
class Demo:
    program_id: int
    site_id: int
    api_key: str
    created: bool
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""


def demo_document_data() -> object:
    return yaml.safe_load(files("tessera.demo").joinpath("program.yaml").read_text("utf-8"))


async def set_up_demo(
    conn: AsyncConnection, *, rate_limit: str | None = None, server_key: bytes | None = None
) -> Demo:
    """Create the demo once; later runs reuse it. The API key is shown only when created, so
    every run issues a fresh demo key and revokes the previous one: one live demo key at a time."""
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
    await revoke_keys_named(conn, program.id, DEMO_KEY_NAME)
    key = await create_key(
        conn, program.id, list(SCOPES), name=DEMO_KEY_NAME, rate_limit=rate_limit
    )
    # The demo's Stripe test-mode keys rotate with its API key: one live pair at a time.
    await revoke_stripe_keys(conn, program.id, DEMO_KEY_NAME)
    stripe = await create_stripe_keys(conn, program.id, name=DEMO_KEY_NAME, rate_limit=rate_limit)
    return Demo(
        program_id=program.id,
        site_id=site.id,
        api_key=key.secret,
        created=created,
        stripe_secret_key=stripe.secret_key,
        stripe_publishable_key=stripe.publishable_key,
    )


__all__ = ["Demo", "set_up_demo"]
