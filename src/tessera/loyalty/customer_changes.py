"""What a merchant changes on a customer (the Admin API's PATCH): the birthday and blocking
(tessera.customers.updates), announced as customers/update, and the customer as now."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.updates import change_customer
from tessera.loyalty import program_events
from tessera.loyalty.customer_views import CustomerView, customer_view
from tessera.loyalty.program import LoyaltyProgram


async def change_customer_view(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    merchant_id: str,
    *,
    birthday: date | None,
    clear_birthday: bool,
    blocked: bool | None,
    now: datetime,
) -> CustomerView:
    """Apply the merchant's changes and return the customer as now."""
    customer, changed = await change_customer(
        conn,
        program.id,
        merchant_id,
        today=now.date(),
        birthday=birthday,
        clear_birthday=clear_birthday,
        blocked=blocked,
    )
    if changed:
        await program_events.customer_changed(conn, program, customer.id, now)
    return await customer_view(conn, program, customer, now)
