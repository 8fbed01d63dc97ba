"""Customers as the merchant sees them: the customer with their balances, rewards claimed,
tier and referrer. A page of customers costs a fixed number of queries, however long it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.listing import CustomerFilters, list_customers
from tessera.customers.service import Customer, email_key
from tessera.loyalty import ledger, tiers
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.statements import constant
from tessera.loyalty.tier_memberships import standings_of
from tessera.store.pages import Page, Window
from tessera.store.tables import claimed_rewards, customers, referee_incentives


@dataclass(frozen=True, slots=True)
class Referrer:
    id: int
    merchant_id: str


@dataclass(frozen=True, slots=True)
class CustomerView:
    customer: Customer
    balances: ledger.Balances
    rewards_claimed: int
    tier: tiers.TierStanding | None
    referred_by: Referrer | None


async def _rewards_claimed(conn: AsyncConnection, customer_ids: list[int]) -> dict[int, int]:
    """Claims per customer; refunded (void) ones are not counted."""
    rows = await conn.execute(
        sa.select(claimed_rewards.c.customer_id, sa.func.count())
        .where(
            claimed_rewards.c.customer_id.in_(customer_ids),
            claimed_rewards.c.state != constant("void"),
        )
        .group_by(claimed_rewards.c.customer_id)
    )
    return {int(row[0]): int(row[1]) for row in rows}


async def _referrers(
    conn: AsyncConnection, program_id: int, page: list[Customer]
) -> dict[str, Referrer]:
    """By email key: who referred each customer (the first referrer whose referral incentive
    went to the customer's email)."""
    keys = sorted({email_key(customer.email) for customer in page})
    rows = await conn.execute(
        sa.select(referee_incentives.c.referee_key, customers.c.id, customers.c.merchant_id)
        .join(customers, customers.c.id == referee_incentives.c.referrer_id)
        .where(
            referee_incentives.c.program_id == program_id,
            referee_incentives.c.referee_key.in_(keys),
        )
        .order_by(referee_incentives.c.id)
    )
    found: dict[str, Referrer] = {}
    for key, referrer_id, merchant_id in rows:
        found.setdefault(str(key), Referrer(id=int(referrer_id), merchant_id=str(merchant_id)))
    return found


async def customer_views(
    conn: AsyncConnection, program: LoyaltyProgram, page: list[Customer], now: datetime
) -> list[CustomerView]:
    if not page:
        return []
    ids = [customer.id for customer in page]
    balances = await ledger.balances_of(conn, ids)
    claimed = await _rewards_claimed(conn, ids)
    referrers = await _referrers(conn, program.id, page)
    currency = program.site.default_currency
    standings = await standings_of(conn, program, page, balances, currency, now)
    return [
        CustomerView(
            customer=customer,
            balances=balances[customer.id],
            rewards_claimed=claimed.get(customer.id, 0),
            tier=standings.get(customer.id),
            referred_by=referrers.get(email_key(customer.email)),
        )
        for customer in page
    ]


async def customer_view(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, now: datetime
) -> CustomerView:
    return (await customer_views(conn, program, [customer], now))[0]


async def list_customer_views(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    filters: CustomerFilters,
    window: Window,
    *,
    page_number: int,
    now: datetime,
) -> tuple[list[CustomerView], Page]:
    """One page of the program's customers, as the merchant sees them."""
    found, page = await list_customers(conn, program.id, filters, window, page_number=page_number)
    return await customer_views(conn, program, found, now), page
