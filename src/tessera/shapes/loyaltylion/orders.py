"""Orders as the Admin API shows them (and the webhook events that carry an order)."""

from __future__ import annotations

import msgspec

from tessera.kit.amounts import ZERO, amount_text
from tessera.kit.clock import iso_z
from tessera.loyalty.order_views import OrderView

from .customers import CustomerBriefOut, customer_brief


class DiscountCodeOut(msgspec.Struct):
    code: str
    amount: str


class OrderOut(msgspec.Struct):
    id: int
    merchant_id: str
    merchant_number: str | None
    site_id: int
    total: str
    total_shipping: str
    total_discounts: str
    total_paid: str
    total_refunded: str
    payment_status: str
    refund_status: str
    cancellation_status: str
    guest: bool
    customer: CustomerBriefOut
    points_earned: int
    points_taken_back: int
    points_not_taken_back: int
    discount_codes: list[DiscountCodeOut]
    claimed_reward_ids: list[int]
    referral_id: str | None
    tracking_id: str | None
    date: str
    created_at: str
    updated_at: str


def order_out(view: OrderView) -> OrderOut:
    order = view.order
    status = order.status
    return OrderOut(
        id=order.id,
        merchant_id=order.merchant_id,
        merchant_number=order.merchant_number,
        site_id=order.site_id,
        total=amount_text(order.total),
        total_shipping=amount_text(order.total_shipping),
        total_discounts=amount_text(sum((item.amount for item in order.discount_codes), ZERO)),
        total_paid=amount_text(status.total_paid),
        total_refunded=amount_text(status.total_refunded),
        payment_status=status.payment_status,
        refund_status=status.refund_status,
        cancellation_status=status.cancellation_status,
        guest=order.guest,
        customer=customer_brief(view.customer, view.balances),
        points_earned=view.points_earned,
        points_taken_back=view.points_taken_back,
        points_not_taken_back=order.points_not_taken_back,
        discount_codes=[
            DiscountCodeOut(code=item.code, amount=amount_text(item.amount))
            for item in order.discount_codes
        ],
        claimed_reward_ids=list(order.claimed_reward_ids),
        referral_id=order.referral_id,
        tracking_id=order.tracking_id,
        date=iso_z(order.ordered_at, millis=True),
        created_at=iso_z(order.created_at, millis=True),
        updated_at=iso_z(order.updated_at, millis=True),
    )
