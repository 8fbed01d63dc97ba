"""The site secret kept sealed beside its hash: the hash authenticates the site (legacy
SiteTokenSecret), the sealed copy signs the site's LoyaltyLion webhooks
(``x-loyaltylion-hmac-sha256``), which a receiver checks with the same secret."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.sealing import seal, unseal
from tessera.store.tables import sites

PURPOSE = "site-secret"


def seal_site_secret(server_key: bytes, secret: str) -> bytes:
    return seal(server_key, PURPOSE, secret.encode())


async def site_signing_secret(
    conn: AsyncConnection, site_id: int, server_key: bytes
) -> bytes | None:
    """The site's secret, or None for a site whose secret was issued before secrets were kept
    sealed, or was sealed under another server key (rotating it with `tessera sites
    rotate-secret` seals a new one under this key)."""
    sealed = (
        await conn.execute(sa.select(sites.c.secret_sealed).where(sites.c.id == site_id))
    ).scalar_one_or_none()
    if sealed is None:
        return None
    try:
        return unseal(server_key, PURPOSE, sealed)
    except InvalidTag:
        return None
