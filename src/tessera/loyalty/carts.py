"""Carts and the free products redeemed into them (product_cart rewards).

A product_cart redemption is a line in the shopper's cart, marked with a line attribute that
names the redemption. While the cart is evaluated (Initialize Session with a cart), a marked
line whose redemption expired or whose cart no longer meets the reward's requirements must go:
the engine refunds the points and asks the caller to remove the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.loyalty import claims, rewards
from tessera.loyalty.program import LoyaltyProgram

REDEMPTION_ATTRIBUTE = "_loyalty_redemption_id"


@dataclass(frozen=True, slots=True)
class CartLine:
    id: str
    quantity: int
    merchandise_id: str
    total: float
    attributes: list[tuple[str, str | None]] = field(default_factory=list)

    def redemption_id(self) -> str | None:
        return next((v for k, v in self.attributes if k == REDEMPTION_ATTRIBUTE), None)


@dataclass(frozen=True, slots=True)
class Cart:
    """A Shopify cart as the caller serialized it; ``None`` everywhere stands for no cart."""

    id: str
    total: float
    lines: list[CartLine]

    def line_for(self, redemption_id: str) -> CartLine | None:
        return next((ln for ln in self.lines if ln.redemption_id() == redemption_id), None)

    def paid_lines(self) -> list[CartLine]:
        return [line for line in self.lines if line.redemption_id() is None]


EMPTY_CART = Cart(id="", total=0.0, lines=[])


def redemption_id(claim_id: int) -> str:
    return f"cr_{claim_id}"


def shopify_gid(kind: str, value: str) -> str:
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


@dataclass(frozen=True, slots=True)
class RequirementCheck:
    total_state: Literal["no_requirement", "requirement_met", "requirement_not_met"]
    total_missing: float
    count_state: Literal["no_requirement", "requirement_met", "requirement_not_met"]
    count_missing: int

    @property
    def met(self) -> bool:
        return "requirement_not_met" not in (self.total_state, self.count_state)


def check_requirements(
    minimum_total: float | None, minimum_count: int | None, cart: Cart
) -> RequirementCheck:
    paid = cart.paid_lines()
    total = sum(line.total for line in paid)
    count = sum(line.quantity for line in paid)
    if minimum_total is None:
        total_state, total_missing = "no_requirement", 0.0
    elif total >= minimum_total:
        total_state, total_missing = "requirement_met", 0.0
    else:
        total_state, total_missing = "requirement_not_met", round(minimum_total - total, 2)
    if minimum_count is None:
        count_state, count_missing = "no_requirement", 0
    elif count >= minimum_count:
        count_state, count_missing = "requirement_met", 0
    else:
        count_state, count_missing = "requirement_not_met", minimum_count - count
    return RequirementCheck(total_state, total_missing, count_state, count_missing)  # type: ignore[arg-type]


Removal = Literal["redemption_expired", "redemption_cart_requirements_not_met"]


@dataclass(frozen=True, slots=True)
class RemoveLine:
    reason: Removal
    line: CartLine
    claim: claims.Claim


@dataclass(frozen=True, slots=True)
class Settlement:
    """A claim that can no longer stand: refund it, and remove its line when there is one."""

    claim: claims.Claim
    line: CartLine | None
    reason: Removal


def settlement(claims: list[claims.Claim], cart: Cart | None, now: datetime) -> list[Settlement]:
    """The product_cart claims a session start must refund, and why (no database)."""
    due: list[Settlement] = []
    for claim in claims:
        if claim.reward_kind != "product_cart" or claim.state != rewards.ACTIVE or claim.used_at:
            continue
        line = None
        if cart is not None and cart.id and cart.id == claim.cart_id:
            line = cart.line_for(redemption_id(claim.id))
        expired = claim.expires_at is not None and claim.expires_at <= now
        if line is not None:
            check = check_requirements(
                claim.details.get("minimum_cart_total"),
                claim.details.get("minimum_line_item_count"),
                cart or EMPTY_CART,
            )
            if expired or not check.met:
                reason: Removal = (
                    "redemption_expired" if expired else "redemption_cart_requirements_not_met"
                )
                due.append(Settlement(claim, line, reason))
        elif expired:
            # Never added to the cart in time: the points go back on their own.
            due.append(Settlement(claim, None, "redemption_expired"))
    return due


async def settle_cart(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    claims: list[claims.Claim],
    cart: Cart | None,
    now: datetime,
) -> list[RemoveLine]:
    """Refund the product_cart claims that can no longer stand; the lines to remove."""
    actions: list[RemoveLine] = []
    for due in settlement(claims, cart, now):
        await rewards.refund(conn, program, due.claim, now)
        if due.line is not None:
            actions.append(RemoveLine(reason=due.reason, line=due.line, claim=due.claim))
    return actions


def is_active_cart_claim(claim: claims.Claim) -> bool:
    """A product-cart claim still waiting in a cart: approved and not yet used by an order."""
    return claim.reward_kind == "product_cart" and claim.state == "approved" and not claim.used_at
