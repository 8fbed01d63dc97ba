"""Orders as the API shows them: each with its customer, their balances and its points, read
one at a time or a page at a time in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer, customers_by_ids
from tessera.kit.errors import NotFound
from tessera.loyalty import ledger
from tessera.loyalty.order_store import (
    Order,
    OrderFilters,
    find_order,
    page_of_orders,
    points_recorded,
)
from tessera.store.pages import Page, Window


def order_not_found(merchant_id: str) -> NotFound:
    return NotFound("order", f"Order with merchant ID `{merchant_id}` not found")


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as the API shows it: with its customer, their balances, and its points."""

    order: Order
    customer: Customer
    balances: ledger.Balances
    points_earned: int
    points_taken_back: int


def _views(
    found: list[Order],
    people: dict[int, Customer],
    balances: dict[int, ledger.Balances],
    recorded: dict[int, int],
) -> list[OrderView]:
    views = []
    for order in found:
        earned = order.points_earned or 0
        views.append(
            OrderView(
                order=order,
                customer=people[order.customer_id],
                balances=balances[order.customer_id],
                points_earned=earned,
                points_taken_back=max(earned - recorded[order.id], 0),
            )
        )
    return views


async def order_views(
    conn: AsyncConnection, program_id: int, found: list[Order]
) -> list[OrderView]:
    customer_ids = sorted({order.customer_id for order in found})
    people = await customers_by_ids(conn, program_id, customer_ids)
    balances = await ledger.balances_of(conn, customer_ids)
    recorded = await points_recorded(conn, [order.id for order in found])
    return _views(found, people, balances, recorded)


async def get_order(conn: AsyncConnection, program_id: int, merchant_id: str) -> OrderView:
    order = await find_order(conn, program_id, merchant_id)
    if order is None:
        raise order_not_found(merchant_id)
    return (await order_views(conn, program_id, [order]))[0]


async def list_orders(
    conn: AsyncConnection, program_id: int, filters: OrderFilters, window: Window
) -> tuple[Page, list[OrderView]]:
    page, found = await page_of_orders(conn, program_id, filters, window)
    return page, await order_views(conn, program_id, found)
