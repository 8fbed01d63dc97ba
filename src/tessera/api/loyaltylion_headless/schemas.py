"""Request bodies of the Headless API as msgspec Structs (strict: unknown fields are refused).

Response bodies are built as plain data by ``configuration`` and ``customer`` and validated
against the contract's own schemas in the test suite."""

from __future__ import annotations

from typing import Literal

import msgspec


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class SessionCustomer(Strict, frozen=True):
    email: str


class SessionInfo(Strict, frozen=True):
    page_url: str | None = None


class ShopifyMoney(Strict, frozen=True):
    amount: str
    currency_code: str


class LineCost(Strict, frozen=True):
    total_amount: ShopifyMoney
    amount_per_quantity: ShopifyMoney


class Merchandise(Strict, frozen=True):
    id: str


class LineAttribute(Strict, frozen=True):
    key: str
    value: str | None


class CartLine(Strict, frozen=True):
    id: str
    quantity: int
    cost: LineCost
    merchandise: Merchandise
    attributes: list[LineAttribute]


class CartCost(Strict, frozen=True):
    total_amount: ShopifyMoney


class CartEmpty(Strict, tag_field="kind", tag="empty", frozen=True):
    pass


class CartShopify(Strict, tag_field="kind", tag="shopify", frozen=True):
    id: str
    cost: CartCost
    lines: list[CartLine]


class InitializeSessionIn(Strict, frozen=True):
    customer: SessionCustomer
    session: SessionInfo | None = None
    cart: CartEmpty | CartShopify | None = None


class Birthday(Strict, frozen=True):
    month: int
    day: int
    year: int


class SetBirthdayIn(Strict, frozen=True):
    birthday: Birthday


class RefereeIncentiveIn(Strict, frozen=True):
    referral_id: str
    ip_address: str
    user_agent: str | None
    referee_email: str | None = None


class TrackShareIn(Strict, frozen=True):
    customer_merchant_id: str
    channel: Literal[
        "direct", "facebook", "twitter", "email", "whatsapp", "instagram", "device_share"
    ]


class RedeemIn(Strict, frozen=True):
    reward_id: int
    customer_merchant_id: str


class RewardUsageOrder(Strict, frozen=True):
    kind: Literal["order"]
    merchant_id: str


class RedeemCustomIn(Strict, frozen=True):
    reward_id: int
    customer_merchant_id: str
    fulfill_immediately: bool = False
    usage: RewardUsageOrder | None = None


class ShippingAddress(Strict, frozen=True):
    kind: Literal["recharge"]
    id: int


class RedeemSubscriptionProductIn(Strict, frozen=True):
    reward_id: int
    customer_merchant_id: str
    variant_id: str
    shipping_address: ShippingAddress | None = None


class RedeemProductCartIn(Strict, frozen=True):
    reward_id: int
    customer_merchant_id: str
    variant_id: str
    cart_id: str


class RefundProductCartIn(Strict, frozen=True):
    claimed_reward_id: int


class CompleteRuleIn(Strict, frozen=True):
    rule_id: int
    customer_merchant_id: str
