"""The orders table: reading, inserting and updating orders, and the points their ledger entries
hold. Every lookup is scoped by program."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc
from tessera.store.conflicts import claim_row
from tessera.store.pages import Page, Window, fetch_page
from tessera.store.tables import ledger_entries, orders

PaymentStatus = Literal["not_paid", "partially_paid", "paid"]
RefundStatus = Literal["not_refunded", "partially_refunded", "refunded"]
CancellationStatus = Literal["not_cancelled", "cancelled"]


@dataclass(frozen=True, slots=True)
class DiscountCode:
    code: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """What a full update (PUT) says about an order: the part of it that changes."""

    payment_status: PaymentStatus
    refund_status: RefundStatus
    cancellation_status: CancellationStatus
    total_paid: Decimal
    total_refunded: Decimal


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    program_id: int
    site_id: int
    customer_id: int
    merchant_id: str
    merchant_number: str | None
    total: Decimal
    total_shipping: Decimal
    status: OrderStatus
    guest: bool
    discount_codes: tuple[DiscountCode, ...]
    claimed_reward_ids: tuple[int, ...]
    ip_address: str | None
    user_agent: str | None
    referral_id: str | None
    tracking_id: str | None
    # What the purchase rule paid at the first payment; None until the order was paid.
    points_earned: int | None
    # What refunds could not take back (the customer had spent it).
    points_not_taken_back: int
    ordered_at: datetime
    created_at: datetime
    updated_at: datetime


def _order(row: Any) -> Order:
    return Order(
        id=row.id,
        program_id=row.program_id,
        site_id=row.site_id,
        customer_id=row.customer_id,
        merchant_id=row.merchant_id,
        merchant_number=row.merchant_number,
        total=Decimal(row.total),
        total_shipping=Decimal(row.total_shipping),
        status=OrderStatus(
            payment_status=row.payment_status,
            refund_status=row.refund_status,
            cancellation_status=row.cancellation_status,
            total_paid=Decimal(row.total_paid),
            total_refunded=Decimal(row.total_refunded),
        ),
        guest=bool(row.guest),
        discount_codes=tuple(
            DiscountCode(code=str(item["code"]), amount=Decimal(str(item["amount"])))
            for item in row.discount_codes
        ),
        claimed_reward_ids=tuple(int(i) for i in row.claimed_reward_ids),
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        referral_id=row.referral_id,
        tracking_id=row.tracking_id,
        points_earned=row.points_earned,
        points_not_taken_back=row.points_not_taken_back,
        ordered_at=as_utc(row.ordered_at),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _status_values(status: OrderStatus) -> dict[str, Any]:
    return {
        "payment_status": status.payment_status,
        "refund_status": status.refund_status,
        "cancellation_status": status.cancellation_status,
        "total_paid": status.total_paid,
        "total_refunded": status.total_refunded,
    }


async def insert_order(conn: AsyncConnection, order: Order) -> Order | None:
    """Insert ``order`` (its ``id`` is ignored) and return it with its id, or None when the
    program already has an order with its merchant_id: the unique index decides between
    concurrent creators, and the loser writes nothing."""
    values = {
        "program_id": order.program_id,
        "site_id": order.site_id,
        "customer_id": order.customer_id,
        "merchant_id": order.merchant_id,
        "merchant_number": order.merchant_number,
        "total": order.total,
        "total_shipping": order.total_shipping,
        **_status_values(order.status),
        "guest": order.guest,
        "discount_codes": [
            {"code": item.code, "amount": str(item.amount)} for item in order.discount_codes
        ],
        "claimed_reward_ids": list(order.claimed_reward_ids),
        "ip_address": order.ip_address,
        "user_agent": order.user_agent,
        "referral_id": order.referral_id,
        "tracking_id": order.tracking_id,
        "points_earned": order.points_earned,
        "points_not_taken_back": order.points_not_taken_back,
        "ordered_at": order.ordered_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }
    new_id = await claim_row(conn.dialect.name, orders).scalar(conn, values)
    return None if new_id is None else replace(order, id=int(new_id))


async def find_order(conn: AsyncConnection, program_id: int, merchant_id: str) -> Order | None:
    row = (
        await conn.execute(
            sa.select(orders).where(
                orders.c.program_id == program_id, orders.c.merchant_id == merchant_id
            )
        )
    ).one_or_none()
    return None if row is None else _order(row)


async def save_status(
    conn: AsyncConnection, order: Order, status: OrderStatus, now: datetime
) -> Order:
    await conn.execute(
        orders.update()
        .where(orders.c.id == order.id)
        .values(**_status_values(status), updated_at=now)
    )
    return replace(order, status=status, updated_at=now)


async def save_points(
    conn: AsyncConnection, order: Order, *, earned: int | None, not_taken_back: int
) -> Order:
    if (earned, not_taken_back) == (order.points_earned, order.points_not_taken_back):
        return order
    await conn.execute(
        orders.update()
        .where(orders.c.id == order.id)
        .values(points_earned=earned, points_not_taken_back=not_taken_back)
    )
    return replace(order, points_earned=earned, points_not_taken_back=not_taken_back)


async def paid_orders_of(conn: AsyncConnection, customer_id: int) -> int:
    """How many of the customer's orders were ever paid."""
    found = await conn.scalar(
        sa.select(sa.func.count()).where(
            orders.c.customer_id == customer_id, orders.c.points_earned.is_not(None)
        )
    )
    return int(found or 0)


async def points_recorded(conn: AsyncConnection, order_ids: list[int]) -> dict[int, int]:
    """The net points the ledger holds for each order (what it earned less what was taken
    back); 0 for an order with no entries."""
    if not order_ids:
        return {}
    rows = await conn.execute(
        sa.select(ledger_entries.c.order_id, sa.func.sum(ledger_entries.c.points))
        .where(ledger_entries.c.order_id.in_(order_ids), ledger_entries.c.state != "void")
        .group_by(ledger_entries.c.order_id)
    )
    found = {int(row[0]): int(row[1] or 0) for row in rows}
    return {order_id: found.get(order_id, 0) for order_id in order_ids}


@dataclass(frozen=True, slots=True)
class OrderFilters:
    created_at_min: datetime | None = None
    created_at_max: datetime | None = None
    updated_at_min: datetime | None = None
    updated_at_max: datetime | None = None


async def page_of_orders(
    conn: AsyncConnection, program_id: int, filters: OrderFilters, window: Window
) -> tuple[Page, list[Order]]:
    """One keyset page of the program's orders (bounds inclusive, as the reference says)."""
    listing = sa.select(orders).where(orders.c.program_id == program_id)
    bounds = (
        (filters.created_at_min, orders.c.created_at, True),
        (filters.created_at_max, orders.c.created_at, False),
        (filters.updated_at_min, orders.c.updated_at, True),
        (filters.updated_at_max, orders.c.updated_at, False),
    )
    for moment, column, lower in bounds:
        if moment is not None:
            listing = listing.where(column >= moment if lower else column <= moment)
    page = await fetch_page(conn, listing, orders.c.id, window)
    return page, [_order(row) for row in page.rows]
