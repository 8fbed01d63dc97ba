"""Admin API v2 loyalty email unsubscribes: decode, call one service, encode.

This list pages by page number (``limit`` 1 to 500, ``page`` from 1), as the reference
documents it, not by cursor like the other lists."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.api.body import read_json_body
from tessera.api.contract import decode_against_contract
from tessera.api.responses import json_response
from tessera.auth.principal import Principal
from tessera.customers import unsubscribes
from tessera.kit.clock import utcnow
from tessera.kit.errors import Invalid
from tessera.shapes.loyaltylion.unsubscribes import unsubscribe_out
from tessera.state import Tessera
from tessera.store.transactions import write_transaction

from .endpoint import admin_endpoint
from .pagination import DEFAULT_LIMIT, MAX_LIMIT
from .reward_schemas import UnsubscribeIn


def _whole(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= high:
        raise Invalid(
            "The request is invalid", {name: f"must be a whole number between 1 and {high}"}
        )
    return int(raw)


@admin_endpoint(scope="read_unsubscribes")
async def list_unsubscribes(request: Request, tessera: Tessera, principal: Principal) -> Response:
    limit = _whole(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    page = _whole(request, "page", 1, unsubscribes.MAX_PAGE)
    async with tessera.engine.connect() as conn:
        found = await unsubscribes.unsubscribes_page(
            conn, principal.program_id, limit=limit, page=page
        )
    return json_response([unsubscribe_out(u.email, u.merchant_id) for u in found])


@admin_endpoint(scope="write_unsubscribes")
async def create_unsubscribe(request: Request, tessera: Tessera, principal: Principal) -> Response:
    body = decode_against_contract(
        await read_json_body(request, tessera.settings.max_body_bytes),
        UnsubscribeIn,
        "admin-v2",
        "EmailsCreateUnsubscribeRequestBody",
        "The request body is invalid",
    )
    email = unsubscribes.checked_email(body.email)
    async with write_transaction(tessera.engine) as conn:
        entry, added = await unsubscribes.unsubscribe(conn, principal.program_id, email, utcnow())
    return json_response(unsubscribe_out(entry.email, entry.merchant_id), 201 if added else 200)


routes = [
    Route("/loyalty_emails/unsubscribes", list_unsubscribes, methods=["GET"]),
    Route("/loyalty_emails/unsubscribes", create_unsubscribe, methods=["POST"]),
]
