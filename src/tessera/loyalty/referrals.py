"""Completing a referral: a referred friend's first paid order pays the referrer the program's
referral rule.

A referral is pending from the moment the friend claims their incentive (``members.
claim_referee_incentive``: a row of ``referee_incentives`` keyed by the friend's email, or
without one their IP address). The friend's order completes it when it carries the referrer's
``referral_id`` and comes from that friend (the same email or IP address), or when it uses the
friend's voucher code. Each pending referral completes once, with the friend's first paid order.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import (
    Customer,
    email_key,
    find_customer_by_id,
    find_customer_by_referral_code,
)
from tessera.kit.errors import Conflict
from tessera.loyalty import program_events, rules
from tessera.loyalty.order_store import Order, paid_orders_of
from tessera.loyalty.program import LoyaltyProgram
from tessera.programs.configuration import ReferralRule
from tessera.store.tables import referee_incentives


@dataclass(frozen=True, slots=True)
class PendingReferral:
    incentive_id: int
    referrer: Customer


def referral_rule(program: LoyaltyProgram) -> ReferralRule | None:
    return next(
        (r for r in program.document.rules if isinstance(r, ReferralRule) and r.enabled), None
    )


async def pending_referral(
    conn: AsyncConnection, program: LoyaltyProgram, order: Order, customer: Customer
) -> PendingReferral | None:
    """The friend's pending referral this order names (read without locks: the caller locks
    the referrer, then completes it)."""
    if referral_rule(program) is None:
        return None
    keys = [email_key(customer.email)]
    if order.ip_address:
        keys.append(f"ip:{order.ip_address.strip().lower()[:64]}")
    matches = []
    if order.referral_id:
        referrer = await find_customer_by_referral_code(conn, program.id, order.referral_id)
        if referrer is not None:
            matches.append(
                sa.and_(
                    referee_incentives.c.referrer_id == referrer.id,
                    referee_incentives.c.referee_key.in_(keys),
                )
            )
    codes = [item.code for item in order.discount_codes]
    if codes:
        matches.append(referee_incentives.c.code.in_(codes))
    if not matches:
        return None
    row = (
        await conn.execute(
            sa.select(referee_incentives.c.id, referee_incentives.c.referrer_id)
            .where(
                referee_incentives.c.program_id == program.id,
                referee_incentives.c.completed_order_id.is_(None),
                referee_incentives.c.referrer_id != customer.id,
                sa.or_(*matches),
            )
            .order_by(referee_incentives.c.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    referrer = await find_customer_by_id(conn, program.id, int(row.referrer_id))
    return None if referrer is None else PendingReferral(int(row.id), referrer)


async def complete_referral(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    pending: PendingReferral,
    order: Order,
    customer: Customer,
    *,
    locked_referrer: Customer,
    now: datetime,
) -> bool:
    """Complete ``pending`` with ``order`` (just paid for the first time) when it is the
    friend's first paid order; pays the referrer the referral rule within its limits.
    Returns whether the referral completed."""
    rule = referral_rule(program)
    if rule is None or await paid_orders_of(conn, customer.id) > 1:
        return False
    if email_key(customer.email) == email_key(locked_referrer.email):
        return False
    claimed = await conn.execute(
        referee_incentives.update()
        .where(
            referee_incentives.c.id == pending.incentive_id,
            referee_incentives.c.completed_order_id.is_(None),
        )
        .values(completed_order_id=order.id)
    )
    if claimed.rowcount != 1:
        return False
    # A referrer who is no longer a member, or at the rule's limit, earns nothing; the
    # referral is still used up.
    with contextlib.suppress(Conflict):
        outcome = await rules.complete_rule(
            conn,
            program,
            locked_referrer,
            rule,
            channel="web",
            currency=program.site.default_currency,
            now=now,
            order=order,
        )
        await program_events.referral_completed(
            conn, program, locked_referrer, customer, outcome.entry_id, outcome.points, order, now
        )
    return True
