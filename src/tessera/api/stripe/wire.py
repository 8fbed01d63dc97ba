"""Response shapes, as msgspec Structs mirroring Stripe's ``customer``, ``deleted_customer``,
``customer_session``, ``payment_method`` and ``list`` objects."""

from __future__ import annotations

from typing import Any

import msgspec

from tessera.customers.stripe import StripeCustomer
from tessera.payments.methods import PaymentMethod
from tessera.sessions.customer_sessions import (
    ClaimedCustomerSession,
    CustomerSession,
)


def unix(moment: Any) -> int:
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


class ListOut(msgspec.Struct):
    data: list[Any]
    has_more: bool
    url: str
    object: str = "list"


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


class CustomerSessionOut(msgspec.Struct):
    client_secret: str
    components: dict[str, Any]
    created: int
    customer: str | CustomerOut | None
    customer_account: str | None
    expires_at: int
    livemode: bool
    object: str = "customer_session"


class ClaimedComponentOut(msgspec.Struct):
    enabled: bool
    features: dict[str, Any] | None
    payment_methods: list[str]


class EphemeralKeyOut(msgspec.Struct):
    secret: str
    expires: int


class ClaimOut(msgspec.Struct):
    """What the front end gets for a client secret (a Tessera object; see docs/stripe.md)."""

    customer: CustomerOut | None
    customer_account: str | None
    components: dict[str, ClaimedComponentOut]
    payment_methods: list[PaymentMethodOut]
    ephemeral_key: EphemeralKeyOut
    expires_at: int
    livemode: bool
    object: str = "customer_session_claim"


def customer_out(customer: StripeCustomer) -> CustomerOut | DeletedCustomerOut:
    if customer.deleted:
        return DeletedCustomerOut(id=customer.public_id)
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


def live_customer_out(customer: StripeCustomer) -> CustomerOut:
    out = customer_out(customer)
    assert isinstance(out, CustomerOut)
    return out


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


def customer_session_out(
    session: CustomerSession, client_secret: str, *, expand_customer: bool
) -> CustomerSessionOut:
    customer: str | CustomerOut | None = None
    if session.customer is not None:
        customer = (
            live_customer_out(session.customer) if expand_customer else session.customer.public_id
        )
    return CustomerSessionOut(
        client_secret=client_secret,
        components=session.components,
        created=unix(session.created_at),
        customer=customer,
        customer_account=session.customer_account,
        expires_at=unix(session.expires_at),
        livemode=session.livemode,
    )


def claim_out(claimed: ClaimedCustomerSession) -> ClaimOut:
    session = claimed.session
    shown: dict[str, PaymentMethod] = {}
    for component in claimed.components:
        for method in component.payment_methods:
            shown.setdefault(method.public_id, method)
    customer = session.customer
    return ClaimOut(
        customer=None if customer is None or customer.deleted else live_customer_out(customer),
        customer_account=session.customer_account,
        components={
            component.name: ClaimedComponentOut(
                enabled=True,
                features=component.features,
                payment_methods=[m.public_id for m in component.payment_methods],
            )
            for component in claimed.components
        },
        payment_methods=[
            payment_method_out(m) for m in sorted(shown.values(), key=lambda m: m.id, reverse=True)
        ],
        ephemeral_key=EphemeralKeyOut(
            secret=claimed.ephemeral_key, expires=unix(session.expires_at)
        ),
        expires_at=unix(session.expires_at),
        livemode=session.livemode,
    )
