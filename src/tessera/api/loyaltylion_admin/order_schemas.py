"""Wire shapes of the Admin API's orders, as msgspec Structs mirroring admin-v2-orders.yaml.

Unknown fields are ignored, not refused: LoyaltyLion's own versions of these bodies differ
(``number``, ``$magento_payload``), and an integration written against any of them must work.
Optional fields may be ``null``, which means the same as leaving them out. Lengths are the
columns'; amounts are read by ``tessera.kit.amounts`` (a pattern error from msgspec would not
say what is wrong).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from tessera.shapes.loyaltylion.orders import OrderOut
from tessera.store.tables import MAX_ID

from .pagination import CursorOut

Id255 = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Text255 = Annotated[str, msgspec.Meta(max_length=255)]
AmountText = Annotated[str, msgspec.Meta(max_length=32)]
PaymentStatus = Literal["not_paid", "partially_paid", "paid"]
RefundStatus = Literal["not_refunded", "partially_refunded", "refunded"]
CancellationStatus = Literal["cancelled", "not_cancelled"]
MAX_LIST = 100


class DiscountCodeIn(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    amount: AmountText | UnsetType | None = UNSET


class CreateOrderIn(msgspec.Struct):
    customer_id: Id255
    customer_email: Annotated[str, msgspec.Meta(max_length=320)]
    merchant_id: Id255
    total: AmountText
    total_shipping: AmountText
    payment_status: PaymentStatus
    total_paid: AmountText | UnsetType | None = UNSET
    merchant_number: Text255 | UnsetType | None = UNSET
    discount_codes: (
        Annotated[list[DiscountCodeIn], msgspec.Meta(max_length=MAX_LIST)] | UnsetType | None
    ) = UNSET
    claimed_reward_ids: (
        Annotated[
            list[Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]], msgspec.Meta(max_length=MAX_LIST)
        ]
        | UnsetType
        | None
    ) = UNSET
    date: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType | None = UNSET
    ip_address: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType | None = UNSET
    user_agent: Annotated[str, msgspec.Meta(max_length=1000)] | UnsetType | None = UNSET
    referral_id: Text255 | UnsetType | None = UNSET
    tracking_id: Text255 | UnsetType | None = UNSET
    guest: bool | UnsetType | None = UNSET


class UpdateOrderIn(msgspec.Struct):
    payment_status: PaymentStatus
    refund_status: RefundStatus
    cancellation_status: CancellationStatus
    total_paid: AmountText
    total_refunded: AmountText


class OrderResponseOut(msgspec.Struct):
    order: OrderOut


class OrdersOut(msgspec.Struct):
    orders: list[OrderOut]
    cursor: CursorOut
