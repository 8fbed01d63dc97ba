"""Programs and sites: the tenants. Every read here is scoped by ``program_id``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.revocations import record_revocation
from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Conflict, Invalid, NotFound
from tessera.kit.secrets import hash_secret, new_secret
from tessera.programs.overview import DELETED_WITH_SITE, describe_usage, site_usage
from tessera.programs.site_secrets import seal_site_secret
from tessera.programs.site_settings import (
    DEFAULT_THEME,
    SiteChanges,
    check_theme,
    checked_currencies,
    checked_default,
    checked_languages,
    checked_name,
    checked_url,
)
from tessera.store.tables import programs, sites


@dataclass(frozen=True, slots=True)
class Program:
    id: int
    account_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    program_id: int
    account_id: int
    name: str
    url: str
    platform: str
    default_language: str
    languages: tuple[str, ...]
    default_currency: str
    currencies: tuple[str, ...]
    theme: dict[str, str]
    created_at: datetime
    updated_at: datetime

    def supported_language(self, requested: str) -> str | None:
        """The site's language for ``requested`` (any case, ``fr_CA`` or ``fr-CA``), falling
        back to the base language (``fr``); None when the site has neither."""
        wanted = requested.strip().lower().replace("_", "-")
        if wanted in self.languages:
            return wanted
        base = wanted.split("-", 1)[0]
        return base if base in self.languages else None

    def supported_currency(self, requested: str) -> str | None:
        wanted = requested.strip().lower()
        return wanted if wanted in self.currencies else None

    def effective_language(self, requested: str | None) -> str:
        """What a WebView shows: the supported language, else the site default."""
        return (requested and self.supported_language(requested)) or self.default_language

    def effective_currency(self, requested: str | None) -> str:
        return (requested and self.supported_currency(requested)) or self.default_currency


@dataclass(frozen=True, slots=True)
class SiteCredentials:
    """What ``create_site`` returns once: the legacy token and the secret in clear."""

    site: Site
    token: str
    secret: str


_SITE_COLUMNS = (
    sites.c.id,
    sites.c.program_id,
    programs.c.account_id,
    sites.c.name,
    sites.c.url,
    sites.c.platform,
    sites.c.default_language,
    sites.c.languages,
    sites.c.default_currency,
    sites.c.currencies,
    sites.c.theme,
    sites.c.created_at,
    sites.c.updated_at,
)


def _site(row: sa.Row[Any]) -> Site:
    return Site(
        id=row.id,
        program_id=row.program_id,
        account_id=row.account_id,
        name=row.name,
        url=row.url,
        platform=row.platform,
        default_language=row.default_language,
        languages=tuple(row.languages),
        default_currency=row.default_currency,
        currencies=tuple(row.currencies),
        theme={**DEFAULT_THEME, **row.theme},
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _site_query() -> sa.Select[Any]:
    return sa.select(*_SITE_COLUMNS).join(programs, programs.c.id == sites.c.program_id)


async def create_program(
    conn: AsyncConnection, name: str, account_id: int | None = None
) -> Program:
    if not name.strip():
        raise Invalid("A program needs a name", {"name": "must not be empty"})
    now = utcnow()
    # One account per program unless told otherwise: the account id only matters to whoami.
    result = await conn.execute(
        programs.insert()
        .values(account_id=account_id or 0, name=name.strip(), created_at=now, updated_at=now)
        .returning(programs.c.id)
    )
    program_id = result.scalar_one()
    if account_id is None:
        await conn.execute(
            programs.update().where(programs.c.id == program_id).values(account_id=program_id)
        )
    return Program(id=program_id, account_id=account_id or program_id, name=name.strip())


async def get_program(conn: AsyncConnection, program_id: int) -> Program:
    row = (await conn.execute(sa.select(programs).where(programs.c.id == program_id))).one_or_none()
    if row is None:
        raise NotFound("program", f"No program with id {program_id}")
    return Program(id=row.id, account_id=row.account_id, name=row.name)


async def find_program_by_name(conn: AsyncConnection, name: str) -> Program | None:
    row = (
        await conn.execute(
            sa.select(programs).where(programs.c.name == name).order_by(programs.c.id).limit(1)
        )
    ).one_or_none()
    return None if row is None else Program(id=row.id, account_id=row.account_id, name=row.name)


async def create_site(
    conn: AsyncConnection,
    program_id: int,
    *,
    name: str,
    url: str = "",
    platform: str = "custom",
    languages: list[str],
    currencies: list[str],
    default_language: str | None = None,
    default_currency: str | None = None,
    theme: dict[str, str] | None = None,
    server_key: bytes | None = None,
) -> SiteCredentials:
    """A new site with a fresh token and secret. With ``server_key`` the secret is also kept
    sealed (tessera.programs.site_secrets), so the site's LoyaltyLion webhooks can be signed."""
    await get_program(conn, program_id)
    name, url = checked_name(name), checked_url(url)
    langs, currs = checked_languages(languages), checked_currencies(currencies)
    default_language = checked_default(default_language, langs, "default_language", "languages")
    default_currency = checked_default(default_currency, currs, "default_currency", "currencies")
    check_theme(theme or {})
    token, secret = new_secret(), new_secret()
    now = utcnow()
    site_id = (
        await conn.execute(
            sites.insert()
            .values(
                program_id=program_id,
                name=name,
                url=url,
                platform=platform,
                default_language=default_language,
                languages=langs,
                default_currency=default_currency,
                currencies=currs,
                token=token,
                secret_hash=hash_secret(secret),
                secret_sealed=None if server_key is None else seal_site_secret(server_key, secret),
                theme=theme or {},
                created_at=now,
                updated_at=now,
            )
            .returning(sites.c.id)
        )
    ).scalar_one()
    return SiteCredentials(
        site=await get_site(conn, program_id, site_id), token=token, secret=secret
    )


