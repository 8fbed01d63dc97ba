"""Redemption: a member spends points on a reward and gets a claimed reward with a unique code.

Callers hold the customer's lock (tessera.store.transactions): the balance, limit, stock and
per-cart checks and the writes that follow see no other redemption of the same member in
between, so N parallel redemptions against one balance never overspend.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.clock import as_utc
from tessera.kit.errors import Conflict, NotFound
from tessera.loyalty import ledger
from tessera.loyalty.program import LoyaltyProgram, Variant, variant_of, window_start
from tessera.loyalty.rules import member_tier_id, require_member
from tessera.programs.configuration import (
    ActiveSubscriptionDiscountVoucherReward,
    ActiveSubscriptionProductReward,
    CartDiscountVoucherReward,
    CartVariableDiscountVoucherReward,
    CollectionDiscountVoucherReward,
    CustomReward,
    FreeShippingVoucherReward,
    GiftCardReward,
    ProductCartReward,
    ProductDiscountVoucherReward,
    Reward,
    localized,
    money_in,
)
from tessera.store.tables import claimed_rewards

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACTIVE = "approved"


class MaxCartRedemptionsReached(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "max_cart_redemptions_reached",
            f"This reward can be redeemed at most {limit} time(s) per cart",
        )
        self.limit = limit


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


def _claim(row: sa.Row[Any]) -> Claim:
    def aware(value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    return Claim(
        id=row.id,
        customer_id=row.customer_id,
        reward_id=row.reward_id,
        reward_kind=row.reward_kind,
        title=row.title,
        state=row.state,
        points_cost=row.points_cost,
        code=row.code,
        currency=row.currency,
        details=dict(row.details),
        channel=row.channel,
        cart_id=row.cart_id,
        claimed_at=as_utc(row.claimed_at),
        expires_at=aware(row.expires_at),
        used_at=aware(row.used_at),
        refunded_at=aware(row.refunded_at),
    )


def new_code(prefix: str, groups: int = 4) -> str:
    """``TSR-7KQ2-M9XD-4HPA-WC3N``: 80 random bits, unambiguous characters."""
    parts = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(groups)]
    return "-".join([prefix, *parts])


async def claims_of(conn: AsyncConnection, customer_id: int) -> list[Claim]:
    rows = (
        await conn.execute(
            sa.select(claimed_rewards)
            .where(claimed_rewards.c.customer_id == customer_id)
            .order_by(claimed_rewards.c.claimed_at.desc(), claimed_rewards.c.id.desc())
        )
    ).all()
    return [_claim(row) for row in rows]


async def get_claim(conn: AsyncConnection, program_id: int, claim_id: int) -> Claim:
    row = (
        await conn.execute(
            sa.select(claimed_rewards).where(
                claimed_rewards.c.program_id == program_id, claimed_rewards.c.id == claim_id
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("claimed reward", f"Claimed reward with ID `{claim_id}` not found")
    return _claim(row)


def offer_for(
    reward: Reward, variant: Variant, *, channel: str, currency: str, country: str | None
) -> bool:
    """Whether the member's variant of ``reward`` is offered on this channel, currency, country."""
    if not variant.enabled or channel not in reward.channels:
        return False
    if (
        country is not None
        and reward.countries is not None
        and country.upper() not in reward.countries
    ):
        return False
    return priced_in(reward, currency)


def priced_in(reward: Reward, currency: str) -> bool:
    """A reward whose money has no amount in ``currency`` is not offered in it."""
    for name in (
        "discount",
        "minimum_spend",
        "max_shipping",
        "initial_balance",
        "minimum_discount",
        "maximum_discount",
    ):
        value = getattr(reward, name, None)
        percentage = name == "discount" and getattr(reward, "discount_type", "") == "percentage"
        if isinstance(value, dict) and currency.lower() not in value and not percentage:
            return False
    if isinstance(reward, ProductCartReward):
        total = reward.cart_requirements.minimum_cart_total
        if isinstance(total, dict) and currency.lower() not in total:
            return False
    return True


def stock_left(
    reward: ProductCartReward | ActiveSubscriptionProductReward, variant_id: str, claimed: int
) -> int | None:
    for variant in reward.product.variants:
        if variant.id == variant_id:
            return None if variant.inventory_count is None else variant.inventory_count - claimed
    return 0


async def _claims_count(
    conn: AsyncConnection, customer_id: int, reward_id: int, since: datetime | None
) -> int:
    conditions = [
        claimed_rewards.c.customer_id == customer_id,
        claimed_rewards.c.reward_id == reward_id,
        claimed_rewards.c.state != "void",
    ]
    if since is not None:
        conditions.append(claimed_rewards.c.claimed_at >= since)
    return int(await conn.scalar(sa.select(sa.func.count()).where(*conditions)) or 0)


