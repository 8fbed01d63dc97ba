"""Headless API 2025-06 endpoints: decode, call one service, encode.

Scopes (the contract leaves them undocumented): ``read_customers`` for Get Configuration and
Get Customer, ``write_customers`` for every POST.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
from starlette.responses import Response
from starlette.routing import Route

from tessera.api.paths import path_text
from tessera.api.responses import json_response
from tessera.customers.service import find_customer
from tessera.kit.clock import utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.loyalty import carts, members, session_start
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.program_cache import program_in_force
from tessera.store.transactions import write_transaction

from . import customer_schemas as out
from . import schemas
from .configuration import configuration_bytes
from .customer import (
    customer_body,
    customer_identity,
    enrolled_customer,
    rule_outcome_action,
)
from .endpoint import READ, WRITE, Call, decode_body, headless_endpoint
from .reward_routes import reward_routes
from .rule_routes import rule_routes
from .view import View

MAX_CART_AMOUNT = 10**12


def merchant_id(call: Call) -> str:
    return path_text(call.request, "merchant_id")


def envelope(
    view: View,
    program: LoyaltyProgram,
    customer: out.Customer,
    cart_actions: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET,
) -> out.CustomerSession:
    return out.CustomerSession(
        channel=view.channel,
        currency=view.currency,
        language=view.language,
        customer=customer,
        configuration=msgspec.Raw(configuration_bytes(program, view)),
        requested_cart_actions=cart_actions,
    )


# --- configuration and customers ---------------------------------------------------------------


@headless_endpoint(scope=READ)
async def get_configuration(call: Call) -> Response:
    program = await program_in_force(call.tessera.engine, call.site)
    return Response(configuration_bytes(program, call.view), media_type="application/json")


@headless_endpoint(scope=READ)
async def get_customer(call: Call) -> Response:
    program = await program_in_force(call.tessera.engine, call.site)
    async with call.tessera.engine.connect() as conn:
        customer = await find_customer(conn, program.id, merchant_id(call))
        if customer is None:
            raise NotFound("customer", f"Customer with merchant ID `{merchant_id(call)}` not found")
        body = await customer_body(conn, program, customer, call.view)
    return json_response(envelope(call.view, program, body))


def domain_cart(cart: schemas.CartEmpty | schemas.CartShopify | None) -> carts.Cart | None:
    if cart is None:
        return None
    if isinstance(cart, schemas.CartEmpty):
        return carts.EMPTY_CART

    def amount(value: str, field: str) -> float:
        # float() also reads "NaN", "inf" and "1e400" (= inf): a cart amount is a plain,
        # finite, non-negative decimal no larger than a Numeric(14, 2) column holds.
        try:
            parsed = float(value)
        except ValueError:
            parsed = math.nan
        if not (math.isfinite(parsed) and 0 <= parsed < MAX_CART_AMOUNT):
            raise Invalid("Invalid request", {field: "must be a decimal amount"})
        return parsed

    return carts.Cart(
        id=cart.id,
        total=amount(cart.cost.total_amount.amount, "cart.cost.total_amount.amount"),
        lines=[
            carts.CartLine(
                id=line.id,
                quantity=line.quantity,
                merchandise_id=line.merchandise.id,
                total=amount(
                    line.cost.total_amount.amount, f"cart.lines[{i}].cost.total_amount.amount"
                ),
                attributes=[(a.key, a.value) for a in line.attributes],
            )
            for i, line in enumerate(cart.lines)
        ],
    )


@headless_endpoint(scope=WRITE)
async def initialize_session(call: Call) -> Response:
    body: schemas.InitializeSessionIn = await decode_body(
        call, "CustomersInitializeSessionRequestBody", schemas.InitializeSessionIn
    )
    email = body.customer.email.strip()
    if "@" not in email or " " in email or len(email) > 320:
        raise Invalid("Invalid request", {"customer.email": "must be an email address"})
    cart = domain_cart(body.cart)
    view = call.view
    page_url = None if body.session is None else body.session.page_url
    program = await program_in_force(call.tessera.engine, call.site)
    request = session_start.SessionRequest(
        merchant_id=merchant_id(call),
        email=email,
        channel=view.channel,
        currency=view.currency,
        page_url=page_url,
        cart=cart,
        now=utcnow(),
    )
    started = await session_start.start_session(
        call.tessera.engine, call.tessera.writes, program, request
    )
    shown = (
        customer_identity(started.customer)
        if started.snapshot is None
        else enrolled_customer(program, started.snapshot, view, cart)
    )
    actions = [
        {
            "kind": "remove_cart_line",
            "reason": action.reason,
            "cart_line_to_remove": {
                "kind": "shopify",
                "id": action.line.id,
                "merchandise_id": action.line.merchandise_id,
                "attributes": [{"key": k, "value": v} for k, v in action.line.attributes],
            },
            "cart_redemption": {"id": carts.redemption_id(action.claim.id)},
        }
        for action in started.cart_actions
    ]
    return json_response(envelope(view, program, shown, actions))


@headless_endpoint(scope=WRITE)
async def set_birthday(call: Call) -> Response:
    body: schemas.SetBirthdayIn = await decode_body(
        call, "CustomersSetBirthdayRequestBody", schemas.SetBirthdayIn
    )
    b = body.birthday
    program = await program_in_force(call.tessera.engine, call.site)
    async with write_transaction(call.tessera.engine) as conn:
        customer, updated = await members.set_birthday(
            conn, program, merchant_id(call), month=b.month, day=b.day, year=b.year, now=utcnow()
        )
        shown = await customer_body(conn, program, customer, call.view)
    return json_response(
        {
            "updated": updated,
            "birthday": {"month": b.month, "day": b.day, "year": b.year},
            "customer": shown,
        }
    )


@headless_endpoint(scope=WRITE)
async def enroll(call: Call) -> Response:
    program = await program_in_force(call.tessera.engine, call.site)
    async with write_transaction(call.tessera.engine) as conn:
        customer = await members.locked_customer(conn, program, merchant_id(call))
        was_guest = customer.state == "guest"
        customer, _ = await members.enrol(
            conn,
            program,
            customer,
            channel=call.view.channel,
            currency=call.view.currency,
            now=utcnow(),
        )
        shown = await customer_body(conn, program, customer, call.view)
    return json_response({"enrolled": was_guest, "customer": shown})


@headless_endpoint(scope=WRITE)
async def email_marketing_subscribe(call: Call) -> Response:
    program = await program_in_force(call.tessera.engine, call.site)
    async with write_transaction(call.tessera.engine) as conn:
        customer, updated, outcomes = await members.subscribe_email_marketing(
            conn,
            program,
            merchant_id(call),
            channel=call.view.channel,
            currency=call.view.currency,
            now=utcnow(),
        )
        shown = await customer_body(conn, program, customer, call.view)
    return json_response(
        {
            "updated": updated,
            "email_marketing_consent": {"state": customer.email_marketing},
            "customer": shown,
            "actions": [rule_outcome_action(outcome, call.view) for outcome in outcomes],
        }
    )


# --- referrals ---------------------------------------------------------------------------------


@headless_endpoint(scope=WRITE, channel_required=False)
async def claim_referee_incentive(call: Call) -> Response:
    body: schemas.RefereeIncentiveIn = await decode_body(
        call, "ReferralsClaimRefereeIncentiveRequestBody", schemas.RefereeIncentiveIn
    )
    if body.referee_email is not None and "@" not in body.referee_email:
        raise Invalid("Invalid request", {"referee_email": "must be an email address"})
    program = await program_in_force(call.tessera.engine, call.site)
    async with write_transaction(call.tessera.engine) as conn:
        code = await members.claim_referee_incentive(
            conn,
            program,
            referral_id=body.referral_id,
            referee_email=body.referee_email,
            ip_address=body.ip_address,
            user_agent=body.user_agent,
            now=utcnow(),
        )
    return json_response({"kind": "incentive", "incentive": {"code": code}})


@headless_endpoint(scope=WRITE, channel_required=False)
async def track_share(call: Call) -> Response:
    body: schemas.TrackShareIn = await decode_body(call, "TrackShareRequest", schemas.TrackShareIn)
    program = await program_in_force(call.tessera.engine, call.site)
    async with write_transaction(call.tessera.engine) as conn:
        await members.track_share(conn, program, body.customer_merchant_id, body.channel, utcnow())
    return Response(status_code=204)


routes = [
    Route("/{site_id}/configuration", get_configuration, methods=["GET"]),
    Route("/{site_id}/customers/{merchant_id}", get_customer, methods=["GET"]),
    Route("/{site_id}/customers/{merchant_id}/sessions", initialize_session, methods=["POST"]),
    Route("/{site_id}/customers/{merchant_id}/birthday", set_birthday, methods=["POST"]),
    Route("/{site_id}/customers/{merchant_id}/enroll", enroll, methods=["POST"]),
    Route(
        "/{site_id}/customers/{merchant_id}/email_marketing/subscribe",
        email_marketing_subscribe,
        methods=["POST"],
    ),
    Route("/{site_id}/referrals/referee_incentive", claim_referee_incentive, methods=["POST"]),
    Route("/{site_id}/referrals/shares", track_share, methods=["POST"]),
    *reward_routes,
    *rule_routes,
]