async def get_site(conn: AsyncConnection, program_id: int, site_id: int) -> Site:
    """The site, if it belongs to ``program_id``; otherwise NotFound (never Forbidden)."""
    row = (
        await conn.execute(
            _site_query().where(sites.c.id == site_id, sites.c.program_id == program_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("site", f"Site {site_id} not found")
    return _site(row)


async def list_sites(conn: AsyncConnection, program_id: int) -> list[Site]:
    rows = await conn.execute(
        _site_query().where(sites.c.program_id == program_id).order_by(sites.c.id.desc())
    )
    return [_site(row) for row in rows]


async def all_sites(conn: AsyncConnection, program_id: int | None = None) -> list[Site]:
    """Every program's sites, or one program's, oldest first: for the operator's CLI, which
    sees every program (a request's lookups go through ``get_site``)."""
    query = _site_query().order_by(sites.c.id)
    if program_id is not None:
        query = query.where(sites.c.program_id == program_id)
    return [_site(row) for row in await conn.execute(query)]


async def find_site(conn: AsyncConnection, site_id: int) -> Site:
    """The site with this id in whichever program (the operator's CLI names sites by id)."""
    row = (await conn.execute(_site_query().where(sites.c.id == site_id))).one_or_none()
    if row is None:
        raise NotFound("site", f"No site with id {site_id}")
    return _site(row)


async def find_site_by_token(conn: AsyncConnection, token: str) -> tuple[Site, str] | None:
    """The site behind a legacy token with its stored secret hash (for the caller to compare)."""
    row = (
        await conn.execute(
            _site_query().add_columns(sites.c.secret_hash).where(sites.c.token == token)
        )
    ).one_or_none()
    return None if row is None else (_site(row), row.secret_hash)


async def program_ids(conn: AsyncConnection) -> list[int]:
    """Every program's id, oldest first (for the scheduled tasks that visit each program)."""
    return [
        int(row[0]) for row in await conn.execute(sa.select(programs.c.id).order_by(programs.c.id))
    ]


async def update_site(
    conn: AsyncConnection, program_id: int, site_id: int, changes: SiteChanges
) -> Site:
    """Change a site's settings, checked as ``create_site`` checks them; every worker sees the
    change within ``CHECK_SECONDS`` (its cached sites are dropped)."""
    site = await get_site(conn, program_id, site_id)
    if changes.is_empty():
        raise Invalid("Nothing to change: name at least one setting")
    # New languages (currencies) bring their own default, the first, as when creating a site.
    langs, currs = list(site.languages), list(site.currencies)
    kept_language: str | None = site.default_language
    kept_currency: str | None = site.default_currency
    if changes.languages is not None:
        langs, kept_language = checked_languages(changes.languages), None
    if changes.currencies is not None:
        currs, kept_currency = checked_currencies(changes.currencies), None
    stored = (
        await conn.execute(sa.select(sites.c.theme).where(sites.c.id == site_id))
    ).scalar_one()
    theme = {**stored, **changes.theme}
    check_theme(theme)
    values = {
        "name": site.name if changes.name is None else checked_name(changes.name),
        "url": site.url if changes.url is None else checked_url(changes.url),
        "languages": langs,
        "currencies": currs,
        "default_language": checked_default(
            changes.default_language or kept_language, langs, "default_language", "languages"
        ),
        "default_currency": checked_default(
            changes.default_currency or kept_currency, currs, "default_currency", "currencies"
        ),
        "theme": theme,
        "updated_at": utcnow(),
    }
    await conn.execute(sites.update().where(sites.c.id == site_id).values(**values))
    await record_revocation(conn)
    return await get_site(conn, program_id, site_id)


async def delete_site(conn: AsyncConnection, program_id: int, site_id: int) -> Site:
    """Delete a site nothing lasting refers to (Conflict ``site_in_use`` naming what does);
    its legacy token & secret stop working within ``CHECK_SECONDS``."""
    site = await get_site(conn, program_id, site_id)
    usage = await site_usage(conn, site_id)
    if usage:
        held = describe_usage(usage)
        raise Conflict("site_in_use", f"Site {site_id} holds {held}: deleting it would orphan them")
    for table in DELETED_WITH_SITE:
        await conn.execute(table.delete().where(table.c.site_id == site_id))
    try:
        await conn.execute(sites.delete().where(sites.c.id == site_id))
    except sa.exc.IntegrityError:  # a customer of the site was created since the count
        raise Conflict("site_in_use", f"Site {site_id} gained data while being deleted") from None
    await record_revocation(conn)
    return site


async def rotate_site_secret(
    conn: AsyncConnection, program_id: int, site_id: int, *, server_key: bytes
) -> SiteCredentials:
    """A new legacy secret for the site (returned once, stored as a hash, and sealed under
    ``server_key`` to sign the site's LoyaltyLion webhooks); the old one is refused by every
    worker within ``CHECK_SECONDS``. The token stays."""
    await get_site(conn, program_id, site_id)
    secret = new_secret()
    token = (
        await conn.execute(
            sites.update()
            .where(sites.c.id == site_id)
            .values(
                secret_hash=hash_secret(secret),
                secret_sealed=seal_site_secret(server_key, secret),
                updated_at=utcnow(),
            )
            .returning(sites.c.token)
        )
    ).scalar_one()
    await record_revocation(conn)
    return SiteCredentials(
        site=await get_site(conn, program_id, site_id), token=token, secret=secret
    )