async def variant_claims(
    conn: AsyncConnection, program_id: int, reward_id: int, variant_id: str
) -> int:
    """Claims of one product variant across the program: the stock it has used up."""
    rows = (
        await conn.execute(
            sa.select(claimed_rewards.c.details).where(
                claimed_rewards.c.program_id == program_id,
                claimed_rewards.c.reward_id == reward_id,
                claimed_rewards.c.state != "void",
            )
        )
    ).all()
    return sum(1 for row in rows if row[0].get("variant_id") == variant_id)


def _details(
    reward: Reward,
    currency: str,
    language: str,
    variant_id: str | None,
    shipping_address_id: int | None = None,
) -> dict[str, Any]:
    """What the claim is worth, frozen now so a later program change cannot alter it."""
    details: dict[str, Any] = {"language": language}
    if isinstance(
        reward,
        CartDiscountVoucherReward
        | CollectionDiscountVoucherReward
        | ActiveSubscriptionDiscountVoucherReward,
    ):
        amount = (
            money_in(reward.discount, currency)
            if reward.discount_type == "fixed"
            else float(reward.discount if not isinstance(reward.discount, dict) else 0)
        )
        details.update(discount_type=reward.discount_type, discount=amount)
        if isinstance(reward, ActiveSubscriptionDiscountVoucherReward):
            details["recurring_cycle_limit"] = reward.recurring_cycle_limit
        else:
            details["minimum_spend"] = money_in(reward.minimum_spend, currency)
        if isinstance(reward, CartDiscountVoucherReward):
            details.update(
                applies_to_order_type=reward.applies_to_order_type,
                recurring_cycle_limit=reward.recurring_cycle_limit,
            )
        elif isinstance(reward, CollectionDiscountVoucherReward):
            details["collection"] = {
                "id": reward.collection.id,
                "title": localized(reward.collection.title, language) or None,
                "url": reward.collection.url,
            }
    elif isinstance(reward, FreeShippingVoucherReward):
        details["max_shipping"] = money_in(reward.max_shipping, currency)
    elif isinstance(reward, GiftCardReward):
        details["initial_balance"] = money_in(reward.initial_balance, currency)
    elif isinstance(reward, ProductDiscountVoucherReward):
        details.update(
            product={
                "id": reward.product_id,
                "image_url": reward.image_url,
                "variant_id": reward.variant_id,
            },
            percentage=reward.percentage,
        )
    elif isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward):
        chosen = next(v for v in reward.product.variants if v.id == variant_id)
        details.update(
            variant_id=variant_id,
            product={
                "id": reward.product.id,
                "handle": reward.product.handle,
                "title": localized(reward.product.title, language),
                "url": reward.product.url,
                "image_url": reward.product.image_url,
                "variant": {
                    "id": chosen.id,
                    "title": localized(chosen.title, language) or None,
                    "inventory_count": chosen.inventory_count,
                },
            },
        )
        if isinstance(reward, ProductCartReward):
            details.update(
                minimum_cart_total=money_in(reward.cart_requirements.minimum_cart_total, currency),
                minimum_line_item_count=reward.cart_requirements.minimum_line_item_count,
            )
        else:
            # No subscription platform to ask: the request's ReCharge address (None: the
            # next recurring order), kept for the integrator who adds the product.
            details["shipping_address_id"] = shipping_address_id
    elif isinstance(reward, CustomReward):
        details.update(
            fulfillment=reward.fulfillment,
            fulfillment_explanation=localized(reward.fulfillment_explanation, language) or None,
        )
    return details


_PREFIX = {"gift_card": "GIFT", "product_cart": "CART", "custom": "PERK"}


