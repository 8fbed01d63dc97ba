"""Everything a member's view shows, read in one place: balances, tier standing, claims, rule
completions and history. Dialects render it; nothing here knows a wire format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.loyalty import ledger, tiers
from tessera.loyalty.claims import Claim, claim_times, claims_and_stock
from tessera.loyalty.member_ledger import member_ledger
from tessera.loyalty.program import LoyaltyProgram


@dataclass(frozen=True, slots=True)
class MemberSnapshot:
    customer: Customer
    balances: ledger.Balances
    standing: tiers.TierStanding | None
    claims: list[Claim]
    claim_times: dict[int, list[datetime]]
    completions: dict[int, list[datetime]]
    history: list[ledger.Entry]
    # Claims of each product_cart variant across the program (stock used up).
    variant_claims: dict[tuple[int, str], int]
    now: datetime

    @property
    def tier_id(self) -> int | None:
        return None if self.standing is None else self.standing.tier.id


async def member_snapshot(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    currency: str,
    now: datetime,
) -> MemberSnapshot:
    """Three prebuilt queries: ledger totals (balances and tier measures), history with every
    rule completion and tier entry, and claims with the stock claimed of stocked rewards."""
    totals = await ledger.totals(conn, customer.id, tiers.window(program, customer, now))
    history, marks = await member_ledger(conn, customer.id)
    claims, stock = await claims_and_stock(conn, program.id, customer.id, program.stocked_rewards)
    return MemberSnapshot(
        customer=customer,
        balances=totals.balances,
        standing=tiers.standing_from(program, customer, currency, now, totals, marks.last_tier),
        claims=claims,
        claim_times=claim_times(claims),
        completions=marks.completions,
        history=history,
        variant_claims=stock,
        now=now,
    )
