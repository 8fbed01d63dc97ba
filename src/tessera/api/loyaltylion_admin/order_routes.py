"""Admin API v2 order endpoints: decode, call one service, encode."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.api.body import read_json_body
from tessera.api.paths import path_text
from tessera.api.responses import json_response
from tessera.auth.principal import Principal
from tessera.kit.clock import utcnow
from tessera.kit.errors import NotFound
from tessera.loyalty import order_service, order_views
from tessera.loyalty.order_store import OrderFilters
from tessera.loyalty.program_cache import program_in_force
from tessera.shapes.loyaltylion.orders import order_out
from tessera.state import Tessera
from tessera.store.transactions import write_transaction

from .endpoint import admin_endpoint
from .order_schemas import OrderResponseOut, OrdersOut
from .order_wire import new_order, order_status
from .pagination import cursors, iso_datetime, linked, list_request
from .request_site import request_site

MAX_MERCHANT_ID = 255  # orders.merchant_id is a String(255)


def order_merchant_id(request: Request) -> str:
    """The path's merchant_id; one no order could have (too long, NUL) names no order."""
    merchant_id = path_text(request, "merchant_id")
    if len(merchant_id) > MAX_MERCHANT_ID or "\x00" in merchant_id:
        raise NotFound("order", "Order not found")
    return merchant_id


@admin_endpoint(scope="write_orders")
async def create_order(request: Request, tessera: Tessera, principal: Principal) -> Response:
    order = new_order(await read_json_body(request, tessera.settings.max_body_bytes))
    site = await request_site(tessera, principal, request.query_params.get("site_id"))
    program = await program_in_force(tessera.engine, site)
    async with write_transaction(tessera.engine) as conn:
        await order_service.create_order(conn, program, order, utcnow())
    return Response(status_code=201)


@admin_endpoint(scope="write_orders")
async def update_order(request: Request, tessera: Tessera, principal: Principal) -> Response:
    merchant_id = order_merchant_id(request)
    status = order_status(await read_json_body(request, tessera.settings.max_body_bytes))
    async with write_transaction(tessera.engine) as conn:
        await order_service.update_order(
            conn,
            principal.program_id,
            merchant_id,
            status,
            utcnow(),
            partial(program_in_force, tessera.engine),
        )
    return Response(status_code=204)


@admin_endpoint(scope="read_orders")
async def get_order(request: Request, tessera: Tessera, principal: Principal) -> Response:
    merchant_id = order_merchant_id(request)
    async with tessera.engine.connect() as conn:
        view = await order_views.get_order(conn, principal.program_id, merchant_id)
    return json_response(OrderResponseOut(order=order_out(view)))


FILTERS = {
    "created_at_min": iso_datetime,
    "created_at_max": iso_datetime,
    "updated_at_min": iso_datetime,
    "updated_at_max": iso_datetime,
}


@admin_endpoint(scope="read_orders")
async def list_orders(request: Request, tessera: Tessera, principal: Principal) -> Response:
    listing = list_request(request, FILTERS)
    filters = OrderFilters(
        **{name: iso_datetime(name, raw) for name, raw in listing.filters.items()}
    )
    async with tessera.engine.connect() as conn:
        page, views = await order_views.list_orders(
            conn, principal.program_id, filters, listing.window
        )
    ids = [view.order.id for view in views]
    found = cursors(request, tessera.settings.public_url, listing, page, ids)
    return linked(
        json_response(OrdersOut(orders=[order_out(v) for v in views], cursor=found.body)), found
    )


routes: list[BaseRoute] = [
    Route("/orders", create_order, methods=["POST"]),
    Route("/orders", list_orders, methods=["GET"]),
    Route("/orders/{merchant_id}", get_order, methods=["GET"]),
    Route("/orders/{merchant_id}", update_order, methods=["PUT"]),
]
