"""Points a merchant adds or removes by hand (the Admin API's adjustments).

Both lock the customer first (``members.locked_customer``), so two workers adjusting the same
customer at once queue: a removal's balance check still holds when it writes, and two removals
can never together take more than the balance.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.blocking import refuse_blocked
from tessera.kit.errors import Invalid
from tessera.loyalty import ledger, members, program_events, tiers
from tessera.loyalty.program import LoyaltyProgram

MAX_POINTS_ADDED = 1_000_000
# What the ledger's label column holds; the reason is the entry's label in the history.
MAX_REASON_LENGTH = 255


class NotEnoughPoints(Invalid):
    def __init__(self, asked: int, approved: int) -> None:
        message = f"The customer has {approved} approved points; {asked} cannot be removed"
        super().__init__(message, {"points": f"must be at most {approved}, the approved balance"})
        self.asked = asked
        self.approved = approved


async def add_points(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    merchant_id: str,
    *,
    points: int,
    reason: str | None,
    now: datetime,
) -> int:
    """Add ``points`` approved points (a ``points_added`` entry labelled with ``reason``) and
    return the entry's id. A blocked customer is refused (CustomerBlocked); the points count
    towards a member's tier, as earned points do."""
    customer = await members.locked_customer(conn, program, merchant_id)
    refuse_blocked(customer)
    entry_id = await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=points,
        state="approved",
        reason="points added by the merchant",
        kind="points_added",
        label=reason,
        at=now,
    )
    if customer.state == "enrolled":
        currency = program.site.default_currency
        change = await tiers.record_tier_change(conn, program, customer, currency, now)
        await program_events.tier_changed(conn, program, customer, change, now)
    await program_events.customer_changed(conn, program, customer.id, now)
    return entry_id


async def remove_points(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    merchant_id: str,
    *,
    points: int,
    reason: str | None,
    now: datetime,
) -> int:
    """Remove ``points`` from the approved balance (a ``points_removed`` entry) and return the
    entry's id. More than the balance is refused whole (NotEnoughPoints): nothing is written.
    Blocked customers' points can be removed."""
    customer = await members.locked_customer(conn, program, merchant_id)
    approved = await ledger.approved_balance(conn, customer.id)
    if points > approved:
        raise NotEnoughPoints(points, max(approved, 0))
    entry_id = await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=-points,
        state="approved",
        reason="points removed by the merchant",
        kind="points_removed",
        label=reason,
        at=now,
    )
    await program_events.customer_changed(conn, program, customer.id, now)
    return entry_id
