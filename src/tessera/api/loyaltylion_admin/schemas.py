"""Wire shapes of the Admin API, as msgspec Structs mirroring admin-v2.yaml."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

CHANNEL_PATTERN = "^[-a-zA-Z0-9_.]+$"


class WebviewCustomerIn(msgspec.Struct, forbid_unknown_fields=True):
    merchant_id: str
    email: str


class CreateWebviewSessionIn(msgspec.Struct, forbid_unknown_fields=True):
    channel: Annotated[str, msgspec.Meta(min_length=2, pattern=CHANNEL_PATTERN)]
    # UNSET, not None: the contract types these as strings, so an explicit null is an error.
    language: str | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    customer: WebviewCustomerIn | UnsetType = UNSET


class WebviewSessionOut(msgspec.Struct):
    url: str
    expires_at: str


class CreateWebviewSessionOut(msgspec.Struct):
    webview_session: WebviewSessionOut


class IdentityOut(msgspec.Struct):
    kind: str
    account_id: int
    program_id: int
    scopes: list[str]
    integration: None = None


class WhoamiOut(msgspec.Struct):
    identity: IdentityOut


class SiteOut(msgspec.Struct):
    id: int
    program_id: int
    account_id: int
    name: str
    url: str
    platform: str
    currencies: list[str]
    languages: list[str]
    created_at: str
    updated_at: str


class SitesOut(msgspec.Struct):
    sites: list[SiteOut]
