"""Admin API v2 customer reward endpoints: decode, call one service, encode.

The merchant acts for the member: the same redemption and refund as the Headless API and the
Loyalty Page, with no channel limiting which rewards (docs/admin-api.md)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.api.body import read_json_body
from tessera.api.contract import decode_against_contract
from tessera.api.paths import path_number, path_text
from tessera.api.responses import json_response
from tessera.auth.principal import Principal
from tessera.kit.clock import utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.loyalty import offers, redemption
from tessera.loyalty.program_cache import program_in_force
from tessera.programs.sites import Site
from tessera.shapes.loyaltylion.rewards import claimed_reward_out, reward_out
from tessera.state import Tessera
from tessera.store.tables import MAX_ID
from tessera.store.transactions import write_transaction

from .endpoint import admin_endpoint
from .reward_schemas import (
    AvailableRewardsOut,
    ClaimedRewardEnvelopeOut,
    ClaimRewardIn,
    RefundedRewardOut,
    unset_none,
)

MAX_MERCHANT_ID = 255  # customers.merchant_id
# Claims are made by the merchant's backend, not on one of the member's channels.
ADMIN_CHANNEL = "api"
_COUNTRY = re.compile(r"[A-Za-z]{2}", re.ASCII)


def merchant_id_of(request: Request) -> str:
    """The path's customer id, refused (400) when no customer could have it."""
    merchant_id = path_text(request, "merchant_id")
    problem = None
    if "\x00" in merchant_id:
        problem = "must not contain a NUL character"
    elif len(merchant_id) > MAX_MERCHANT_ID:
        problem = f"must be at most {MAX_MERCHANT_ID} characters"
    if problem is not None:
        raise Invalid("The request is invalid", {"merchant_id": problem})
    return merchant_id


def _site_id(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise Invalid("The request is invalid", {"site_id": "must be the id of a site"})
    return int(raw)


def _country(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if _COUNTRY.fullmatch(raw) is None:
        raise Invalid(
            "The request is invalid", {"country": "must be an ISO 3166-1 alpha-2 country code"}
        )
    return raw.upper()


async def _member_site(
    tessera: Tessera, principal: Principal, merchant_id: str, site_id: int | None = None
) -> Site:
    async with tessera.engine.connect() as conn:
        _, site = await offers.customer_and_site(conn, principal.program_id, merchant_id, site_id)
    return site


@admin_endpoint(scope="read_customers")
async def available_rewards(request: Request, tessera: Tessera, principal: Principal) -> Response:
    merchant_id = merchant_id_of(request)
    site_id = _site_id(request.query_params.get("site_id"))
    country = _country(request.query_params.get("country"))
    async with tessera.engine.connect() as conn:
        customer, site = await offers.customer_and_site(
            conn, principal.program_id, merchant_id, site_id
        )
        program = await program_in_force(tessera.engine, site)
        found = await offers.rewards_offered(conn, program, customer, country=country, now=utcnow())
    shown = [
        reward_out(offer, found.currency, found.language, found.stock_claimed)
        for offer in found.offers
    ]
    return json_response(AvailableRewardsOut(rewards=shown))


def decode_claim(body: bytes) -> ClaimRewardIn:
    claim = decode_against_contract(
        body,
        ClaimRewardIn,
        "admin-v2",
        "CustomersClaimRewardRequestBody",
        "The request body is invalid",
    )
    if unset_none(claim.multiplier) not in (None, 1):
        raise Invalid(
            "The request body is invalid",
            {"multiplier": "must be 1: Tessera claims one reward at a time"},
        )
    if "\x00" in (unset_none(claim.variant_id) or ""):
        raise Invalid("The request body is invalid", {"variant_id": "must not contain NUL"})
    return claim


@admin_endpoint(scope="write_customers")
async def claim_reward(request: Request, tessera: Tessera, principal: Principal) -> Response:
    merchant_id = merchant_id_of(request)
    body = decode_claim(await read_json_body(request, tessera.settings.max_body_bytes))
    site = await _member_site(tessera, principal, merchant_id)
    program = await program_in_force(tessera.engine, site)
    async with write_transaction(tessera.engine) as conn:
        _, claim = await redemption.redeem_reward(
            conn,
            program,
            merchant_id,
            body.reward_id,
            None,
            channel=ADMIN_CHANNEL,
            any_channel=True,
            currency=site.default_currency,
            language=site.default_language,
            country=None,
            now=utcnow(),
            variant_id=unset_none(body.variant_id),
        )
    return json_response(ClaimedRewardEnvelopeOut(claimed_reward_out(program, claim)), 201)


@admin_endpoint(scope="write_customers")
async def refund_claimed_reward(
    request: Request, tessera: Tessera, principal: Principal
) -> Response:
    merchant_id = merchant_id_of(request)
    claim_id = path_number(request, "claimed_reward_id")
    if not 0 < claim_id <= MAX_ID:
        raise NotFound("claimed reward", f"Claimed reward with ID `{claim_id}` not found")
    site = await _member_site(tessera, principal, merchant_id)
    program = await program_in_force(tessera.engine, site)
    async with write_transaction(tessera.engine) as conn:
        _, claim = await redemption.refund_claim(conn, program, merchant_id, claim_id, utcnow())
    # Tessera manages no code in a remote platform, so none is deleted there.
    out = RefundedRewardOut(claimed_reward_out(program, claim), remote_resource_deleted=False)
    return json_response(out)


routes = [
    Route("/customers/{merchant_id}/available_rewards", available_rewards, methods=["GET"]),
    Route("/customers/{merchant_id}/claimed_rewards", claim_reward, methods=["POST"]),
    Route(
        "/customers/{merchant_id}/claimed_rewards/{claimed_reward_id}/refund",
        refund_claimed_reward,
        methods=["POST"],
    ),
]
