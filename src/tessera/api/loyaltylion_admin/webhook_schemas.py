"""Wire shapes of the Admin API's webhooks, mirroring admin-v2-webhooks.yaml."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from tessera.store.tables import MAX_ID
from tessera.webhooks.outbound import MAX_URL_LENGTH


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    topic: Annotated[str, msgspec.Meta(max_length=100)]
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL_LENGTH)]
    service_integration_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] | UnsetType | None = UNSET


class CreateWebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    webhook: WebhookIn


class WebhookOut(msgspec.Struct):
    id: int
    topic: str
    address: str
    created_at: str
    updated_at: str
    service_integration_id: int | None


class WebhookEnvelopeOut(msgspec.Struct):
    webhook: WebhookOut


class WebhooksOut(msgspec.Struct):
    webhooks: list[WebhookOut]
