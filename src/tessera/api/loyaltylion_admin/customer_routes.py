"""Admin API v2 customer endpoints: decode, call one service, encode."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from msgspec import UNSET
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.api.body import read_json_body
from tessera.api.contract import decode_against_contract
from tessera.api.responses import json_response
from tessera.auth.principal import Principal
from tessera.customers.listing import MAX_PAGE_NUMBER, CustomerFilters
from tessera.kit.clock import utcnow
from tessera.kit.errors import Invalid
from tessera.loyalty import adjustments
from tessera.loyalty.customer_changes import change_customer_view
from tessera.loyalty.customer_views import list_customer_views
from tessera.shapes.loyaltylion.customers import customer_out
from tessera.state import Tessera
from tessera.store.transactions import write_transaction

from .admin_program import admin_program
from .customer_schemas import (
    AddPointsIn,
    CustomerEnvelopeOut,
    CustomersOut,
    RemovePointsIn,
    UpdateCustomerIn,
)
from .endpoint import admin_endpoint
from .list_params import path_merchant_id, text_filter
from .pagination import Listing, cursors, iso_datetime, linked, list_request

CUSTOMER_FILTERS = {
    "email": text_filter,
    "created_at_min": iso_datetime,
    "created_at_max": iso_datetime,
    "updated_at_min": iso_datetime,
    "updated_at_max": iso_datetime,
}
INVALID_BODY = "The request body is invalid"


def _customer_filters(listing: Listing) -> CustomerFilters:
    chosen = listing.filters

    def moment(name: str) -> datetime | None:
        raw = chosen.get(name)
        return None if raw is None else iso_datetime(name, raw)

    return CustomerFilters(
        email_contains=chosen.get("email"),
        created_at_min=moment("created_at_min"),
        created_at_max=moment("created_at_max"),
        updated_at_min=moment("updated_at_min"),
        updated_at_max=moment("updated_at_max"),
    )


def _refuse(name: str, problem: str) -> Invalid:
    return Invalid("The request is invalid", {name: problem})


def _ordered(request: Request, listing: Listing) -> tuple[Listing, int]:
    """The listing in the order asked (``sort_field`` id only, ``sort_direction``) and the
    deprecated ``page`` number; a cursor or ``since_id`` decides the order itself."""
    query = request.query_params
    if query.get("sort_field") not in (None, "", "id"):
        raise _refuse("sort_field", "must be id (use updated_at_min to find recent changes)")
    direction = query.get("sort_direction")
    if direction not in (None, "", "asc", "desc"):
        raise _refuse("sort_direction", "must be one of: asc, desc")
    raw_page = query.get("page") or "1"
    if not raw_page.isascii() or not raw_page.isdigit() or len(raw_page) > 6:
        raise _refuse("page", f"must be a whole number from 1 to {MAX_PAGE_NUMBER}")
    page = int(raw_page)
    if not 1 <= page <= MAX_PAGE_NUMBER:
        raise _refuse("page", f"must be a whole number from 1 to {MAX_PAGE_NUMBER}")
    if query.get("cursor") or query.get("since_id"):
        return listing, 1
    if direction == "asc":
        listing = Listing(window=replace(listing.window, descending=False), filters=listing.filters)
    return listing, page


@admin_endpoint(scope="read_customers")
async def list_customers(request: Request, tessera: Tessera, principal: Principal) -> Response:
    listing, page_number = _ordered(request, list_request(request, CUSTOMER_FILTERS))
    program = await admin_program(tessera, principal)
    async with tessera.engine.connect() as conn:
        views, page = await list_customer_views(
            conn,
            program,
            _customer_filters(listing),
            listing.window,
            page_number=page_number,
            now=utcnow(),
        )
    ids = [view.customer.id for view in views]
    found = cursors(request, tessera.settings.public_url, listing, page, ids)
    shown = [customer_out(program, view) for view in views]
    return linked(json_response(CustomersOut(customers=shown, cursor=found.body)), found)


def _birthday(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            INVALID_BODY, {"customer.birthday": "must be a calendar date (YYYY-MM-DD)"}
        ) from None


@admin_endpoint(scope="write_customers")
async def update_customer(request: Request, tessera: Tessera, principal: Principal) -> Response:
    merchant_id = path_merchant_id(request)
    raw = await read_json_body(request, tessera.settings.max_body_bytes)
    changes = decode_against_contract(
        raw, UpdateCustomerIn, "admin-v2", "CustomersUpdateCustomerRequestBody", INVALID_BODY
    ).customer
    birthday = None if changes.birthday in (None, UNSET) else _birthday(str(changes.birthday))
    program = await admin_program(tessera, principal)
    async with write_transaction(tessera.engine) as conn:
        view = await change_customer_view(
            conn,
            program,
            merchant_id,
            birthday=birthday,
            clear_birthday=changes.birthday is None,
            blocked=None if changes.blocked is UNSET else bool(changes.blocked),
            now=utcnow(),
        )
    return json_response(CustomerEnvelopeOut(customer=customer_out(program, view)))


@admin_endpoint(scope="write_customers")
async def add_points(request: Request, tessera: Tessera, principal: Principal) -> Response:
    merchant_id = path_merchant_id(request)
    raw = await read_json_body(request, tessera.settings.max_body_bytes)
    body = decode_against_contract(
        raw, AddPointsIn, "admin-v2", "CustomersAddPointsToCustomerRequestBody", INVALID_BODY
    )
    program = await admin_program(tessera, principal)
    async with write_transaction(tessera.engine) as conn:
        await adjustments.add_points(
            conn, program, merchant_id, points=body.points, reason=body.reason, now=utcnow()
        )
    return Response(b"", 201)


@admin_endpoint(scope="write_customers")
async def remove_points(request: Request, tessera: Tessera, principal: Principal) -> Response:
    merchant_id = path_merchant_id(request)
    raw = await read_json_body(request, tessera.settings.max_body_bytes)
    body = decode_against_contract(
        raw,
        RemovePointsIn,
        "admin-v2",
        "CustomersRemovePointsFromCustomerRequestBody",
        INVALID_BODY,
    )
    program = await admin_program(tessera, principal)
    async with write_transaction(tessera.engine) as conn:
        await adjustments.remove_points(
            conn, program, merchant_id, points=body.points, reason=body.reason, now=utcnow()
        )
    return Response(status_code=204)


routes: list[BaseRoute] = [
    Route("/customers", list_customers, methods=["GET"]),
    Route("/customers/{merchant_id}", update_customer, methods=["PATCH"]),
    Route("/customers/{merchant_id}/points", add_points, methods=["POST"]),
    Route("/customers/{merchant_id}/remove_points", remove_points, methods=["POST"]),
]
