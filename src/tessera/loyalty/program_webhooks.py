"""A program's LoyaltyLion webhooks (the Admin API's ``/v2/webhooks``): each is one topic that
Tessera sends (tessera.loyalty.program_events), posted to a checked address and signed with
the secret of the site it was registered for, as LoyaltyLion signs webhooks made with an API
key. The endpoints themselves are tessera.webhooks.endpoints'."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.errors import Invalid, NotFound
from tessera.loyalty.program_events import SENT
from tessera.programs.site_secrets import site_signing_secret
from tessera.webhooks.endpoints import (
    Endpoint,
    checked_url,
    create_endpoint,
    delete_endpoint,
    list_endpoints,
)
from tessera.webhooks.outbox import LOYALTYLION

INVALID = "The request body is invalid"
TOPIC_FIELD, ADDRESS_FIELD = "webhook.topic", "webhook.address"
UNSEALED = (
    "This site has no secret Tessera can sign webhooks with (it was issued before Tessera "
    "kept site secrets for signing, or sealed under another server key: check that "
    "TESSERA_SECRET_KEY or the key file is the one the site was made with): rotate it with "
    "`tessera sites rotate-secret`, then register the webhook again"
)


def sent_topic(topic: str) -> str:
    """``topic`` if Tessera sends it; Invalid naming the field if not."""
    if topic not in SENT:
        raise Invalid(
            INVALID, {TOPIC_FIELD: f"is not a topic Tessera sends; one of: {', '.join(SENT)}"}
        )
    return topic


async def register_webhook(
    conn: AsyncConnection,
    *,
    program_id: int,
    site_id: int,
    topic: str,
    address: str,
    service_integration_id: int | None,
    allow_private: bool,
    server_key: bytes,
) -> Endpoint:
    """A new webhook of ``site_id`` (one of the program's) for ``topic``."""
    sent_topic(topic)
    checked_url(address, allow_private, field=ADDRESS_FIELD)
    if await site_signing_secret(conn, site_id, server_key) is None:
        raise Invalid(UNSEALED, {"site_id": "has no secret to sign webhooks with yet"})
    return await create_endpoint(
        conn,
        program_id=program_id,
        dialect=LOYALTYLION,
        public_id=str(uuid.uuid4()),
        url=address,
        topics=[topic],
        allow_private=allow_private,
        site_id=site_id,
        attributes={"service_integration_id": service_integration_id},
    )


async def list_webhooks(conn: AsyncConnection, program_id: int) -> list[Endpoint]:
    """The program's webhooks, oldest first."""
    return await list_endpoints(conn, program_id, LOYALTYLION)


async def delete_webhook(conn: AsyncConnection, program_id: int, webhook_id: int) -> None:
    """Delete the program's webhook ``webhook_id``: nothing more is posted to it (its pending
    deliveries are cancelled). Another program's webhook is not found."""
    found = next((e for e in await list_webhooks(conn, program_id) if e.id == webhook_id), None)
    if found is None:
        raise NotFound("webhook", f"Webhook with ID `{webhook_id}` not found")
    await delete_endpoint(conn, found)
