"""The loyalty program an Admin API key acts on.

A key belongs to a program, not a site; the engine's program view needs a site (its default
language and currency name tiers and bound them, its URL is the referral links' base), so the
Admin API uses the program's first site: its primary one.
"""

from __future__ import annotations

from tessera.auth.principal import Principal
from tessera.kit.errors import NotFound
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.program_cache import program_in_force
from tessera.programs.sites import list_sites
from tessera.state import Tessera


async def admin_program(tessera: Tessera, principal: Principal) -> LoyaltyProgram:
    async with tessera.engine.connect() as conn:
        sites = await list_sites(conn, principal.program_id)
    if not sites:
        raise NotFound("program", "This program has no site yet")
    return await program_in_force(tessera.engine, sites[-1])
