"""Redeem and fulfil: the workflow every redeem endpoint runs, in the caller's write unit of
work (tessera.store.transactions): lock the member, find the reward, redeem it, and mark it used
at once when it is fulfilled on the spot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.loyalty import members, rewards
from tessera.loyalty.program import LoyaltyProgram


async def redeem_reward(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    merchant_id: str,
    reward_id: int,
    kind: str,
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
) -> tuple[Customer, rewards.Claim]:
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
    )
    if fulfil:
        claim = await rewards.mark_used(conn, program, claim, now)
    return customer, claim
