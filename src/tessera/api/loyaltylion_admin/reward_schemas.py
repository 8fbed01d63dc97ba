"""Wire shapes of the Admin API's customer rewards and unsubscribes, mirroring
admin-v2-rewards.yaml: requests and answers' envelopes (rewards, claimed rewards and the
unsubscribe object themselves are tessera.shapes.loyaltylion's)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from tessera.shapes.loyaltylion.rewards import ClaimedRewardOut, RewardOut
from tessera.store.tables import MAX_ID

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


class AvailableRewardsOut(msgspec.Struct):
    rewards: list[RewardOut]


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


def unset_none(value: Any) -> Any:
    return None if isinstance(value, UnsetType) else value
