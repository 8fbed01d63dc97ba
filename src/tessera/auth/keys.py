"""API keys (``pat_``): created once in clear, stored as a hash, looked up through a small cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from limits import parse as parse_limit
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.revocations import record_revocation
from tessera.auth.scopes import parse_scopes
from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.kit.secrets import hash_secret, new_secret
from tessera.programs.sites import get_program
from tessera.store.tables import api_keys, programs

KEY_PREFIX = "pat_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    program_id: int
    account_id: int
    name: str
    display_prefix: str
    scopes: frozenset[str]
    rate_limit: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str


def validate_rate_limit(value: str | None) -> str | None:
    """``"5000/second"`` and the other forms the ``limits`` library reads, or ValueError."""
    if value is None:
        return None
    try:
        parse_limit(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a rate limit; write it like 100/second or 6000/minute"
        ) from None
    return value


def _key(row: sa.Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        program_id=row.program_id,
        account_id=row.account_id,
        name=row.name,
        display_prefix=row.display_prefix,
        scopes=frozenset(row.scopes),
        rate_limit=row.rate_limit,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


def _query() -> sa.Select[Any]:
    return sa.select(api_keys, programs.c.account_id).join(
        programs, programs.c.id == api_keys.c.program_id
    )


async def create_key(
    conn: AsyncConnection,
    program_id: int,
    scopes: list[str],
    *,
    name: str = "",
    rate_limit: str | None = None,
) -> CreatedKey:
    await get_program(conn, program_id)
    try:
        scopes = parse_scopes(scopes)
        rate_limit = validate_rate_limit(rate_limit)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    secret = new_secret(KEY_PREFIX)
    key_id = (
        await conn.execute(
            api_keys.insert()
            .values(
                program_id=program_id,
                name=name,
                display_prefix=secret[: len(KEY_PREFIX) + 4],
                key_hash=hash_secret(secret),
                scopes=scopes,
                rate_limit=rate_limit,
                created_at=utcnow(),
            )
            .returning(api_keys.c.id)
        )
    ).scalar_one()
    row = (await conn.execute(_query().where(api_keys.c.id == key_id))).one()
    return CreatedKey(key=_key(row), secret=secret)


async def list_keys(conn: AsyncConnection, program_id: int | None = None) -> list[ApiKey]:
    query = _query().order_by(api_keys.c.id)
    if program_id is not None:
        query = query.where(api_keys.c.program_id == program_id)
    return [_key(row) for row in await conn.execute(query)]


async def get_key(conn: AsyncConnection, key_id: int) -> ApiKey:
    row = (await conn.execute(_query().where(api_keys.c.id == key_id))).one_or_none()
    if row is None:
        raise NotFound("api_key", f"No API key with id {key_id}")
    return _key(row)


async def active_keys_named(conn: AsyncConnection, program_id: int, name: str) -> list[ApiKey]:
    """The program's unrevoked keys with this name, oldest first (the demo keeps its key)."""
    query = _query().where(
        api_keys.c.program_id == program_id,
        api_keys.c.name == name,
        api_keys.c.revoked_at.is_(None),
    )
    return [_key(row) for row in await conn.execute(query.order_by(api_keys.c.id))]


async def revoke_key(conn: AsyncConnection, key_id: int) -> ApiKey:
    result = await conn.execute(
        api_keys.update()
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount:
        await record_revocation(conn)
    row = (await conn.execute(_query().where(api_keys.c.id == key_id))).one_or_none()
    if row is None:
        raise NotFound("api_key", f"No API key with id {key_id}")
    if result.rowcount == 0 and row.revoked_at is None:  # pragma: no cover - defensive
        raise Invalid(f"API key {key_id} could not be revoked")
    return _key(row)


async def revoke_keys_named(conn: AsyncConnection, program_id: int, name: str) -> int:
    """Revoke every active key of the program with this name (the demo rotates its key)."""
    result = await conn.execute(
        api_keys.update()
        .where(
            api_keys.c.program_id == program_id,
            api_keys.c.name == name,
            api_keys.c.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if result.rowcount:
        await record_revocation(conn)
    return int(result.rowcount)


async def find_active_key(conn: AsyncConnection, secret: str) -> ApiKey | None:
    row = (
        await conn.execute(
            _query().where(
                api_keys.c.key_hash == hash_secret(secret), api_keys.c.revoked_at.is_(None)
            )
        )
    ).one_or_none()
    return None if row is None else _key(row)
