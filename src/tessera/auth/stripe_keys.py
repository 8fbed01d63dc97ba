"""Stripe API keys: secret (``sk_``), restricted (``rk_``) and publishable (``pk_``), per mode.

A program's Stripe keys come in sets: a secret key (or a restricted one, with permissions) and
its publishable key, both for test or both for live mode. The mode of the key is the mode of
every object it creates or sees. Like every Tessera secret, a key is stored only as a hash,
beside its prefix and last four characters for masking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.keys import validate_rate_limit
from tessera.auth.revocations import record_revocation
from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.kit.secrets import hash_secret, mask, new_secret
from tessera.programs.sites import get_program
from tessera.store.tables import stripe_keys

KeyKind = Literal["secret", "restricted", "publishable"]

KIND_PREFIX: dict[KeyKind, str] = {"secret": "sk", "restricted": "rk", "publishable": "pk"}

# Resources a restricted key can be granted, at "read" or "write" (write implies read).
RESOURCES: tuple[str, ...] = (
    "customers",
    "customer_sessions",
    "payment_methods",
    "webhook_endpoints",
    "events",  # read is what there is to do with events
)
LEVELS: tuple[str, ...] = ("read", "write")

# 24 bytes: Stripe's keys are long, and ours carry more than the 128-bit floor.
KEY_BYTES = 24


@dataclass(frozen=True, slots=True)
class StripeKey:
    id: int
    program_id: int
    kind: KeyKind
    livemode: bool
    display_prefix: str
    last4: str
    permissions: frozenset[str] | None
    rate_limit: str | None

    @property
    def masked(self) -> str:
        return f"{self.display_prefix}{'*' * 8}{self.last4}"

    def allows(self, permission: str) -> bool:
        """``customers:read``: secret keys may do everything; restricted keys what they hold."""
        if self.kind == "secret":
            return True
        if self.kind != "restricted" or self.permissions is None:
            return False
        resource, _, level = permission.partition(":")
        return permission in self.permissions or (
            level == "read" and f"{resource}:write" in self.permissions
        )


@dataclass(frozen=True, slots=True)
class CreatedStripeKeys:
    secret_key: str
    publishable_key: str
    secret: StripeKey
    publishable: StripeKey


def key_prefix(kind: KeyKind, livemode: bool) -> str:
    return f"{KIND_PREFIX[kind]}_{'live' if livemode else 'test'}_"


def parse_permissions(raw: str | list[str]) -> list[str]:
    """``"customers:read,customer_sessions:write"`` to a list; ValueError names a bad entry."""
    items = raw.split(",") if isinstance(raw, str) else raw
    permissions = list(dict.fromkeys(p.strip() for p in items if p.strip()))
    known = [f"{resource}:{level}" for resource in RESOURCES for level in LEVELS]
    unknown = [p for p in permissions if p not in known]
    if unknown:
        raise ValueError(
            f"unknown permission {', '.join(unknown)}; known permissions are {', '.join(known)}"
        )
    return permissions


def _key(row: sa.Row[Any]) -> StripeKey:
    return StripeKey(
        id=row.id,
        program_id=row.program_id,
        kind=row.kind,
        livemode=row.livemode,
        display_prefix=row.display_prefix,
        last4=row.last4,
        permissions=None if row.permissions is None else frozenset(row.permissions),
        rate_limit=row.rate_limit,
    )


async def _insert(
    conn: AsyncConnection,
    program_id: int,
    kind: KeyKind,
    livemode: bool,
    *,
    name: str,
    permissions: list[str] | None,
    rate_limit: str | None,
    now: datetime,
) -> tuple[str, StripeKey]:
    prefix = key_prefix(kind, livemode)
    secret = new_secret(prefix, KEY_BYTES)
    row = (
        await conn.execute(
            stripe_keys.insert()
            .values(
                program_id=program_id,
                kind=kind,
                livemode=livemode,
                name=name,
                display_prefix=prefix,
                last4=secret[-4:],
                key_hash=hash_secret(secret),
                permissions=permissions,
                rate_limit=rate_limit,
                created_at=now,
            )
            .returning(*stripe_keys.c)
        )
    ).one()
    return secret, _key(row)


async def create_stripe_keys(
    conn: AsyncConnection,
    program_id: int,
    *,
    livemode: bool = False,
    restricted_permissions: list[str] | None = None,
    name: str = "",
    rate_limit: str | None = None,
) -> CreatedStripeKeys:
    """A secret key (restricted when permissions are given) and a publishable key."""
    await get_program(conn, program_id)
    try:
        rate_limit = validate_rate_limit(rate_limit)
        permissions = (
            None if restricted_permissions is None else parse_permissions(restricted_permissions)
        )
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    now = utcnow()
    kind: KeyKind = "secret" if permissions is None else "restricted"
    secret, secret_key = await _insert(
        conn,
        program_id,
        kind,
        livemode,
        name=name,
        permissions=permissions,
        rate_limit=rate_limit,
        now=now,
    )
    publishable, publishable_key = await _insert(
        conn,
        program_id,
        "publishable",
        livemode,
        name=name,
        permissions=None,
        rate_limit=rate_limit,
        now=now,
    )
    return CreatedStripeKeys(secret, publishable, secret_key, publishable_key)


async def revoke_stripe_keys(conn: AsyncConnection, program_id: int, name: str) -> int:
    """Revoke every active key of the program with this name (the demo rotates its keys)."""
    result = await conn.execute(
        stripe_keys.update()
        .where(
            stripe_keys.c.program_id == program_id,
            stripe_keys.c.name == name,
            stripe_keys.c.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if result.rowcount:
        await record_revocation(conn)
    return int(result.rowcount)


async def find_stripe_key(conn: AsyncConnection, secret: str) -> StripeKey | None:
    row = (
        await conn.execute(
            sa.select(stripe_keys).where(
                stripe_keys.c.key_hash == hash_secret(secret), stripe_keys.c.revoked_at.is_(None)
            )
        )
    ).one_or_none()
    return None if row is None else _key(row)


def mask_presented_key(secret: str) -> str:
    """``sk_test_********1234`` for whatever was presented, known or not."""
    parts = secret.split("_", 2)
    return mask(secret, f"{parts[0]}_{parts[1]}_" if len(parts) == 3 else "")


@dataclass(frozen=True, slots=True)
class StripeKeyInfo:
    """A key as an operator lists it: masked, never its secret."""

    key: StripeKey
    name: str
    created_at: datetime
    revoked_at: datetime | None


def _info(row: sa.Row[Any]) -> StripeKeyInfo:
    return StripeKeyInfo(
        key=_key(row),
        name=row.name,
        created_at=as_utc(row.created_at),
        revoked_at=None if row.revoked_at is None else as_utc(row.revoked_at),
    )


async def list_stripe_keys(
    conn: AsyncConnection, program_id: int | None = None
) -> list[StripeKeyInfo]:
    query = sa.select(stripe_keys).order_by(stripe_keys.c.id)
    if program_id is not None:
        query = query.where(stripe_keys.c.program_id == program_id)
    return [_info(row) for row in await conn.execute(query)]


async def revoke_stripe_key(conn: AsyncConnection, key_id: int) -> StripeKeyInfo:
    result = await conn.execute(
        stripe_keys.update()
        .where(stripe_keys.c.id == key_id, stripe_keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount:
        await record_revocation(conn)
    row = (
        await conn.execute(sa.select(stripe_keys).where(stripe_keys.c.id == key_id))
    ).one_or_none()
    if row is None:
        raise NotFound("stripe_key", f"No Stripe key with id {key_id}")
    return _info(row)


async def get_stripe_key(conn: AsyncConnection, key_id: int) -> StripeKeyInfo:
    row = (
        await conn.execute(sa.select(stripe_keys).where(stripe_keys.c.id == key_id))
    ).one_or_none()
    if row is None:
        raise NotFound("stripe_key", f"No Stripe key with id {key_id}")
    return _info(row)


async def publishable_twin(conn: AsyncConnection, key: StripeKey) -> StripeKeyInfo | None:
    """The publishable key created with a secret or restricted key: same program, mode, name
    and moment of creation (``create_stripe_keys`` makes the pair in one go), the next id."""
    if key.kind == "publishable":
        return None
    made = sa.select(stripe_keys.c.program_id, stripe_keys.c.name, stripe_keys.c.created_at)
    mine = (await conn.execute(made.where(stripe_keys.c.id == key.id))).one()
    row = (
        await conn.execute(
            sa.select(stripe_keys)
            .where(
                stripe_keys.c.kind == "publishable",
                stripe_keys.c.program_id == mine.program_id,
                stripe_keys.c.livemode == key.livemode,
                stripe_keys.c.name == mine.name,
                stripe_keys.c.created_at == mine.created_at,
                stripe_keys.c.id > key.id,
            )
            .order_by(stripe_keys.c.id)
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else _info(row)


async def active_stripe_keys_named(
    conn: AsyncConnection, program_id: int, name: str
) -> list[StripeKeyInfo]:
    """The program's unrevoked Stripe keys with this name, oldest first (the demo keeps its
    pair)."""
    query = sa.select(stripe_keys).where(
        stripe_keys.c.program_id == program_id,
        stripe_keys.c.name == name,
        stripe_keys.c.revoked_at.is_(None),
    )
    return [_info(row) for row in await conn.execute(query.order_by(stripe_keys.c.id))]
