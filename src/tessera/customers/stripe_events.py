"""Stripe's events for Stripe customers and payment methods: ``customer.created``,
``customer.updated``, ``customer.deleted``, ``payment_method.attached``,
``payment_method.detached`` and ``payment_method.updated``.

The services call these in the change's own unit of work, so an event is one more INSERT in
the same transaction (tessera.webhooks.outbox): nothing is announced that did not commit. The
event is Stripe's ``event`` object, its ``data.object`` built by the encoder the API answers
with (tessera.customers.stripe_objects), ``data.previous_attributes`` holding what an update
changed, with its values before. Stripe events are always recorded, whether or not an endpoint
listens: ``GET /v1/events`` lists them. ``pending_webhooks`` is stored as 0 and filled in where
it is read (:func:`with_pending`): by the delivery worker and by ``GET /v1/events``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.stripe_objects import (
    API_VERSION,
    customer_object,
    payment_method_out,
    unix,
)
from tessera.kit.clock import utcnow
from tessera.webhooks.outbox import STRIPE, NewEvent, record

if TYPE_CHECKING:  # the services import this module
    from tessera.customers.stripe import StripeCustomer
    from tessera.payments.methods import PaymentMethod

CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_DELETED = "customer.deleted"
PAYMENT_METHOD_ATTACHED = "payment_method.attached"
PAYMENT_METHOD_DETACHED = "payment_method.detached"
PAYMENT_METHOD_UPDATED = "payment_method.updated"
# The types Tessera emits (an endpoint may subscribe to any type Stripe's contract lists).
EMITTED = (
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_DELETED,
    PAYMENT_METHOD_ATTACHED,
    PAYMENT_METHOD_DETACHED,
    PAYMENT_METHOD_UPDATED,
)


@dataclass(frozen=True, slots=True)
class EventRequest:
    """The API request that made a change (its ``Request-Id`` and ``Idempotency-Key``); both
    None for a change no API request made."""

    id: str | None = None
    idempotency_key: str | None = None


NO_REQUEST = EventRequest()


class EventRequestOut(msgspec.Struct):
    id: str | None
    idempotency_key: str | None


class EventData(msgspec.Struct, omit_defaults=True):
    object: Any
    # Only on changes: the fields that changed, with their values before.
    previous_attributes: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class StripeEvent(msgspec.Struct, kw_only=True):
    """Stripe's ``event`` object; ``data`` is kept encoded, so reading an event to fill in
    ``pending_webhooks`` never rebuilds what it carries."""

    id: str
    object: str = "event"
    api_version: str | None
    created: int
    data: msgspec.Raw
    livemode: bool
    pending_webhooks: int
    request: EventRequestOut
    type: str


def new_event_id() -> str:
    """``evt_`` and 24 letters and digits (unique, not secret: one random draw, not 24)."""
    return "evt_" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "z")


def with_pending(body: bytes, pending: int) -> bytes:
    """A stored event's body with its ``pending_webhooks`` filled in."""
    event = msgspec.json.decode(body, type=StripeEvent)
    return msgspec.json.encode(msgspec.structs.replace(event, pending_webhooks=pending))


def previous_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed from ``before`` to ``after``, with its value before, as Stripe's
    ``previous_attributes`` says it: a hash (metadata) key by key (null for a key that was
    not there), anything else whole."""
    previous: dict[str, Any] = {}
    for key in after.keys() | before.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            previous[key] = previous_values(old, new)
        else:
            previous[key] = old
    return previous


async def _record(
    conn: AsyncConnection,
    *,
    program_id: int,
    livemode: bool,
    type: str,
    subject: str,
    data: EventData,
    origin: EventRequest,
) -> None:
    now: datetime = utcnow()
    public_id = new_event_id()
    event = StripeEvent(
        id=public_id,
        api_version=API_VERSION,
        created=unix(now),
        data=msgspec.Raw(msgspec.json.encode(data)),
        livemode=livemode,
        pending_webhooks=0,
        request=EventRequestOut(id=origin.id, idempotency_key=origin.idempotency_key),
        type=type,
    )
    await record(
        conn,
        NewEvent(
            program_id=program_id,
            dialect=STRIPE,
            type=type,
            subject=subject,
            body=msgspec.json.encode(event),
            public_id=public_id,
            livemode=livemode,
            created_at=now,
        ),
    )


async def customer_changed(
    conn: AsyncConnection,
    type: str,
    customer: StripeCustomer,
    origin: EventRequest,
    *,
    before: StripeCustomer | None = None,
) -> None:
    """Record ``customer.created``, ``.deleted`` or (given ``before``) ``.updated``; an update
    that changed nothing is no event."""
    after = customer_object(customer)
    data = EventData(object=after)
    if before is not None:
        previous = previous_values(
            msgspec.to_builtins(customer_object(before)), msgspec.to_builtins(after)
        )
        if not previous:
            return
        data.previous_attributes = previous
    await _record(
        conn,
        program_id=customer.program_id,
        livemode=customer.livemode,
        type=type,
        subject=customer.public_id,
        data=data,
        origin=origin,
    )


async def payment_method_changed(
    conn: AsyncConnection,
    type: str,
    method: PaymentMethod,
    origin: EventRequest,
    *,
    before: PaymentMethod | None = None,
) -> None:
    """Record ``payment_method.attached``, or (given ``before``) ``.detached`` or ``.updated``
    with what changed. The customer's events and its payment methods' share one order: the
    subject is the customer (the one it was detached from), else the payment method."""
    after = payment_method_out(method)
    data = EventData(object=after)
    if before is not None:
        previous = previous_values(
            msgspec.to_builtins(payment_method_out(before)), msgspec.to_builtins(after)
        )
        if not previous:
            return
        data.previous_attributes = previous
    customer = method.customer_public_id or (before and before.customer_public_id)
    await _record(
        conn,
        program_id=method.program_id,
        livemode=method.livemode,
        type=type,
        subject=customer or method.public_id,
        data=data,
        origin=origin,
    )
