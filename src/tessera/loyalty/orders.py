"""The purchase rule, and the points an order holds.

An order earns the program's purchase rule once, when it is first paid: ``floor(spend /
per_currency_unit) * points`` of the member's tier variant, where the spend is what was paid
for goods (total less shipping, at most what was paid). From then on the points it should hold
follow from its state alone (``points_due``): refunds take back their share, a cancellation all
of it. ``settle_points`` compares that with what the ledger holds for the order and writes only
the difference, so a repeated update changes nothing and updates in any order end the same.

Callers hold the customer's lock (``members.locked_customer`` or ``find_customer(for_update=
True)``), so the ledger cannot move between the comparison and the write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.kit.amounts import ZERO
from tessera.loyalty import ledger, pending, program_events, tiers
from tessera.loyalty.order_store import Order, points_recorded, save_points
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.loyalty.rules import require_member
from tessera.loyalty.tiers import member_tier_id
from tessera.programs.configuration import PurchaseRule
from tessera.store.tables import MAX_ID, ledger_entries

MAX_POINTS = MAX_ID
# Orders reach Tessera from the shop's platform: the purchase rule's web channel.
ORDER_CHANNEL = "web"


@dataclass(frozen=True, slots=True)
class PurchaseAward:
    points: int
    rule_id: int | None
    label: str | None


def purchase_award(
    program: LoyaltyProgram, tier_id: int | None, spend: Decimal, channel: str
) -> PurchaseAward:
    """What the program's purchase rule pays a member of ``tier_id`` for ``spend``."""
    rule = next((r for r in program.document.rules if isinstance(r, PurchaseRule)), None)
    if rule is None:
        return PurchaseAward(points=0, rule_id=None, label=None)
    variant = variant_of(rule, tier_id, program.site.default_language)
    label = variant_of(rule, tier_id, "en").title
    if channel not in rule.channels or not variant.enabled or spend <= ZERO:
        return PurchaseAward(points=0, rule_id=rule.id, label=label)
    units = math.floor(spend / Decimal(str(rule.per_currency_unit)))
    # At most what a ledger entry holds (an Integer on every backend).
    points = min(units * variant.points, MAX_POINTS)
    return PurchaseAward(points=points, rule_id=rule.id, label=label)


def new_order_points_state(program: LoyaltyProgram) -> ledger.EntryState:
    """The one place that decides the state of points an order earns: pending through the
    program's approval period (``points.order_pending_days``, approved later by the scheduled
    pass in ``order_approval``), else approved at once."""
    return "pending" if program.document.points.order_pending_days > 0 else "approved"


@dataclass(frozen=True, slots=True)
class Purchase:
    """What a purchase earned: its ledger entry, and the tier it moved the member to."""

    points: int
    entry_id: int
    rule_id: int | None  # the purchase rule, if the program has one
    tier_change: tiers.TierChange | None


async def announce_purchase(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    purchase: Purchase,
    now: datetime,
    order: Order | None = None,
) -> None:
    """The purchase's webhook events, once ``order`` holds its points: the purchase rule
    completed (when it paid any points), the tier changed, the customer changed."""
    if purchase.rule_id is not None and purchase.points > 0:
        await program_events.rule_completed(
            conn, program, customer, purchase.entry_id, purchase.points, now, order=order
        )
    await program_events.tier_changed(conn, program, customer, purchase.tier_change, now)
    await program_events.customer_changed(conn, program, customer.id, now)


async def award_purchase(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    *,
    spend: Decimal,
    channel: str,
    now: datetime,
    order_id: int | None = None,
) -> Purchase:
    """Pay the purchase rule for ``spend`` to a member and count the order towards spend and
    order tiers (the entry is written even for 0 points: the order still counts). The caller
    announces it (:func:`announce_purchase`)."""
    currency = program.site.default_currency
    tier_id = await member_tier_id(conn, program, customer, currency, now)
    award = purchase_award(program, tier_id, spend, channel)
    entry_id = await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=award.points,
        state=new_order_points_state(program),
        reason="order",
        kind="earned_points_from_rule",
        rule_id=award.rule_id,
        label=award.label,
        spend=spend,
        channel=channel,
        at=now,
        order_id=order_id,
    )
    change = await tiers.record_tier_change(conn, program, customer, currency, now)
    return Purchase(award.points, entry_id, award.rule_id, change)


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
    """A purchase of ``total`` by a member, outside any stored order (the demo's members' past
    purchases); returns the points earned."""
    require_member(customer)
    purchase = await award_purchase(
        conn, program, customer, spend=Decimal(str(total)), channel=channel, now=now
    )
    await announce_purchase(conn, program, customer, purchase, now)
    return purchase.points


