"""Stripe's ``webhook_endpoint`` and ``deleted_webhook_endpoint`` objects."""

from __future__ import annotations

import msgspec

from tessera.customers.stripe_objects import unix
from tessera.webhooks.endpoints import Endpoint


class WebhookEndpointOut(msgspec.Struct, kw_only=True):
    id: str
    object: str = "webhook_endpoint"
    api_version: str | None
    application: None = None
    created: int
    description: str | None
    enabled_events: list[str]
    livemode: bool
    metadata: dict[str, str]
    # Only in the answer to its creation: the secret is never shown again.
    secret: str | msgspec.UnsetType = msgspec.UNSET
    status: str
    url: str


class DeletedWebhookEndpointOut(msgspec.Struct):
    id: str
    deleted: bool = True
    object: str = "webhook_endpoint"


def webhook_endpoint_out(endpoint: Endpoint, secret: str | None = None) -> WebhookEndpointOut:
    attributes = endpoint.attributes
    return WebhookEndpointOut(
        id=endpoint.public_id,
        api_version=attributes.get("api_version"),
        created=unix(endpoint.created_at),
        description=attributes.get("description"),
        enabled_events=endpoint.topics,
        livemode=endpoint.livemode,
        metadata=attributes.get("metadata") or {},
        secret=msgspec.UNSET if secret is None else secret,
        status=endpoint.status,
        url=endpoint.url,
    )
