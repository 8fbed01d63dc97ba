"""Stripe Customer Sessions: a single-use client secret that opens one customer's saved
payment methods to the front-end components the session enables.

The secret (``cuss_secret_`` + 192 bits) is stored only as a hash. A publishable-key caller
claims it once; the claim returns what the components need (their features and the saved
payment methods they may show) and an ephemeral key for the few calls the front end may make
afterwards (detaching a payment method, when a component allows removal), valid until the
session expires.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.stripe import StripeCustomer, find_customer_by_row, get_live_customer_field
from tessera.customers.stripe_events import NO_REQUEST, EventRequest
from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Conflict, Expired, Forbidden, Invalid, MissingReference, NotFound
from tessera.kit.secrets import hash_secret, new_secret
from tessera.payments.methods import (
    PaymentMethod,
    detach_payment_method,
    get_payment_method,
    list_customer_payment_methods,
)
from tessera.store.prepared import Prepared
from tessera.store.tables import stripe_customer_sessions

SESSION_TTL = timedelta(minutes=30)
SECRET_PREFIX = "cuss_secret_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 24
# Stripe's Payment Element shows at most 3 saved payment methods unless told otherwise.
DEFAULT_REDISPLAY_LIMIT = 3

# Every component Stripe's customer_session schema lists, with the features each one has and
# the value each feature takes when the request leaves it out.
COMPONENT_FEATURES: dict[str, dict[str, Any] | None] = {
    "active_entitlements": None,
    "buy_button": None,
    "customer_portal": None,
    "customer_sheet": {
        "payment_method_allow_redisplay_filters": ["always"],
        "payment_method_remove": "disabled",
    },
    "mobile_payment_element": {
        "payment_method_allow_redisplay_filters": ["always"],
        "payment_method_redisplay": "disabled",
        "payment_method_remove": "disabled",
        "payment_method_save": "disabled",
        "payment_method_save_allow_redisplay_override": None,
    },
    "payment_element": {
        "payment_method_allow_redisplay_filters": ["always"],
        "payment_method_redisplay": "disabled",
        "payment_method_redisplay_limit": None,
        "payment_method_remove": "disabled",
        "payment_method_save": "disabled",
        "payment_method_save_usage": None,
    },
    "pricing_table": None,
}


@dataclass(frozen=True, slots=True)
class CustomerSession:
    id: int
    program_id: int
    livemode: bool
    customer: StripeCustomer | None
    customer_account: str | None
    components: dict[str, Any]
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedCustomerSession:
    session: CustomerSession
    client_secret: str


@dataclass(frozen=True, slots=True)
class ClaimedComponent:
    name: str
    features: dict[str, Any] | None
    # The saved payment methods this component may show, newest first (empty when it shows
    # none).
    payment_methods: list[PaymentMethod]


@dataclass(frozen=True, slots=True)
class ClaimedCustomerSession:
    session: CustomerSession
    ephemeral_key: str
    components: list[ClaimedComponent]


def fill_components(given: dict[str, Any]) -> dict[str, Any]:
    """All seven components, each with its features' defaults filled in where it was given.

    A component left out is disabled; its ``features`` is null, as Stripe answers."""
    filled: dict[str, Any] = {}
    for name, defaults in COMPONENT_FEATURES.items():
        component = given.get(name)
        if defaults is None:
            filled[name] = {"enabled": bool(component and component.get("enabled"))}
            continue
        if component is None:
            filled[name] = {"enabled": False, "features": None}
            continue
        features = copy.deepcopy(defaults)
        features.update(component.get("features") or {})
        filled[name] = {"enabled": bool(component.get("enabled")), "features": features}
    return filled


def _session(row: sa.Row[Any], customer: StripeCustomer | None) -> CustomerSession:
    return CustomerSession(
        id=row.id,
        program_id=row.program_id,
        livemode=row.livemode,
        customer=customer,
        customer_account=row.customer_account,
        components=dict(row.components),
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
    )


# Built once; executed with each session's values (no per-request statement building).
_INSERT_SESSION = Prepared(
    stripe_customer_sessions.insert().returning(stripe_customer_sessions.c.id)
)


async def create_customer_session(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    *,
    customer_id: str,
    customer_account: str | None,
    components: dict[str, Any],
) -> IssuedCustomerSession:
    """A session for an existing customer of this mode; ``customer_account`` is only recorded
    (Tessera has no Accounts, and the contract's customer_session always names a customer)."""
    filled = fill_components(components)
    if not any(component["enabled"] for component in filled.values()):
        raise Invalid("At least 1 component must be enabled.", {"components": "none_enabled"})
    customer = await get_live_customer_field(conn, program_id, livemode, customer_id)
    secret = new_secret(SECRET_PREFIX, SECRET_BYTES)
    # Whole seconds: the wire shows unix times, and created + 30 minutes must be exact there.
    now = utcnow().replace(microsecond=0)
    values = {
        "secret_hash": hash_secret(secret),
        "program_id": program_id,
        "livemode": livemode,
        "customer_id": customer.id,
        "customer_account": customer_account,
        "components": filled,
        "created_at": now,
        "expires_at": now + SESSION_TTL,
    }
    session_id = await _INSERT_SESSION.scalar(conn, values)
    session = CustomerSession(
        id=session_id,
        program_id=program_id,
        livemode=livemode,
        customer=customer,
        customer_account=customer_account,
        components=filled,
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    return IssuedCustomerSession(session=session, client_secret=secret)


async def _customer_of(conn: AsyncConnection, row: sa.Row[Any]) -> StripeCustomer | None:
    return None if row.customer_id is None else await find_customer_by_row(conn, row.customer_id)


def _shown_payment_methods(
    name: str, features: dict[str, Any] | None, saved: list[PaymentMethod]
) -> list[PaymentMethod]:
    """What a component may show: filtered by allow_redisplay and, for the Payment Element,
    cut to its redisplay limit. Elements that redisplay only when told to show none otherwise."""
    if features is None:
        return []
    if name in ("payment_element", "mobile_payment_element") and (
        features.get("payment_method_redisplay") != "enabled"
    ):
        return []
    allowed = set(features.get("payment_method_allow_redisplay_filters") or ["always"])
    shown = [method for method in saved if method.allow_redisplay in allowed]
    if name == "payment_element":
        limit = features.get("payment_method_redisplay_limit") or DEFAULT_REDISPLAY_LIMIT
        shown = shown[:limit]
    return shown


async def claim_customer_session(
    conn: AsyncConnection, program_id: int, livemode: bool, client_secret: str
) -> ClaimedCustomerSession:
    """Exchange the single-use client secret for the components' data and an ephemeral key."""
    table = stripe_customer_sessions
    now = utcnow()
    ephemeral_key = new_secret(f"ek_{'live' if livemode else 'test'}_", SECRET_BYTES)
    scope = (
        table.c.secret_hash == hash_secret(client_secret),
        table.c.program_id == program_id,
        table.c.livemode == livemode,
    )
    # One conditional UPDATE decides between concurrent claims: exactly one of them wins.
    claimed = await conn.execute(
        table.update()
        .where(*scope, table.c.claimed_at.is_(None), table.c.expires_at > now)
        .values(claimed_at=now, ephemeral_hash=hash_secret(ephemeral_key))
    )
    row = (await conn.execute(sa.select(table).where(*scope))).one_or_none()
    if row is None:
        raise MissingReference(
            "client_secret", "customer_session", "No such customer session client secret."
        )
    if claimed.rowcount != 1:
        if as_utc(row.expires_at) <= now:
            raise Expired("This customer session has expired; create a new one.")
        raise Conflict(
            "customer_session_already_claimed",
            "This customer session's client secret has already been used; client secrets are "
            "single-use, so create a new customer session.",
        )
    customer = await _customer_of(conn, row)
    session = _session(row, customer)
    saved = (
        []
        if customer is None or customer.deleted
        else (await list_customer_payment_methods(conn, customer)).payment_methods
    )
    components = [
        ClaimedComponent(
            name=name,
            features=component.get("features"),
            payment_methods=_shown_payment_methods(name, component.get("features"), saved),
        )
        for name, component in session.components.items()
        if component["enabled"]
    ]
    return ClaimedCustomerSession(
        session=session, ephemeral_key=ephemeral_key, components=components
    )


def removal_allowed(components: dict[str, Any]) -> bool:
    return any(
        component["enabled"]
        and (component.get("features") or {}).get("payment_method_remove") == "enabled"
        for component in components.values()
    )


async def detach_with_ephemeral_key(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    ephemeral_key: str,
    payment_method_id: str,
    origin: EventRequest = NO_REQUEST,
) -> PaymentMethod:
    """Detach one of the session customer's payment methods, if a component allows removal."""
    table = stripe_customer_sessions
    row = (
        await conn.execute(
            sa.select(table).where(
                table.c.ephemeral_hash == hash_secret(ephemeral_key),
                table.c.program_id == program_id,
                table.c.livemode == livemode,
            )
        )
    ).one_or_none()
    if row is None:
        raise MissingReference("ephemeral_key", "ephemeral_key", "No such ephemeral key.")
    if as_utc(row.expires_at) <= utcnow():
        raise Expired("This customer session has expired; create a new one.")
    if not removal_allowed(dict(row.components)):
        raise Forbidden(
            "This customer session does not allow removing payment methods: enable "
            "payment_method_remove on one of its components.",
            missing_scope="payment_method_remove",
        )
    method = await get_payment_method(conn, program_id, livemode, payment_method_id)
    if row.customer_id is None or method.customer_id != row.customer_id:
        # Another customer's card looks exactly like a card that does not exist.
        raise NotFound("payment_method", f"No such PaymentMethod: '{payment_method_id}'")
    return await detach_payment_method(conn, program_id, livemode, payment_method_id, origin)


async def delete_expired_customer_sessions(
    conn: AsyncConnection, before: datetime, limit: int
) -> int:
    """Delete up to ``limit`` customer sessions (and so their ephemeral keys) that expired
    before ``before``; how many went."""
    table = stripe_customer_sessions
    expired = sa.select(table.c.id).where(table.c.expires_at < before).limit(limit)
    result = await conn.execute(table.delete().where(table.c.id.in_(expired.scalar_subquery())))
    return int(result.rowcount)
