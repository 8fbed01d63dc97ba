"""What every Headless API endpoint does before and after its own few lines.

Authenticate (API keys only: the legacy site token & secret is not accepted here), apply the
caller's rate limit, check the scope, find the site, read the channel, language, currency and
country, and run the endpoint. Errors are the Headless sub-application's to render (see
``tessera.api.dialect_app``), with the rate-limit headers gathered in ``answer_headers``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from tessera.api.body import read_json_body
from tessera.api.contract import decode_against_contract
from tessera.api.dialect_app import answer_headers
from tessera.api.paths import path_number
from tessera.auth.authenticate import authenticate, client_address, site_for
from tessera.auth.principal import Principal, parse_authorization
from tessera.kit.errors import Invalid
from tessera.programs.sites import Site
from tessera.state import Tessera

from .view import View

# The scopes (the contract leaves them undocumented).
READ = "read_customers"
WRITE = "write_customers"

CHANNELS = ("web", "pos", "mobile")
CHANNEL_MESSAGE = 'Invalid option: expected one of "web"|"pos"|"mobile"'
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


@dataclass(frozen=True, slots=True)
class Call:
    request: Request
    tessera: Tessera
    principal: Principal
    site: Site
    view: View


Handler = Callable[[Call], Awaitable[Response]]
T = TypeVar("T")


MAX_MERCHANT_ID = 255  # customers.merchant_id is a String(255)


def check_path(request: Request) -> None:
    """Path parameters reach the database like body fields do: refuse what it cannot hold."""
    merchant_id = request.path_params.get("merchant_id")
    if merchant_id is None:
        return
    if "\x00" in merchant_id:
        raise Invalid("Invalid request", {"merchant_id": "must not contain a NUL character"})
    if len(merchant_id) > MAX_MERCHANT_ID:
        raise Invalid(
            "Invalid request", {"merchant_id": f"must be at most {MAX_MERCHANT_ID} characters"}
        )


def read_view(request: Request, site: Site, *, channel_required: bool) -> View:
    details: dict[str, str] = {}
    query = request.query_params
    # An explicit ?channel= wins, even empty (which is no channel: a 400 naming it).
    channel = query.get("channel")
    if channel is None:
        channel = request.headers.get("x-loyaltylion-channel")
    if channel is None:
        if channel_required:
            details["channel"] = (
                "Required: give the channel as ?channel= or the X-LoyaltyLion-Channel header"
            )
        channel = "web"
    elif channel not in CHANNELS:
        details["channel"] = CHANNEL_MESSAGE
    language = site.default_language
    requested = query.get("language") or request.headers.get("x-loyaltylion-language")
    found_language = site.supported_language(requested) if requested else language
    if found_language is None:
        details["language"] = f"must be one of this site's languages: {', '.join(site.languages)}"
    else:
        language = found_language
    currency = site.default_currency
    if "currency" in query:
        found_currency = site.supported_currency(query["currency"])
        if found_currency is None:
            details["currency"] = (
                f"must be one of this site's currencies: {', '.join(site.currencies)}"
            )
        else:
            currency = found_currency
    country = query.get("country")
    if country is not None and not _COUNTRY.match(country):
        details["country"] = "must be an ISO 3166-1 alpha-2 country code, e.g. US"
    if details:
        raise Invalid("Invalid request", details)
    return View(
        channel=channel,
        language=language,
        currency=currency,
        country=None if country is None else country.upper(),
    )


def headless_endpoint(
    *, scope: str, channel_required: bool = True
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            tessera: Tessera = request.state.tessera
            headers = answer_headers(request)
            credentials = parse_authorization(request.headers.get("authorization"))
            address = client_address(request.scope)
            principal = await authenticate(
                tessera, credentials, address, headers, allow_site_secret=False
            )
            limit = principal.rate_limit or tessera.settings.rate_limit_default
            await tessera.limiter.enforce(limit, "headless", principal.limiter_id, headers=headers)
            principal.require_scope(scope)
            site = await site_for(tessera, principal, path_number(request, "site_id"))
            view = read_view(request, site, channel_required=channel_required)
            check_path(request)
            response = await handler(Call(request, tessera, principal, site, view))
            response.headers.update(headers)
            return response

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


async def decode_body(call: Call, schema: str, kind: type[T]) -> T:
    """The JSON body as ``kind``; on failure, every bad field named (see the contract module)."""
    body = await read_json_body(call.request, call.tessera.settings.max_body_bytes)
    return decode_against_contract(body, kind, "headless-2025-06", schema, "Invalid request")
