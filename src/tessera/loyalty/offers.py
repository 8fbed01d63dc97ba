"""The rewards on offer to a member as the merchant sees them (the Admin API's available
rewards): every enabled reward of the member's tier that the site's currency prices and the
member's country may have, whether or not the member has the points for it yet.

The rule is eligibility's own (``offer_for``), the one the Headless API and the Loyalty Page
apply, with no channel: the merchant acts for the member, from their own platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer, find_customer
from tessera.kit.errors import NotFound
from tessera.loyalty.claims import stock_claims
from tessera.loyalty.eligibility import offer_for
from tessera.loyalty.program import LoyaltyProgram, Variant, variant_of
from tessera.loyalty.tiers import member_tier_id
from tessera.programs.configuration import Reward
from tessera.programs.sites import Site, get_site


@dataclass(frozen=True, slots=True)
class Offer:
    reward: Reward
    variant: Variant  # as the member's tier has it
    sort_key: int  # the reward's place in the program file


@dataclass(frozen=True, slots=True)
class Offers:
    offers: list[Offer]
    currency: str
    language: str
    stock_claimed: dict[tuple[int, str], int]  # claims per (reward, product variant)


async def customer_and_site(
    conn: AsyncConnection, program_id: int, merchant_id: str, site_id: int | None = None
) -> tuple[Customer, Site]:
    """The program's customer and the site to see them from: ``site_id`` (one of the program's)
    or else the site the customer belongs to."""
    customer = await find_customer(conn, program_id, merchant_id)
    if customer is None:
        raise NotFound("customer", f"Customer with merchant ID `{merchant_id}` not found")
    # Another program's site is not found, as anything outside the caller's program is.
    site = await get_site(conn, program_id, customer.site_id if site_id is None else site_id)
    return customer, site


async def rewards_offered(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    *,
    country: str | None,
    now: datetime,
) -> Offers:
    """The rewards on offer, in the program file's order, in the site's default currency and
    language (``program.site``)."""
    site = program.site
    currency, language = site.default_currency, site.default_language
    tier_id = await member_tier_id(conn, program, customer, currency, now)
    offers = []
    for sort_key, reward in enumerate(program.document.rewards):
        variant = variant_of(reward, tier_id, language)
        if offer_for(reward, variant, channel=None, currency=currency, country=country):
            offers.append(Offer(reward=reward, variant=variant, sort_key=sort_key))
    stocked = [o.reward.id for o in offers if o.reward.id in program.stocked_rewards]
    return Offers(
        offers=offers,
        currency=currency,
        language=language,
        stock_claimed=await stock_claims(conn, program.id, stocked),
    )
