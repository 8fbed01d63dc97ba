"""Programs and sites: the tenants. Every read here is scoped by ``program_id``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.kit.secrets import hash_secret, new_secret
from tessera.programs.site_secrets import seal_site_secret
from tessera.store.tables import programs, sites

DEFAULT_THEME: dict[str, str] = {
    "primary_colour": "#3b3b98",
    "background_colour": "#ffffff",
    "text_colour": "#1f2933",
    "logo_url": "",
}


_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def check_theme(theme: dict[str, str]) -> None:
    """Colours are ``#rgb`` or ``#rrggbb``; a logo is an https URL. Anything else would be
    dropped when a page is drawn, so it is refused here, where the merchant can fix it."""
    details = {
        f"theme.{name}": "is not a known setting" for name in theme if name not in DEFAULT_THEME
    }
    for name in ("primary_colour", "background_colour", "text_colour"):
        if name in theme and _COLOUR.fullmatch(theme[name]) is None:
            details[f"theme.{name}"] = "must be a hex colour such as #3b3b98"
    logo = theme.get("logo_url", "")
    if logo and (not logo.startswith("https://") or any(c in logo for c in " \"'<>\n")):
        details["theme.logo_url"] = "must be an https:// URL"
    if details:
        raise Invalid("Invalid site theme", details)


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


def _codes(values: list[str], field: str, length: int | None = None) -> list[str]:
    cleaned = [v.strip().lower() for v in values if v.strip()]
    if not cleaned:
        raise Invalid("Invalid site", {field: "must name at least one value"})
    for value in cleaned:
        if length is not None and (len(value) != length or not value.isalpha()):
            raise Invalid("Invalid site", {field: f"{value!r} is not an ISO 4217 currency code"})
    return list(dict.fromkeys(cleaned))


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
    langs = _codes(languages, "languages")
    currs = _codes(currencies, "currencies", length=3)
    default_language = (default_language or langs[0]).lower()
    default_currency = (default_currency or currs[0]).lower()
    if default_language not in langs:
        raise Invalid("Invalid site", {"default_language": "must be one of the site's languages"})
    if default_currency not in currs:
        raise Invalid("Invalid site", {"default_currency": "must be one of the site's currencies"})
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
