"""Response shapes, as msgspec Structs mirroring Stripe's ``customer_session`` and ``list``
objects and Tessera's claim; the ``customer`` and ``payment_method`` objects are the core's
(tessera.customers.stripe_objects), which events carry too."""

from __future__ import annotations

from typing import Any

import msgspec

from tessera.customers.stripe_objects import (
    CustomerOut,
    PaymentMethodOut,
    live_customer_out,
    payment_method_out,
    unix,
)
from tessera.payments.methods import PaymentMethod
from tessera.sessions.customer_sessions import (
    ClaimedCustomerSession,
    CustomerSession,
)


class ListOut(msgspec.Struct):
    data: list[Any]
    has_more: bool
    url: str
    object: str = "list"


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
