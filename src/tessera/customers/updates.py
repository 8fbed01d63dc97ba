"""What a merchant changes on a customer through the Admin API: the birthday and whether the
customer is blocked. One locked read, then the changes, in the caller's unit of work."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.blocking import set_blocked
from tessera.customers.service import Customer, find_customer, update_customer
from tessera.kit.errors import Invalid, NotFound

EARLIEST_BIRTHDAY_YEAR = 1900


def birthday_problem(birthday: date, today: date) -> str | None:
    """What makes ``birthday`` implausible, or None."""
    if birthday.year < EARLIEST_BIRTHDAY_YEAR:
        return f"must be in {EARLIEST_BIRTHDAY_YEAR} or later"
    if birthday > today:
        return "must not be in the future"
    return None


async def change_customer(
    conn: AsyncConnection,
    program_id: int,
    merchant_id: str,
    *,
    today: date,
    birthday: date | None = None,
    clear_birthday: bool = False,
    blocked: bool | None = None,
) -> tuple[Customer, bool]:
    """Set (or with ``clear_birthday`` remove) the birthday and block or unblock; ``None``
    leaves a thing as it is: (the customer, whether anything changed). Raises NotFound for a
    customer not in ``program_id``."""
    if birthday is not None and (problem := birthday_problem(birthday, today)) is not None:
        raise Invalid("The request body is invalid", {"customer.birthday": problem})
    found = customer = await find_customer(conn, program_id, merchant_id, for_update=True)
    if customer is None:
        raise NotFound("customer", f"Customer with merchant ID `{merchant_id}` not found")
    if birthday is not None or clear_birthday:
        month, day, year = (None, None, None)
        if birthday is not None:
            month, day, year = birthday.month, birthday.day, birthday.year
        if (customer.birthday_month, customer.birthday_day, customer.birthday_year) != (
            month,
            day,
            year,
        ):
            customer = await update_customer(
                conn, customer, birthday_month=month, birthday_day=day, birthday_year=year
            )
    if blocked is not None:
        customer = await set_blocked(conn, customer, blocked)
    return customer, customer is not found
