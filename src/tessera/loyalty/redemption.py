"""Redeem and fulfil: the workflow every redeem endpoint runs, in the caller's write unit of
work (tessera.store.transactions): lock the member, find the reward, redeem it, and mark it used
at once when it is fulfilled on the spot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.errors import NotFound
from tessera.loyalty import claims, members, rewards
from tessera.loyalty.program import LoyaltyProgram


async def redeem_reward(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    merchant_id: str,
    reward_id: int,
    kind: str | None,
    *,
    channel: str,
    currency: str,
    language: str,
    country: str | None,
    now: datetime,
    variant_id: str | None = None,
    cart_id: str | None = None,
    shipping_address_id: int | None = None,
    fulfil: bool = False,
    any_channel: bool = False,
) -> tuple[Customer, claims.Claim]:
    """``kind`` None: whatever kind the reward is (the Admin API names the reward alone)."""
    customer = await members.locked_customer(conn, program, merchant_id)
    reward = rewards.find_reward(program, reward_id, kind)
    claim = await rewards.redeem(
        conn,
        program,
        customer,
        reward,
        channel=channel,
        currency=currency,
        language=language,
        country=country,
        now=now,
        variant_id=variant_id,
        cart_id=cart_id,
        shipping_address_id=shipping_address_id,
        any_channel=any_channel,
    )
    if fulfil:
        claim = await rewards.mark_used(conn, program, claim, now)
    return customer, claim


async def refund_claim(
    conn: AsyncConnection, program: LoyaltyProgram, merchant_id: str, claim_id: int, now: datetime
) -> tuple[Customer, claims.Claim]:
    """The merchant refunds one of the member's claims, of any kind: the member is locked
    first; a claim of another member (or program) is not found."""
    customer = await members.locked_customer(conn, program, merchant_id)
    claim = await claims.get_claim(conn, program.id, claim_id)
    if claim.customer_id != customer.id:
        raise NotFound("claimed reward", f"Claimed reward with ID `{claim_id}` not found")
    return customer, await rewards.refund(conn, program, claim, now, any_kind=True)