def order_spend(order: Order) -> Decimal:
    """What was paid for goods: the total less shipping, at most what was paid."""
    goods = order.total - order.total_shipping
    return max(min(goods, order.status.total_paid), ZERO)


def earns_points(order: Order, customer: Customer) -> bool:
    """Guest checkouts, blocked customers and customers who are not members earn nothing."""
    return not order.guest and customer.state == "enrolled"


def points_due(order: Order, earned: int) -> int:
    """The points an order that earned ``earned`` should hold in its present state."""
    status = order.status
    if (
        status.cancellation_status == "cancelled"
        or status.refund_status == "refunded"
        or status.payment_status == "not_paid"
    ):
        return 0
    if status.refund_status == "not_refunded" or status.total_refunded <= ZERO:
        return earned
    if status.total_paid <= ZERO:
        return 0
    share = min(status.total_refunded / status.total_paid, Decimal(1))
    return earned - math.floor(earned * share)


async def settle_points(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    order: Order,
    customer: Customer,
    now: datetime,
) -> tuple[Order, bool]:
    """Bring the ledger to the points ``order`` should hold; (order, first paid now)."""
    earned = order.points_earned
    first_paid = earned is None and order.status.payment_status == "paid"
    purchase = None
    if first_paid:
        earned = 0
        if earns_points(order, customer):
            spend = order_spend(order)
            purchase = await award_purchase(
                conn,
                program,
                customer,
                spend=spend,
                channel=ORDER_CHANNEL,
                now=now,
                order_id=order.id,
            )
            earned = purchase.points
    if earned is None:
        return order, False
    held = (await points_recorded(conn, [order.id]))[order.id] - order.points_not_taken_back
    change = points_due(order, earned) - held
    moved = change != 0
    not_taken_back = order.points_not_taken_back
    label = f"Order {order.merchant_id}"[:255]
    if change < 0:
        change = await _void_pending(conn, order, change, now)
    if change > 0:
        # Points a refund could not take back were never lost: forgive those first.
        forgiven = min(change, not_taken_back)
        not_taken_back -= forgiven
        if change > forgiven:
            await ledger.record(
                conn,
                program_id=program.id,
                customer_id=customer.id,
                points=change - forgiven,
                state=new_order_points_state(program),
                reason="order restored",
                kind="points_added",
                label=label,
                at=now,
                order_id=order.id,
            )
    elif change < 0:
        taken = await ledger.take_back(
            conn,
            program_id=program.id,
            customer_id=customer.id,
            points=-change,
            reason="order refunded or cancelled",
            label=label,
            at=now,
            order_id=order.id,
        )
        not_taken_back += -change - taken
    order = await save_points(conn, order, earned=earned, not_taken_back=not_taken_back)
    if purchase is not None:
        await announce_purchase(conn, program, customer, purchase, now, order)
    elif moved:
        await program_events.customer_changed(conn, program, customer.id, now)
    return order, first_paid


async def _void_pending(conn: AsyncConnection, order: Order, change: int, now: datetime) -> int:
    """Points an order in its approval period gives back (``change`` < 0) come out of its
    pending points: they are voided, and what the order keeps is pending again from the same
    start. Returns what is left to take back from approved points."""
    waiting = await pending.unsettled(conn, ledger_entries.c.order_id == order.id)
    if not waiting:
        return change
    change += await pending.void(conn, waiting, now)
    if change > 0:
        first = waiting[0]
        await ledger.record(
            conn,
            program_id=first.program_id,
            customer_id=first.customer_id,
            points=change,
            state="pending",
            reason="order partly refunded",
            kind="earned_points_from_rule",
            rule_id=first.rule_id,
            label=first.label,
            channel=first.channel,
            at=first.created_at,
            order_id=order.id,
        )
        change = 0
    return change
