"""Request bodies of the Headless API as msgspec Structs (strict: unknown fields are refused).

Response bodies are built as plain data by ``configuration`` and ``customer`` and validated
against the contract's own schemas in the test suite.

Every string that reaches the database is a ``Text``/``Email``/``LongText`` and every id an ``Id``:
the contract leaves lengths, NUL characters and integer ranges open, but PostgreSQL refuses NUL
characters in text, strings longer than their column, and integers beyond int32, so the wire
types refuse them first (a 400 naming the field, on every database alike).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from tessera.store.tables import MAX_ID

# PostgreSQL text cannot hold U+0000 (SQLite can): refuse it on the wire for both.
NO_NUL = "^[^\\x00]*$"
# Merchant ids, referral ids, cart ids...: the String(255) columns they are stored in or matched to.
Text = Annotated[str, msgspec.Meta(max_length=255, pattern=NO_NUL)]
Email = Annotated[str, msgspec.Meta(max_length=320, pattern=NO_NUL)]
# Free text the engine truncates itself (a user agent, a page URL, a cart line attribute).
LongText = Annotated[str, msgspec.Meta(max_length=10_000, pattern=NO_NUL)]
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class SessionCustomer(Strict, frozen=True):
    email: Email


class SessionInfo(Strict, frozen=True):
    page_url: LongText | None = None


class ShopifyMoney(Strict, frozen=True):
    amount: Text
    currency_code: Text


class LineCost(Strict, frozen=True):
    total_amount: ShopifyMoney
    amount_per_quantity: ShopifyMoney


class Merchandise(Strict, frozen=True):
    id: Text


class LineAttribute(Strict, frozen=True):
    key: LongText
    value: LongText | None


class CartLine(Strict, frozen=True):
    id: Text
    quantity: int
    cost: LineCost
    merchandise: Merchandise
    attributes: list[LineAttribute]


class CartCost(Strict, frozen=True):
    total_amount: ShopifyMoney


class CartEmpty(Strict, tag_field="kind", tag="empty", frozen=True):
    pass


class CartShopify(Strict, tag_field="kind", tag="shopify", frozen=True):
    id: Text
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
    referral_id: Text
    ip_address: LongText
    user_agent: LongText | None
    referee_email: Email | None = None


class TrackShareIn(Strict, frozen=True):
    customer_merchant_id: Text
    channel: Literal[
        "direct", "facebook", "twitter", "email", "whatsapp", "instagram", "device_share"
    ]


class RedeemIn(Strict, frozen=True):
    reward_id: Id
    customer_merchant_id: Text


class RewardUsageOrder(Strict, frozen=True):
    kind: Literal["order"]
    merchant_id: Text


class RedeemCustomIn(Strict, frozen=True):
    reward_id: Id
    customer_merchant_id: Text
    fulfill_immediately: bool = False
    usage: RewardUsageOrder | None = None


class ShippingAddress(Strict, frozen=True):
    kind: Literal["recharge"]
    id: Id


class RedeemSubscriptionProductIn(Strict, frozen=True):
    reward_id: Id
    customer_merchant_id: Text
    variant_id: Text
    shipping_address: ShippingAddress | None = None


class RedeemProductCartIn(Strict, frozen=True):
    reward_id: Id
    customer_merchant_id: Text
    variant_id: Text
    cart_id: Text


class RefundProductCartIn(Strict, frozen=True):
    claimed_reward_id: Id


class CompleteRuleIn(Strict, frozen=True):
    rule_id: Id
    customer_merchant_id: Text
