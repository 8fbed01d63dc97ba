"""Claimed rewards as the engine reads them: a member's claims, one claim, claim times for
limits, and the claims that use up a stocked reward's stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc
from tessera.kit.errors import NotFound
from tessera.loyalty.statements import constant, one_of
from tessera.store.prepared import Prepared
from tessera.store.tables import claimed_rewards


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    customer_id: int
    reward_id: int
    reward_kind: str
    title: str
    state: str
    points_cost: int
    code: str | None
    currency: str
    details: dict[str, Any]
    channel: str
    cart_id: str | None
    claimed_at: datetime
    expires_at: datetime | None
    used_at: datetime | None
    refunded_at: datetime | None


_k = claimed_rewards.c
# The columns of a Claim, in the order of its fields: rows are unpacked by position.
_CLAIM = (
    _k.id,
    _k.customer_id,
    _k.reward_id,
    _k.reward_kind,
    _k.title,
    _k.state,
    _k.points_cost,
    _k.code,
    _k.currency,
    _k.details,
    _k.channel,
    _k.cart_id,
    _k.claimed_at,
    _k.expires_at,
    _k.used_at,
    _k.refunded_at,
)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _claim(row: Any) -> Claim:
    (claim_id, customer_id, reward_id, kind, title, state, cost, code, currency, details,
     channel, cart_id, claimed_at, expires_at, used_at, refunded_at) = row  # fmt: skip
    return Claim(
        claim_id,
        customer_id,
        reward_id,
        kind,
        title,
        state,
        cost,
        code,
        currency,
        dict(details),
        channel,
        cart_id,
        as_utc(claimed_at),
        _aware(expires_at),
        _aware(used_at),
        _aware(refunded_at),
    )


_CLAIMS_OF = (
    sa.select(*_CLAIM)
    .where(claimed_rewards.c.customer_id == sa.bindparam("customer_id"))
    .order_by(claimed_rewards.c.claimed_at.desc(), claimed_rewards.c.id.desc())
)


_PREPARED_CLAIMS_OF = Prepared(_CLAIMS_OF)


async def claims_of(conn: AsyncConnection, customer_id: int) -> list[Claim]:
    return [
        _claim(row) for row in await _PREPARED_CLAIMS_OF.rows(conn, {"customer_id": customer_id})
    ]


async def get_claim(conn: AsyncConnection, program_id: int, claim_id: int) -> Claim:
    row = (
        await conn.execute(
            sa.select(*_CLAIM).where(
                claimed_rewards.c.program_id == program_id, claimed_rewards.c.id == claim_id
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("claimed reward", f"Claimed reward with ID `{claim_id}` not found")
    return _claim(row)


async def reward_claim_times(
    conn: AsyncConnection, customer_id: int, reward_id: int
) -> list[datetime]:
    rows = await conn.execute(
        sa.select(claimed_rewards.c.claimed_at).where(
            claimed_rewards.c.customer_id == customer_id,
            claimed_rewards.c.reward_id == reward_id,
            claimed_rewards.c.state != "void",
        )
    )
    return [as_utc(row[0]) for row in rows]


def claim_times(claims: list[Claim]) -> dict[int, list[datetime]]:
    """Claim times per reward id (void claims left out), for limits and the customer context."""
    times: dict[int, list[datetime]] = {}
    for claim in claims:
        if claim.state != "void":
            times.setdefault(claim.reward_id, []).append(claim.claimed_at)
    return times


@lru_cache(maxsize=256)
def _stock_claims(reward_ids: tuple[int, ...]) -> sa.Select[Any]:
    # Built once per set of stocked rewards (a program version's), the ids written into the SQL.
    return sa.select(claimed_rewards.c.reward_id, claimed_rewards.c.details).where(
        claimed_rewards.c.program_id == sa.bindparam("program_id"),
        one_of(claimed_rewards.c.reward_id, reward_ids),
        claimed_rewards.c.state != constant("void"),
    )


async def stock_claims(
    conn: AsyncConnection, program_id: int, reward_ids: list[int]
) -> dict[tuple[int, str], int]:
    """Claims per (reward, product variant) across the program, in one query: stock used up."""
    if not reward_ids:
        return {}
    rows = await conn.execute(_stock_claims(tuple(reward_ids)), {"program_id": program_id})
    counts: dict[tuple[int, str], int] = {}
    for reward_id, details in rows:
        key = (int(reward_id), str(details.get("variant_id")))
        counts[key] = counts.get(key, 0) + 1
    return counts


@lru_cache(maxsize=256)
def _claims_and_stock(reward_ids: tuple[int, ...]) -> Prepared:
    own = sa.select(*_CLAIM, constant(1).label("own")).where(
        claimed_rewards.c.customer_id == sa.bindparam("customer_id")
    )
    stocked = sa.select(*_CLAIM, constant(0).label("own")).where(
        claimed_rewards.c.program_id == sa.bindparam("program_id"),
        one_of(claimed_rewards.c.reward_id, reward_ids),
        claimed_rewards.c.state != constant("void"),
    )
    return Prepared(sa.union_all(own, stocked).order_by(sa.desc("claimed_at"), sa.desc("id")))


async def claims_and_stock(
    conn: AsyncConnection, program_id: int, customer_id: int, stocked: list[int]
) -> tuple[list[Claim], dict[tuple[int, str], int]]:
    """``claims_of`` the customer and ``stock_claims`` of the stocked rewards, in one query."""
    if not stocked:
        return await claims_of(conn, customer_id), {}
    claims: list[Claim] = []
    counts: dict[tuple[int, str], int] = {}
    params = {"customer_id": customer_id, "program_id": program_id}
    for row in await _claims_and_stock(tuple(stocked)).named(conn, params):
        if row[-1]:
            claims.append(_claim(row[:-1]))
        else:
            key = (int(row.reward_id), str(row.details.get("variant_id")))
            counts[key] = counts.get(key, 0) + 1
    return claims, counts
