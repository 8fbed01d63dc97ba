"""Payment methods (``pm_``): created from Stripe's test tokens, attached to a customer,
detached, listed, each with the ``allow_redisplay`` value customer sessions filter on.

Tessera moves no money and never sees a card number: the test tokens Stripe documents
(``pm_card_visa``, ``tok_mastercard``...) are the only way to make a card, and only the card's
public details (brand, last four, expiry) are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers import stripe_events
from tessera.customers.stripe import (
    StripeCustomer,
    get_live_customer_field,
    merge_metadata,
    new_object_id,
)
from tessera.customers.stripe_events import NO_REQUEST, EventRequest
from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Conflict, Invalid, MissingReference, NotFound
from tessera.store.tables import stripe_customers, stripe_payment_methods

ALLOW_REDISPLAY = ("always", "limited", "unspecified")


@dataclass(frozen=True, slots=True)
class TestCard:
    brand: str
    last4: str
    funding: str
    country: str


# Stripe's documented test cards, by the name shared by their ``pm_card_*`` and ``tok_*`` forms.
TEST_CARDS: dict[str, TestCard] = {
    "visa": TestCard("visa", "4242", "credit", "US"),
    "visa_debit": TestCard("visa", "5556", "debit", "US"),
    "mastercard": TestCard("mastercard", "4444", "credit", "US"),
    "mastercard_debit": TestCard("mastercard", "8210", "debit", "US"),
    "mastercard_prepaid": TestCard("mastercard", "5100", "prepaid", "US"),
    "amex": TestCard("amex", "8431", "credit", "US"),
    "discover": TestCard("discover", "1117", "credit", "US"),
    "diners": TestCard("diners", "0004", "credit", "US"),
    "jcb": TestCard("jcb", "0505", "credit", "JP"),
    "unionpay": TestCard("unionpay", "0005", "credit", "CN"),
}


def test_card(token: str) -> TestCard | None:
    """The card behind ``pm_card_visa`` or ``tok_visa``; None for anything else."""
    for prefix in ("pm_card_", "tok_"):
        if token.startswith(prefix):
            return TEST_CARDS.get(token[len(prefix) :])
    return None


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    id: int
    public_id: str
    program_id: int
    livemode: bool
    customer_id: int | None
    customer_public_id: str | None
    type: str
    card: dict[str, Any]
    billing_details: dict[str, Any]
    allow_redisplay: str
    metadata: dict[str, str]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentMethodPage:
    payment_methods: list[PaymentMethod]
    has_more: bool


def _card_details(card: TestCard, now: datetime) -> dict[str, Any]:
    return {
        "brand": card.brand,
        "country": card.country,
        "display_brand": card.brand,
        "exp_month": now.month,
        "exp_year": now.year + 3,
        "funding": card.funding,
        "last4": card.last4,
    }


def _query() -> sa.Select[Any]:
    return sa.select(
        stripe_payment_methods, stripe_customers.c.public_id.label("customer_public_id")
    ).outerjoin(stripe_customers, stripe_customers.c.id == stripe_payment_methods.c.customer_id)


def _method(row: sa.Row[Any]) -> PaymentMethod:
    return PaymentMethod(
        id=row.id,
        public_id=row.public_id,
        program_id=row.program_id,
        livemode=row.livemode,
        customer_id=row.customer_id,
        customer_public_id=row.customer_public_id,
        type=row.type,
        card=dict(row.card),
        billing_details=dict(row.billing_details),
        allow_redisplay=row.allow_redisplay,
        metadata=dict(row.metadata),
        created_at=as_utc(row.created_at),
    )


async def _get(conn: AsyncConnection, method_id: int) -> PaymentMethod:
    row = (await conn.execute(_query().where(stripe_payment_methods.c.id == method_id))).one()
    return _method(row)


async def create_payment_method(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    *,
    token: str,
    token_field: str,
    allow_redisplay: str = "unspecified",
    billing_details: dict[str, Any] | None = None,
    metadata: dict[str, str] | None = None,
    customer: StripeCustomer | None = None,
    origin: EventRequest = NO_REQUEST,
) -> PaymentMethod:
    """A card from a test token; made for a ``customer``, it is attached to it at once
    (``payment_method.attached``)."""
    card = test_card(token)
    if card is None:
        raise MissingReference(token_field, "token", f"No such token: '{token}'")
    now = utcnow()
    details = {"address": None, "email": None, "name": None, "phone": None}
    details.update(billing_details or {})
    method_id = (
        await conn.execute(
            stripe_payment_methods.insert()
            .values(
                public_id=new_object_id("pm_"),
                program_id=program_id,
                livemode=livemode,
                customer_id=None if customer is None else customer.id,
                type="card",
                card=_card_details(card, now),
                billing_details=details,
                allow_redisplay=allow_redisplay,
                metadata=merge_metadata({}, metadata or {}),
                created_at=now,
            )
            .returning(stripe_payment_methods.c.id)
        )
    ).scalar_one()
    method = await _get(conn, method_id)
    if customer is not None:
        await stripe_events.payment_method_changed(
            conn, stripe_events.PAYMENT_METHOD_ATTACHED, method, origin
        )
    return method


async def get_payment_method(
    conn: AsyncConnection, program_id: int, livemode: bool, public_id: str
) -> PaymentMethod:
    row = (
        await conn.execute(
            _query().where(
                stripe_payment_methods.c.public_id == public_id,
                stripe_payment_methods.c.program_id == program_id,
                stripe_payment_methods.c.livemode == livemode,
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("payment_method", f"No such PaymentMethod: '{public_id}'")
    return _method(row)


async def attach_payment_method(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    public_id: str,
    customer_id: str,
    origin: EventRequest = NO_REQUEST,
) -> PaymentMethod:
    """Attach to a customer. A test token id (``pm_card_visa``) attaches a fresh card made from
    it, as Stripe does in test mode."""
    customer = await get_live_customer_field(conn, program_id, livemode, customer_id)
    if test_card(public_id) is not None and public_id.startswith("pm_card_"):
        return await create_payment_method(
            conn,
            program_id,
            livemode,
            token=public_id,
            token_field="id",  # noqa: S106 - a field name
            customer=customer,
            origin=origin,
        )
    method = await get_payment_method(conn, program_id, livemode, public_id)
    if method.customer_id is not None and method.customer_id != customer.id:
        raise Conflict(
            "payment_method_unexpected_state",
            "The payment method you provided has already been attached to a customer.",
        )
    if method.customer_id == customer.id:
        return method  # attached already: nothing changes, nothing to announce
    await conn.execute(
        stripe_payment_methods.update()
        .where(stripe_payment_methods.c.id == method.id)
        .values(customer_id=customer.id)
    )
    attached = await _get(conn, method.id)
    await stripe_events.payment_method_changed(
        conn, stripe_events.PAYMENT_METHOD_ATTACHED, attached, origin
    )
    return attached


async def detach_payment_method(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    public_id: str,
    origin: EventRequest = NO_REQUEST,
) -> PaymentMethod:
    method = await get_payment_method(conn, program_id, livemode, public_id)
    if method.customer_id is None:
        raise Conflict(
            "payment_method_unexpected_state",
            "The payment method you provided is not attached to a customer so detachment is "
            "impossible.",
        )
    await conn.execute(
        stripe_payment_methods.update()
        .where(stripe_payment_methods.c.id == method.id)
        .values(customer_id=None)
    )
    detached = await _get(conn, method.id)
    await stripe_events.payment_method_changed(
        conn, stripe_events.PAYMENT_METHOD_DETACHED, detached, origin, before=method
    )
    return detached


async def update_payment_method(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    public_id: str,
    *,
    allow_redisplay: str | None,
    metadata: dict[str, str] | None,
    metadata_given: bool,
    origin: EventRequest = NO_REQUEST,
) -> PaymentMethod:
    """Change what was given; ``payment_method.updated`` says what changed, if anything did."""
    method = await get_payment_method(conn, program_id, livemode, public_id)
    values: dict[str, Any] = {}
    if allow_redisplay is not None:
        if allow_redisplay not in ALLOW_REDISPLAY:
            raise Invalid("Invalid allow_redisplay", {"allow_redisplay": "invalid"})
        values["allow_redisplay"] = allow_redisplay
    if metadata_given:
        values["metadata"] = merge_metadata(method.metadata, metadata)
    if values:
        await conn.execute(
            stripe_payment_methods.update()
            .where(stripe_payment_methods.c.id == method.id)
            .values(**values)
        )
    updated = await _get(conn, method.id)
    await stripe_events.payment_method_changed(
        conn, stripe_events.PAYMENT_METHOD_UPDATED, updated, origin, before=method
    )
    return updated


async def list_customer_payment_methods(
    conn: AsyncConnection,
    customer: StripeCustomer,
    *,
    limit: int | None = None,
    allow_redisplay: list[str] | None = None,
    type: str | None = None,
    starting_after: str | None = None,
) -> PaymentMethodPage:
    """The customer's payment methods, newest first."""
    table = stripe_payment_methods
    query = _query().where(table.c.customer_id == customer.id).order_by(table.c.id.desc())
    if allow_redisplay is not None:
        query = query.where(table.c.allow_redisplay.in_(allow_redisplay))
    if type is not None:
        query = query.where(table.c.type == type)
    if starting_after is not None:
        cursor = (
            await conn.execute(
                sa.select(table.c.id).where(
                    table.c.public_id == starting_after, table.c.customer_id == customer.id
                )
            )
        ).scalar_one_or_none()
        if cursor is None:
            raise MissingReference(
                "starting_after",
                "payment_method",
                f"No such PaymentMethod: '{starting_after}'",
            )
        query = query.where(table.c.id < cursor)
    if limit is not None:
        query = query.limit(limit + 1)
    rows = list(await conn.execute(query))
    has_more = limit is not None and len(rows) > limit
    return PaymentMethodPage(
        payment_methods=[_method(row) for row in rows[:limit]], has_more=has_more
    )
