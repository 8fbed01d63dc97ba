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
    completions: dict[int, list[datetime]] = {}
    for rule_id, at in await ledger.all_rule_completions(conn, customer.id):
        completions.setdefault(rule_id, []).append(at)
    stocked = [
        reward.id
        for reward in program.document.rewards
        if any(
            variant.inventory_count is not None
            for variant in getattr(getattr(reward, "product", None), "variants", [])
        )
    ]
    claims = await rewards.claims_of(conn, customer.id)
    return MemberSnapshot(
        customer=customer,
        balances=await ledger.balances(conn, customer.id),
        standing=await tiers.standing(conn, program, customer, currency, now),
        claims=claims,
        claim_times=rewards.claim_times(claims),
        completions=completions,
        history=await ledger.history(conn, customer.id),
        variant_claims=await rewards.stock_claims(conn, program.id, stocked),
        now=now,
    )
