"""Orders from the wire to the core: request bodies checked and turned into the core's types
(every bad field named in one 400). Orders are encoded by tessera.shapes.loyaltylion.orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import msgspec

from tessera.api.contract import decode_against_contract
from tessera.kit.amounts import AMOUNT_PROBLEM, ZERO, parse_amount
from tessera.kit.clock import parse_moment
from tessera.kit.errors import Invalid
from tessera.loyalty.order_service import NewOrder
from tessera.loyalty.order_store import DiscountCode, OrderStatus

from .order_schemas import CreateOrderIn, UpdateOrderIn

INVALID_BODY = "The request body is invalid"
T = TypeVar("T")


def _given(value: T | msgspec.UnsetType | None) -> T | None:
    return None if value is None or isinstance(value, msgspec.UnsetType) else value


class _Problems:
    """Every problem of one body, so a 400 names them all."""

    def __init__(self) -> None:
        self.details: dict[str, str] = {}

    def amount(self, field: str, text: str) -> Decimal:
        found = parse_amount(text)
        if found is None:
            self.details[field] = AMOUNT_PROBLEM
            return ZERO
        return found

    def text(self, field: str, text: str | None, *, blank: bool = True) -> str | None:
        if text is None:
            return None
        if "\x00" in text:
            self.details[field] = "must not contain NUL characters"
        elif not blank and not text.strip():
            self.details[field] = "must not be empty"
        return text

    def moment(self, field: str, text: str | None) -> datetime | None:
        if text is None:
            return None
        moment = parse_moment(text)
        if moment is None:
            self.details[field] = "must be an ISO 8601 date or timestamp"
        return moment

    def raise_any(self) -> None:
        if self.details:
            raise Invalid(INVALID_BODY, self.details)


def new_order(body: bytes) -> NewOrder:
    """The order a POST /v2/orders body describes, or Invalid naming each bad field."""
    data = decode_against_contract(
        body, CreateOrderIn, "admin-v2", "OrdersCreateOrderRequestBody", INVALID_BODY
    )
    check = _Problems()
    email = check.text("customer_email", data.customer_email)
    if email is not None and "customer_email" not in check.details and "@" not in email:
        check.details["customer_email"] = "must be an email address"
    total = check.amount("total", data.total)
    shipping = check.amount("total_shipping", data.total_shipping)
    paid_text = _given(data.total_paid)
    paid = None if paid_text is None else check.amount("total_paid", paid_text)
    codes = []
    for index, item in enumerate(_given(data.discount_codes) or []):
        code = check.text(f"discount_codes[{index}].code", item.code, blank=False) or ""
        amount_given = _given(item.amount)
        amount = (
            ZERO
            if amount_given is None
            else check.amount(f"discount_codes[{index}].amount", amount_given)
        )
        codes.append(DiscountCode(code=code, amount=amount))
    ordered_at = check.moment("date", _given(data.date))
    order = NewOrder(
        customer_merchant_id=check.text("customer_id", data.customer_id, blank=False) or "",
        customer_email=email or "",
        merchant_id=check.text("merchant_id", data.merchant_id, blank=False) or "",
        merchant_number=check.text("merchant_number", _given(data.merchant_number)),
        total=total,
        total_shipping=shipping,
        # Not given: a paid order was paid in full, any other has no payment yet.
        total_paid=paid if paid is not None else (total if data.payment_status == "paid" else ZERO),
        payment_status=data.payment_status,
        discount_codes=tuple(codes),
        claimed_reward_ids=tuple(dict.fromkeys(_given(data.claimed_reward_ids) or [])),
        ordered_at=ordered_at,
        ip_address=check.text("ip_address", _given(data.ip_address)),
        user_agent=check.text("user_agent", _given(data.user_agent)),
        referral_id=check.text("referral_id", _given(data.referral_id)),
        tracking_id=check.text("tracking_id", _given(data.tracking_id)),
        guest=bool(_given(data.guest)),
    )
    check.raise_any()
    return order


def order_status(body: bytes) -> OrderStatus:
    """The state a PUT /v2/orders/{merchant_id} body gives the order."""
    data = decode_against_contract(
        body, UpdateOrderIn, "admin-v2", "OrdersUpdateOrderRequestBody", INVALID_BODY
    )
    check = _Problems()
    status = OrderStatus(
        payment_status=data.payment_status,
        refund_status=data.refund_status,
        cancellation_status=data.cancellation_status,
        total_paid=check.amount("total_paid", data.total_paid),
        total_refunded=check.amount("total_refunded", data.total_refunded),
    )
    check.raise_any()
    return status
