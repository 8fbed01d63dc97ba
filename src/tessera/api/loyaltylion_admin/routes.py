"""Admin API v2 endpoints: decode, call one service, encode."""

from __future__ import annotations

import re

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.api.body import read_json_body
from tessera.api.contract import decode_against_contract
from tessera.api.paths import path_number
from tessera.api.responses import json_response
from tessera.auth.authenticate import site_for
from tessera.auth.principal import Principal
from tessera.kit.clock import iso_z
from tessera.kit.errors import Invalid
from tessera.programs.sites import Site, list_sites
from tessera.sessions.webview import WebviewCustomer, issue_webview_session
from tessera.state import Tessera

from .endpoint import admin_endpoint
from .schemas import (
    CHANNEL_PATTERN,
    CreateWebviewSessionIn,
    CreateWebviewSessionOut,
    IdentityOut,
    SiteOut,
    SitesOut,
    WebviewSessionOut,
    WhoamiOut,
)


def decode_webview_request(body: bytes) -> CreateWebviewSessionIn:
    return decode_against_contract(
        body,
        CreateWebviewSessionIn,
        "admin-v2",
        "SitesCreateWebviewSessionRequestBody",
        "The request body is invalid",
    )


CHANNEL_WHOLE = re.compile(r"[-a-zA-Z0-9_.]+")


def _storable(value: str, max_length: int) -> str | None:
    """What is wrong with storing ``value`` (PostgreSQL text refuses NUL), or None."""
    if len(value) > max_length:
        return f"must be at most {max_length} characters long"
    if "\x00" in value:
        return "must not contain NUL characters"
    return None


def check_storable(channel: str, customer: WebviewCustomer | None) -> None:
    """Beyond the contract's types: values must fit their columns on every database, and a
    customer needs an id to be found by and a plausible email."""
    problems = {"channel": _storable(channel, 255)}
    if CHANNEL_WHOLE.fullmatch(channel) is None:
        # msgspec and jsonschema apply the contract's pattern with Python's re.search, whose $
        # also matches before a final newline; the contract (ECMA-262) does not allow "app\n".
        problems["channel"] = f"must match the pattern {CHANNEL_PATTERN}"
    if customer is not None:
        problems["customer.merchant_id"] = _storable(customer.merchant_id, 255) or (
            None if customer.merchant_id.strip() else "must not be empty"
        )
        problems["customer.email"] = _storable(customer.email, 320) or (
            None if "@" in customer.email else "must be an email address"
        )
    details = {field: problem for field, problem in problems.items() if problem}
    if details:
        raise Invalid("The request body is invalid", details)


@admin_endpoint(scope="write_customers", allow_site_secret=True, heavy=True)
async def create_webview_session(
    request: Request, tessera: Tessera, principal: Principal
) -> Response:
    site = await site_for(tessera, principal, path_number(request, "site_id"))
    body = decode_webview_request(await read_json_body(request, tessera.settings.max_body_bytes))
    customer = (
        None
        if isinstance(body.customer, msgspec.UnsetType)
        else WebviewCustomer(merchant_id=body.customer.merchant_id, email=body.customer.email)
    )
    check_storable(body.channel, customer)
    issued = await issue_webview_session(
        tessera.writes,
        site,
        channel=body.channel,
        language=None if isinstance(body.language, msgspec.UnsetType) else body.language,
        currency=None if isinstance(body.currency, msgspec.UnsetType) else body.currency,
        customer=customer,
        public_url=tessera.settings.public_url,
        ttl_seconds=tessera.settings.webview_session_ttl,
    )
    out = WebviewSessionOut(url=issued.url, expires_at=iso_z(issued.expires_at))
    return json_response(CreateWebviewSessionOut(webview_session=out), 201)


@admin_endpoint()
async def whoami(request: Request, tessera: Tessera, principal: Principal) -> Response:
    identity = IdentityOut(
        kind=principal.kind,
        account_id=principal.account_id,
        program_id=principal.program_id,
        scopes=sorted(principal.scopes),
    )
    return json_response(WhoamiOut(identity=identity))


def site_out(site: Site) -> SiteOut:
    return SiteOut(
        id=site.id,
        program_id=site.program_id,
        account_id=site.account_id,
        name=site.name,
        url=site.url,
        platform=site.platform,
        currencies=list(site.currencies),
        languages=list(site.languages),
        created_at=iso_z(site.created_at, millis=True),
        updated_at=iso_z(site.updated_at, millis=True),
    )


@admin_endpoint()
async def sites(request: Request, tessera: Tessera, principal: Principal) -> Response:
    async with tessera.engine.connect() as conn:
        found = await list_sites(conn, principal.program_id)
    return json_response(SitesOut(sites=[site_out(site) for site in found]))


routes = [
    Route("/identity/whoami", whoami, methods=["GET"]),
    Route("/sites", sites, methods=["GET"]),
    Route("/sites/{site_id}/webviews/sessions", create_webview_session, methods=["POST"]),
]
