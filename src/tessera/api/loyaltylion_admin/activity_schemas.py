"""Wire shapes of the Admin API's activities, mirroring admin-v2-activities.yaml."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from tessera.shapes.loyaltylion.customers import CustomerBriefOut

from .pagination import CursorOut

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Bounded = Annotated[str, msgspec.Meta(max_length=255)]
# customer_id: a string in the reference, a number in one of its versions.
CustomerId = (
    Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    | Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
)


class CreateActivityIn(msgspec.Struct):
    """Unknown fields are ignored, as the reference's ignored ``state`` suggests it does."""

    name: Name
    customer_id: CustomerId
    customer_email: Annotated[str, msgspec.Meta(min_length=1, max_length=320)]
    merchant_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    properties: dict[str, Any] | UnsetType = UNSET
    ip_address: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    user_agent: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    date: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    referral_id: Bounded | None = None
    tracking_id: Bounded | None = None
    guest: bool = False
    state: Any = None  # no longer supported: ignored


class UpdateActivityIn(msgspec.Struct):
    state: Literal["approved", "declined", "void"]


class ActivityRuleOut(msgspec.Struct):
    id: int | None
    name: str | None
    title: str | None


class ActivityOut(msgspec.Struct):
    id: int
    merchant_id: str | None
    value: int
    state: str
    customer: CustomerBriefOut
    created_at: str
    rule: ActivityRuleOut
    flow: None = None


class ActivitiesOut(msgspec.Struct):
    activities: list[ActivityOut]
    cursor: CursorOut
