"""Stripe webhook endpoints (``we_``): a URL, the event types it hears (``enabled_events``,
``*`` for all), a description, metadata and an API version, in test or live mode.

Each is signed with its own ``whsec_`` secret, made here, sealed under the server key and
shown once, in the answer to its creation. The rules every endpoint follows (scoping by
program and mode, address checks, what deleting cancels) are tessera.webhooks.endpoints';
this adds Stripe's: at most ``MAX_ENDPOINTS`` per mode, Stripe's metadata rules, its errors'
words, and its lists' cursors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.stripe import merge_metadata, new_object_id
from tessera.kit.errors import Invalid, MissingReference, NotFound
from tessera.webhooks import endpoints
from tessera.webhooks.endpoints import Endpoint
from tessera.webhooks.outbox import STRIPE

# Stripe's own limit per account and mode; it also bounds the fan-out of every change.
MAX_ENDPOINTS = 16


@dataclass(frozen=True, slots=True)
class CreatedStripeEndpoint:
    endpoint: Endpoint
    secret: str  # the whsec_ secret: in this answer only


@dataclass(frozen=True, slots=True)
class StripeEndpointPage:
    endpoints: list[Endpoint]
    has_more: bool


def _url_refused(refused: Invalid) -> Invalid:
    """The core's refusal of an address, saying why in the message (Stripe shows only that)."""
    reason = refused.details.get("url")
    if reason is None:
        return refused
    return Invalid(f"Invalid URL: {reason}.", {"url": reason})


async def create_stripe_endpoint(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    *,
    url: str,
    enabled_events: list[str],
    description: str | None,
    metadata: dict[str, str] | None,
    api_version: str | None,
    allow_private: bool,
    server_key: bytes,
) -> CreatedStripeEndpoint:
    existing = await endpoints.list_endpoints(conn, program_id, STRIPE, livemode=livemode)
    if len(existing) >= MAX_ENDPOINTS:
        mode = "live" if livemode else "test"
        raise Invalid(
            f"You have reached the maximum of {MAX_ENDPOINTS} {mode} webhook endpoints: "
            "delete one you no longer use first."
        )
    secret = endpoints.new_signing_secret()
    attributes = {
        "description": description,
        "metadata": merge_metadata({}, metadata or {}),
        "api_version": api_version,
    }
    try:
        endpoint = await endpoints.create_endpoint(
            conn,
            program_id=program_id,
            dialect=STRIPE,
            public_id=new_object_id("we_"),
            url=url,
            topics=list(dict.fromkeys(enabled_events)),
            allow_private=allow_private,
            livemode=livemode,
            attributes=attributes,
            secret=secret,
            server_key=server_key,
        )
    except Invalid as refused:
        raise _url_refused(refused) from None
    return CreatedStripeEndpoint(endpoint, secret)


async def get_stripe_endpoint(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> Endpoint:
    try:
        return await endpoints.get_endpoint(conn, program_id, STRIPE, public_id, livemode=livemode)
    except NotFound:
        raise NotFound("webhook_endpoint", f"No such webhook endpoint: '{public_id}'") from None


async def update_stripe_endpoint(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    public_id: str,
    *,
    allow_private: bool,
    url: str | None = None,
    enabled_events: list[str] | None = None,
    description: str | None = None,
    description_given: bool = False,
    metadata: dict[str, str] | None = None,
    metadata_given: bool = False,
    disabled: bool | None = None,
) -> Endpoint:
    """Change what was given (``description`` None clears it, as ``metadata`` None clears every
    key); ``disabled=False`` re-enables an endpoint and resumes its pending deliveries."""
    endpoint = await get_stripe_endpoint(conn, program_id, livemode, public_id)
    attributes: dict[str, Any] | None = None
    if description_given or metadata_given:
        attributes = dict(endpoint.attributes)
        if description_given:
            attributes["description"] = description
        if metadata_given:
            attributes["metadata"] = merge_metadata(attributes.get("metadata") or {}, metadata)
    try:
        return await endpoints.update_endpoint(
            conn,
            endpoint,
            allow_private=allow_private,
            url=url,
            topics=None if enabled_events is None else list(dict.fromkeys(enabled_events)),
            attributes=attributes,
            enabled=None if disabled is None else not disabled,
        )
    except Invalid as refused:
        raise _url_refused(refused) from None


async def delete_stripe_endpoint(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> Endpoint:
    endpoint = await get_stripe_endpoint(conn, program_id, livemode, public_id)
    await endpoints.delete_endpoint(conn, endpoint)
    return endpoint


def _position(ordered: list[Endpoint], public_id: str, field: str) -> int:
    for index, endpoint in enumerate(ordered):
        if endpoint.public_id == public_id:
            return index
    raise MissingReference(field, "webhook_endpoint", f"No such webhook endpoint: '{public_id}'")


async def list_stripe_endpoints(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    *,
    limit: int,
    starting_after: str | None = None,
    ending_before: str | None = None,
) -> StripeEndpointPage:
    """Newest first, as Stripe lists; the cursors are endpoint ids of this program and mode.
    A mode holds at most ``MAX_ENDPOINTS``, so a page is cut from all of them."""
    found = await endpoints.list_endpoints(conn, program_id, STRIPE, livemode=livemode)
    ordered = found[::-1]
    if starting_after is not None:
        start = _position(ordered, starting_after, "starting_after") + 1
        page = ordered[start : start + limit]
        return StripeEndpointPage(page, has_more=len(ordered) > start + limit)
    if ending_before is not None:
        end = _position(ordered, ending_before, "ending_before")
        start = max(0, end - limit)
        return StripeEndpointPage(ordered[start:end], has_more=start > 0)
    return StripeEndpointPage(ordered[:limit], has_more=len(ordered) > limit)
