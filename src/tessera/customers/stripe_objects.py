"""Stripe's ``customer`` and ``payment_method`` objects, as the API answers with them: one
encoder for both the ``/v1`` answers (tessera.api.stripe.wire) and the ``data.object`` of the
events that announce their changes (tessera.customers.stripe_events), so an event carries
exactly what a retrieve would have returned at that moment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:  # the services import the events, which import these shapes
    from tessera.customers.stripe import StripeCustomer
    from tessera.payments.methods import PaymentMethod

# The version of Stripe's contract Tessera serves (specs/stripe/*.json), and renders events in.
API_VERSION = "2026-09-30.endive"


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


class CustomerOut(msgspec.Struct):
    id: str
    created: int
    livemode: bool
    email: str | None
    name: str | None
    description: str | None
    phone: str | None
    metadata: dict[str, str]
    invoice_prefix: str
    object: str = "customer"
    address: None = None
    balance: int = 0
    currency: None = None
    customer_account: None = None
    default_source: None = None
    delinquent: bool = False
    discount: None = None
    next_invoice_sequence: int = 1
    preferred_locales: list[str] = msgspec.field(default_factory=list)
    shipping: None = None
    tax_exempt: str = "none"
    test_clock: None = None


class DeletedCustomerOut(msgspec.Struct):
    id: str
    deleted: bool = True
    object: str = "customer"


class CardOut(msgspec.Struct):
    brand: str
    country: str
    display_brand: str
    exp_month: int
    exp_year: int
    funding: str
    last4: str
    checks: dict[str, None] = msgspec.field(
        default_factory=lambda: {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": None,
        }
    )
    wallet: None = None


class PaymentMethodOut(msgspec.Struct):
    id: str
    allow_redisplay: str
    billing_details: dict[str, Any]
    card: CardOut
    created: int
    customer: str | None
    livemode: bool
    metadata: dict[str, str]
    type: str
    object: str = "payment_method"


def customer_object(customer: StripeCustomer) -> CustomerOut:
    """The whole customer, deleted or not (a deleted one answers the API as a stub, but its
    ``customer.deleted`` event carries the customer as it was)."""
    return CustomerOut(
        id=customer.public_id,
        created=unix(customer.created_at),
        livemode=customer.livemode,
        email=customer.email,
        name=customer.name,
        description=customer.description,
        phone=customer.phone,
        metadata=customer.metadata,
        invoice_prefix=customer.invoice_prefix,
    )


def customer_out(customer: StripeCustomer) -> CustomerOut | DeletedCustomerOut:
    if customer.deleted:
        return DeletedCustomerOut(id=customer.public_id)
    return customer_object(customer)


def live_customer_out(customer: StripeCustomer) -> CustomerOut:
    assert not customer.deleted
    return customer_object(customer)


def payment_method_out(method: PaymentMethod) -> PaymentMethodOut:
    return PaymentMethodOut(
        id=method.public_id,
        allow_redisplay=method.allow_redisplay,
        billing_details=method.billing_details,
        card=msgspec.convert(method.card, CardOut),
        created=unix(method.created_at),
        customer=method.customer_public_id,
        livemode=method.livemode,
        metadata=method.metadata,
        type=method.type,
    )
