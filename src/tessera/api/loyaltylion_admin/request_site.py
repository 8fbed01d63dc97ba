"""The site an Admin API write acts on: ``?site_id``, which LoyaltyLion's reference requires
"only for programs that have multiple sites"; otherwise the program's only site (or, for a site
token & secret, its own site)."""

from __future__ import annotations

from tessera.api.paths import read_number
from tessera.auth.authenticate import site_for
from tessera.auth.principal import Principal
from tessera.kit.errors import Invalid, NotFound
from tessera.programs.sites import Site, list_sites
from tessera.state import Tessera


async def request_site(tessera: Tessera, principal: Principal, raw: str | None) -> Site:
    if raw:
        return await site_for(tessera, principal, read_number("site_id", raw))
    if principal.site_id is not None:
        return await site_for(tessera, principal, principal.site_id)
    async with tessera.engine.connect() as conn:
        found = await list_sites(conn, principal.program_id)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound("site", "This program has no site")
    raise Invalid(
        "The request is invalid", {"site_id": "is required: this program has several sites"}
    )
