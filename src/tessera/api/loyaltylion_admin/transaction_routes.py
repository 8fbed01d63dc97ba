"""Admin API v2 transaction endpoints (the program's, and one customer's): JSON or CSV."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.api.responses import json_response
from tessera.auth.principal import Principal
from tessera.loyalty.transactions_list import TransactionFilters, list_transactions
from tessera.shapes.loyaltylion.transactions import transaction_out, transactions_csv
from tessera.state import Tessera

from .admin_program import admin_program
from .customer_schemas import TransactionsOut
from .endpoint import admin_endpoint
from .list_params import (
    format_filter,
    id_filter,
    path_merchant_id,
)
from .pagination import Listing, cursors, iso_datetime, linked, list_request

# ``type`` is kept in the cursor with the filters: a CSV listing's Link header leads to CSV.
CUSTOMER_TRANSACTION_FILTERS = {
    "type": format_filter,
    "created_at_min": iso_datetime,
    "created_at_max": iso_datetime,
}
PROGRAM_TRANSACTION_FILTERS = {**CUSTOMER_TRANSACTION_FILTERS, "customer_id": id_filter}


def _filters(listing: Listing) -> TransactionFilters:
    chosen = listing.filters
    low, high, owner = (chosen.get(n) for n in ("created_at_min", "created_at_max", "customer_id"))
    return TransactionFilters(
        customer_id=None if owner is None else id_filter("customer_id", owner),
        created_at_min=None if low is None else iso_datetime("created_at_min", low),
        created_at_max=None if high is None else iso_datetime("created_at_max", high),
    )


async def _transactions(
    request: Request, tessera: Tessera, principal: Principal, merchant_id: str | None
) -> Response:
    filters = PROGRAM_TRANSACTION_FILTERS if merchant_id is None else CUSTOMER_TRANSACTION_FILTERS
    listing = list_request(request, filters)
    program = await admin_program(tessera, principal)
    async with tessera.engine.connect() as conn:
        found, page = await list_transactions(
            conn, program.id, _filters(listing), listing.window, merchant_id=merchant_id
        )
    transactions = [transaction_out(program, one) for one in found]
    ids = [one.id for one in transactions]
    links = cursors(request, tessera.settings.public_url, listing, page, ids)
    if listing.filters.get("type") == "csv":
        response = Response(transactions_csv(transactions), media_type="text/csv")
    else:
        response = json_response(TransactionsOut(transactions=transactions, cursor=links.body))
    return linked(response, links)


@admin_endpoint(scope="read_customers")
async def program_transactions(
    request: Request, tessera: Tessera, principal: Principal
) -> Response:
    return await _transactions(request, tessera, principal, None)


@admin_endpoint(scope="read_customers")
async def customer_transactions(
    request: Request, tessera: Tessera, principal: Principal
) -> Response:
    return await _transactions(request, tessera, principal, path_merchant_id(request))


routes: list[BaseRoute] = [
    Route("/transactions", program_transactions, methods=["GET"]),
    Route("/customers/{merchant_id}/transactions", customer_transactions, methods=["GET"]),
]
