"""Orders as the merchant's platform reports them: create and update (payments, refunds,
cancellations). Each is one service a request's unit of work calls; reading them is
tessera.loyalty.order_views.

Writes lock the customers whose points they may change (the order's customer and, for a
referral, the referrer) in id order, so two workers never award or take back an order's points
twice, and two orders naming each other's customers cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import (
    Customer,
    find_customer_by_id,
    get_or_create_customer,
)
from tessera.kit.amounts import ZERO
from tessera.kit.errors import Conflict, Invalid
from tessera.loyalty import claims, members, rewards
from tessera.loyalty.order_store import (
    DiscountCode,
    Order,
    OrderStatus,
    PaymentStatus,
    find_order,
    insert_order,
    save_status,
)
from tessera.loyalty.order_views import order_not_found
from tessera.loyalty.orders import ORDER_CHANNEL, settle_points
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.referrals import PendingReferral, complete_referral, pending_referral
from tessera.programs.sites import Site, get_site

ProgramOf = Callable[[Site], Awaitable[LoyaltyProgram]]


@dataclass(frozen=True, slots=True)
class NewOrder:
    customer_merchant_id: str
    customer_email: str
    merchant_id: str
    merchant_number: str | None
    total: Decimal
    total_shipping: Decimal
    total_paid: Decimal
    payment_status: PaymentStatus
    discount_codes: tuple[DiscountCode, ...]
    claimed_reward_ids: tuple[int, ...]
    ordered_at: datetime | None
    ip_address: str | None
    user_agent: str | None
    referral_id: str | None
    tracking_id: str | None
    guest: bool


async def _lock(conn: AsyncConnection, program_id: int, ids: set[int]) -> dict[int, Customer]:
    locked = {}
    for customer_id in sorted(ids):
        found = await find_customer_by_id(conn, program_id, customer_id, for_update=True)
        if found is not None:
            locked[customer_id] = found
    return locked


async def _mark_claims_used(
    conn: AsyncConnection, program: LoyaltyProgram, order: Order, now: datetime
) -> None:
    """The customer's own unused claims that the order used, by id or voucher code; ids and
    codes of anything else (another customer's claims, codes of the shop's own) are ignored."""
    if not order.claimed_reward_ids and not order.discount_codes:
        return
    codes = {item.code.strip().upper() for item in order.discount_codes}
    for claim in await claims.claims_of(conn, order.customer_id):
        used = claim.id in order.claimed_reward_ids or (
            claim.code is not None and claim.code.upper() in codes
        )
        if used and claim.used_at is None and claim.state == "approved":
            await rewards.mark_used(conn, program, claim, now)


async def _settle(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    order: Order,
    customer: Customer,
    referral: PendingReferral | None,
    referrer: Customer | None,
    now: datetime,
) -> Order:
    order, first_paid = await settle_points(conn, program, order, customer, now)
    if first_paid and referral is not None and referrer is not None:
        await complete_referral(
            conn, program, referral, order, customer, locked_referrer=referrer, now=now
        )
    return order


async def create_order(
    conn: AsyncConnection, program: LoyaltyProgram, new: NewOrder, now: datetime
) -> Order:
    """Store the order (Conflict when the program already has its merchant_id: nothing is
    written) and, when it is paid, pay the purchase rule."""
    customer, created = await get_or_create_customer(
        conn,
        program_id=program.id,
        site_id=program.site.id,
        merchant_id=new.customer_merchant_id,
        email=new.customer_email,
        state="guest",
    )
    draft = Order(
        id=0,
        program_id=program.id,
        site_id=program.site.id,
        customer_id=customer.id,
        merchant_id=new.merchant_id,
        merchant_number=new.merchant_number,
        total=new.total,
        total_shipping=new.total_shipping,
        status=OrderStatus(
            payment_status=new.payment_status,
            refund_status="not_refunded",
            cancellation_status="not_cancelled",
            total_paid=new.total_paid,
            total_refunded=ZERO,
        ),
        guest=new.guest,
        discount_codes=new.discount_codes,
        claimed_reward_ids=new.claimed_reward_ids,
        ip_address=new.ip_address,
        user_agent=new.user_agent,
        referral_id=new.referral_id,
        tracking_id=new.tracking_id,
        points_earned=None,
        points_not_taken_back=0,
        ordered_at=new.ordered_at or now,
        created_at=now,
        updated_at=now,
    )
    referral = None
    if new.payment_status == "paid":
        referral = await pending_referral(conn, program, draft, customer)
    locked = await _lock(
        conn, program.id, {customer.id} | ({referral.referrer.id} if referral else set())
    )
    customer = locked[customer.id]
    order = await insert_order(conn, draft)
    if order is None:
        raise Conflict(
            "order_exists", f"An order with merchant ID `{new.merchant_id}` already exists"
        )
    if customer.state == "guest" and not new.guest and program.document.auto_enrol:
        customer, _ = await members.enrol(
            conn,
            program,
            customer,
            channel=ORDER_CHANNEL,
            currency=program.site.default_currency,
            now=now,
            created=created,
        )
    await _mark_claims_used(conn, program, order, now)
    referrer = None if referral is None else locked.get(referral.referrer.id)
    return await _settle(conn, program, order, customer, referral, referrer, now)


async def update_order(
    conn: AsyncConnection,
    program_id: int,
    merchant_id: str,
    status: OrderStatus,
    now: datetime,
    program_of: ProgramOf,
) -> Order:
    """The full, idempotent update: the order takes ``status`` and holds the points that
    status gives it. The same status again changes nothing."""
    if status.total_refunded > status.total_paid:
        raise Invalid(
            "The request body is invalid",
            {"total_refunded": "must not be more than total_paid"},
        )
    order = await find_order(conn, program_id, merchant_id)
    if order is None:
        raise order_not_found(merchant_id)
    if order.status == status:
        return order
    program = await program_of(await get_site(conn, program_id, order.site_id))
    customer = await find_customer_by_id(conn, program_id, order.customer_id)
    assert customer is not None
    referral = None
    if order.points_earned is None and status.payment_status == "paid":
        referral = await pending_referral(conn, program, order, customer)
    locked = await _lock(
        conn, program_id, {customer.id} | ({referral.referrer.id} if referral else set())
    )
    customer = locked[customer.id]
    # Re-read under the lock: a concurrent update may have committed meanwhile.
    current = await find_order(conn, program_id, merchant_id)
    assert current is not None
    if current.status == status:
        return current
    order = await save_status(conn, current, status, now)
    referrer = None if referral is None else locked.get(referral.referrer.id)
    return await _settle(conn, program, order, customer, referral, referrer, now)
