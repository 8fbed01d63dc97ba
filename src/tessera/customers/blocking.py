"""Blocked customers earn and redeem nothing: the one rule every path that awards or spends
points applies, and blocking and unblocking (which gives back what the customer was)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer, CustomerState, update_customer
from tessera.kit.errors import Conflict


class CustomerBlocked(Conflict):
    def __init__(self) -> None:
        super().__init__("customer_blocked", "This customer is blocked from the program")


def refuse_blocked(customer: Customer) -> None:
    """Raise CustomerBlocked (a Conflict with the code ``customer_blocked``) for a blocked
    customer: called before any points are awarded or spent."""
    if customer.state == "blocked":
        raise CustomerBlocked()


def state_when_unblocked(customer: Customer) -> CustomerState:
    if customer.state_before_block in ("enrolled", "guest"):
        return customer.state_before_block
    # Blocked before the state was kept (the demo, older rows): a member once is a member.
    return "enrolled" if customer.enrolled_at is not None else "guest"


async def set_blocked(conn: AsyncConnection, customer: Customer, blocked: bool) -> Customer:
    """Block or unblock ``customer`` (locked by the caller); asking for what already is changes
    nothing."""
    if blocked and customer.state != "blocked":
        return await update_customer(
            conn, customer, state="blocked", state_before_block=customer.state
        )
    if not blocked and customer.state == "blocked":
        return await update_customer(
            conn, customer, state=state_when_unblocked(customer), state_before_block=None
        )
    return customer
