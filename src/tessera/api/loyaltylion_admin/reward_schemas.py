"""Wire shapes of the Admin API's customer rewards and unsubscribes, mirroring
admin-v2-rewards.yaml. Fields Tessera has no notion of are always null (docs/admin-api.md)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from tessera.store.tables import MAX_ID

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


class TargetSiteOut(msgspec.Struct):
    id: int
    name: str
    url: str


class TargetCollectionOut(msgspec.Struct):
    id: str
    url: str | None
    restriction_text: str | None


class TargetProductOut(msgspec.Struct):
    inventory_count: int | None  # left to claim; None: not counted
    sort_key: int
    id: str
    variant_id: str | None
    sku: None
    url: str | None
    image_url: str | None
    title: str | None
    handle: str | None


class ExpiryOptionsOut(msgspec.Struct):
    kind: str  # "never" or "duration"
    seconds: int | None


class RewardOut(msgspec.Struct):
    id: int
    title: str
    description: str | None
    sort_key: int
    content: None
    point_cost: int
    method: str
    discount_type: str | None
    discount_amount: float | None
    minimum_spend: float | None
    usage_limit: int | None
    min_redemption_amount: float | None
    max_redemption_amount: float | None
    max_free_shipping: float | None
    site_id: None
    target_site: TargetSiteOut | None
    order_type: str | None
    target_type: str | None
    target_collections: list[TargetCollectionOut]
    target_products: list[TargetProductOut]
    session_options: None
    auto_refund_seconds: int | None
    expiry_options: ExpiryOptionsOut
    redeemable_expiry_options: None
    supported_channels: list[str]
    kind: str
    recurring_cycle_limit: int | None


class AvailableRewardsOut(msgspec.Struct):
    rewards: list[RewardOut]


class RedeemableOut(msgspec.Struct):
    redeemable_type: str  # "voucher", "gift_card" or "fulfilment"
    code: str | None
    discount_amount: float | None
    usage_count: int
    usage_limit: int | None
    fulfilled: bool
    fulfilled_at: str | None
    expires_on: str | None


class SessionOut(msgspec.Struct):
    kind: str
    token: str


class ClaimedRewardOut(msgspec.Struct):
    id: int
    claimed_at: str
    point_cost: int
    redeemable: RedeemableOut
    reward: RewardOut | None  # None: the reward is no longer in the program file
    state: str
    session: SessionOut | None
    auto_refund_at: str | None
    expires_at: str | None


class ClaimRewardIn(msgspec.Struct, forbid_unknown_fields=True):
    reward_id: Id
    multiplier: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] | UnsetType = UNSET
    variant_id: Annotated[str, msgspec.Meta(max_length=255)] | UnsetType = UNSET


class ClaimedRewardEnvelopeOut(msgspec.Struct):
    claimed_reward: ClaimedRewardOut


class RefundedRewardOut(msgspec.Struct):
    claimed_reward: ClaimedRewardOut
    remote_resource_deleted: bool


class UnsubscribeIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]


class UnsubscribeOut(msgspec.Struct):
    email: str
    id: str | None


def unset_none(value: Any) -> Any:
    return None if isinstance(value, UnsetType) else value
