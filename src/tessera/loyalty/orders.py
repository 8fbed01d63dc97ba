"""Orders: what the purchase rule pays for, and what spend and order tiers measure.

No Headless endpoint records orders (LoyaltyLion learns of them from the store platform);
the demo uses this to give its members a realistic past, and a platform integration would too.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.loyalty import ledger, tiers
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.loyalty.rules import member_tier_id, require_member
from tessera.programs.configuration import PurchaseRule


async def record_purchase(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    *,
    total: float,
    currency: str,
    channel: str,
    now: datetime,
) -> int:
    """Record an order of ``total`` and award the purchase rule; returns the points earned."""
    require_member(customer)
    tier_id = await member_tier_id(conn, program, customer, currency, now)
    earned = 0
    rule = next((r for r in program.document.rules if isinstance(r, PurchaseRule)), None)
    if rule is not None and channel in rule.channels:
        variant = variant_of(rule, tier_id, program.site.default_language)
        if variant.enabled:
            earned = math.floor(total / rule.per_currency_unit) * variant.points
    await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=earned,
        state="approved",
        reason="order",
        kind="earned_points_from_rule",
        rule_id=None if rule is None else rule.id,
        label=None if rule is None else variant_of(rule, tier_id, "en").title,
        spend=total,
        channel=channel,
        at=now,
    )
    await tiers.record_tier_change(conn, program, customer, currency, now)
    return earned
