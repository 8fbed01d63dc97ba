"""Everything a member's view shows, read in one place: balances, tier standing, claims, rule
completions and history. Dialects render it; nothing here knows a wire format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.loyalty import ledger, rewards, tiers
from tessera.loyalty.program import LoyaltyProgram


@dataclass(frozen=True, slots=True)
class MemberSnapshot:
    customer: Customer
    balances: ledger.Balances
    standing: tiers.TierStanding | None
    claims: list[rewards.Claim]
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
    """Five prebuilt queries: ledger totals (balances and tier measures), rule completions and
    tier entries, history, claims, and the stock claimed of stocked rewards."""
    totals = await ledger.totals(conn, customer.id, tiers.window(program, customer, now))
    marks = await ledger.marks(conn, customer.id)
    claims = await rewards.claims_of(conn, customer.id)
    return MemberSnapshot(
        customer=customer,
        balances=totals.balances,
        standing=tiers.standing_from(program, customer, currency, now, totals, marks.last_tier),
        claims=claims,
        claim_times=rewards.claim_times(claims),
        completions=marks.completions,
        history=await ledger.history(conn, customer.id),
        variant_claims=await rewards.stock_claims(conn, program.id, program.stocked_rewards),
        now=now,
    )