async def redeem(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    reward: Reward,
    *,
    channel: str,
    currency: str,
    language: str,
    country: str | None,
    now: datetime,
    variant_id: str | None = None,
    cart_id: str | None = None,
    shipping_address_id: int | None = None,
) -> Claim:
    """Spend points on ``reward``; raise Conflict with the contract's code when it cannot be."""
    require_member(customer)
    if isinstance(reward, CartVariableDiscountVoucherReward):
        raise Conflict("reward_kind_mismatch", "This reward is spent at checkout, not redeemed")
    tier_id = await member_tier_id(conn, program, customer, currency, now)
    variant = variant_of(reward, tier_id, language)
    if not offer_for(reward, variant, channel=channel, currency=currency, country=country):
        raise Conflict(
            "reward_not_enabled_for_customer",
            f"Reward {reward.id} is not available to this customer here",
        )
    if reward.limit is not None:
        since = window_start(reward.limit.interval, now)
        if await _claims_count(conn, customer.id, reward.id, since) >= reward.limit.count:
            raise Conflict("reward_limit_reached", f"Reward {reward.id} has reached its limit")
    if isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward):
        if variant_id is None or not any(v.id == variant_id for v in reward.product.variants):
            raise Conflict("invalid_variant_id", f"Variant {variant_id} is not in this reward")
        claimed = await variant_claims(conn, program.id, reward.id, variant_id)
        left = stock_left(reward, variant_id, claimed)
        if left is not None and left <= 0:
            raise Conflict("reward_out_of_stock", "This product variant is out of stock")
    if isinstance(reward, ProductCartReward):
        assert cart_id is not None
        if reward.max_redemptions_per_cart is not None:
            in_cart = await conn.scalar(
                sa.select(sa.func.count()).where(
                    claimed_rewards.c.customer_id == customer.id,
                    claimed_rewards.c.reward_id == reward.id,
                    claimed_rewards.c.cart_id == cart_id,
                    claimed_rewards.c.state == ACTIVE,
                )
            )
            if int(in_cart or 0) >= reward.max_redemptions_per_cart:
                raise MaxCartRedemptionsReached(reward.max_redemptions_per_cart)
    balance = await ledger.approved_balance(conn, customer.id)
    if balance < variant.points:
        raise Conflict(
            "insufficient_points",
            f"This reward costs {variant.points} points; the customer has {balance}",
        )
    expires_at = None
    if isinstance(reward, ProductCartReward):
        expires_at = now + timedelta(minutes=reward.cart_hold_minutes)
    elif reward.expires_after_days is not None:
        expires_at = now + timedelta(days=reward.expires_after_days)
    # A subscription product is added by the integrator, identified by the claim's id.
    needs_code = not (
        (isinstance(reward, CustomReward) and reward.fulfillment != "voucher")
        or isinstance(reward, ActiveSubscriptionProductReward)
    )
    code = new_code(_PREFIX.get(reward.kind, "TSR")) if needs_code else None
    result = await conn.execute(
        claimed_rewards.insert()
        .values(
            program_id=program.id,
            customer_id=customer.id,
            reward_id=reward.id,
            reward_kind=reward.kind,
            title=variant.title,
            state=ACTIVE,
            points_cost=variant.points,
            code=code,
            currency=currency.lower(),
            details=_details(reward, currency, language, variant_id, shipping_address_id),
            channel=channel,
            cart_id=cart_id,
            claimed_at=now,
            expires_at=expires_at,
        )
        .returning(claimed_rewards.c.id)
    )
    claim_id = int(result.scalar_one())
    await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=-variant.points,
        state="spent",
        reason=f"reward {reward.id}",
        kind="redeemed_points_for_reward",
        reward_id=reward.id,
        claimed_reward_id=claim_id,
        label=variant.title,
        channel=channel,
        at=now,
    )
    return await get_claim(conn, program.id, claim_id)


async def refund(
    conn: AsyncConnection, program: LoyaltyProgram, claim: Claim, now: datetime
) -> Claim:
    """Give a product_cart claim's points back and void it (once; never after it was used)."""
    if claim.reward_kind != "product_cart":
        raise Conflict("reward_kind_mismatch", "Only product_cart rewards can be refunded")
    if claim.state == "void" or claim.refunded_at is not None:
        raise Conflict("reward_already_refunded", "This claimed reward was already refunded")
    if claim.used_at is not None:
        raise Conflict("reward_already_used", "This claimed reward was already used")
    await conn.execute(
        claimed_rewards.update()
        .where(claimed_rewards.c.id == claim.id)
        .values(state="void", refunded_at=now)
    )
    await ledger.record(
        conn,
        program_id=program.id,
        customer_id=claim.customer_id,
        points=claim.points_cost,
        state="spent",
        reason=f"refund of claimed reward {claim.id}",
        kind="redemption_refunded",
        reward_id=claim.reward_id,
        claimed_reward_id=claim.id,
        at=now,
    )
    return await get_claim(conn, program.id, claim.id)


async def claim_stats(conn: AsyncConnection, customer_id: int) -> dict[int, list[datetime]]:
    """Claim times per reward id (void claims left out), for the rewards' customer context."""
    rows = (
        await conn.execute(
            sa.select(claimed_rewards.c.reward_id, claimed_rewards.c.claimed_at).where(
                claimed_rewards.c.customer_id == customer_id, claimed_rewards.c.state != "void"
            )
        )
    ).all()
    stats: dict[int, list[datetime]] = {}
    for reward_id, claimed_at in rows:
        stats.setdefault(int(reward_id), []).append(as_utc(claimed_at))
    return stats


async def mark_used(
    conn: AsyncConnection, program: LoyaltyProgram, claim: Claim, now: datetime
) -> Claim:
    """A custom reward fulfilled at once (``fulfill_immediately`` or an order that used it)."""
    await conn.execute(
        claimed_rewards.update().where(claimed_rewards.c.id == claim.id).values(used_at=now)
    )
    return await get_claim(conn, program.id, claim.id)
