"""Tiers: which tier a member is in, since when, until when, and how far from the next one.

A tier is derived from the ledger: the member's *measure* (points earned, money spent or orders
placed, per ``boundary_mode``) within the membership window. Entering a tier is recorded in the
ledger as an ``entered_tier`` entry (0 points), which is also when that membership started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer
from tessera.loyalty import ledger
from tessera.loyalty.program import LoyaltyProgram, add_months
from tessera.programs.configuration import (
    CalendarMembership,
    EnrollmentAnniversaryMembership,
    RollingMembership,
    Tier,
    TierSetup,
    money_in,
)


@dataclass(frozen=True, slots=True)
class TierStanding:
    tier: Tier
    measure: float
    next_tier: Tier | None
    needed_for_upgrade: float | None
    window_start: datetime | None
    valid_until: datetime | None
    started_at: datetime


def _bound(tier: Tier, currency: str) -> float:
    return money_in(tier.lower_bound, currency) or 0.0


def _window(
    setup: TierSetup, customer: Customer, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(start of the measured window, when the current membership expires)."""
    membership = setup.membership
    if isinstance(membership, RollingMembership):
        return add_months(now, -membership.duration_months), None
    if isinstance(membership, CalendarMembership):
        start = now.replace(
            month=membership.starts_on_month,
            day=min(membership.starts_on_day, 28),
            hour=0,
            minute=0,
            second=0,
            microsecond=0,
        )
        if start > now:
            start = start.replace(year=start.year - 1)
        end = add_months(start, membership.evaluation_months)
        while end <= now:
            start, end = end, add_months(end, membership.evaluation_months)
        return add_months(start, -membership.evaluation_months * (membership.windows - 1)), end
    if isinstance(membership, EnrollmentAnniversaryMembership):
        enrolled = customer.enrolled_at or customer.created_at
        start = enrolled
        while add_months(start, 12) <= now:
            start = add_months(start, 12)
        return add_months(start, -12 * (membership.windows - 1)), add_months(start, 12)
    return None, None


def window(program: LoyaltyProgram, customer: Customer, now: datetime) -> datetime | None:
    """Where the member's tier window starts (None: all time, or no tiers)."""
    setup = program.document.tiers
    return None if setup is None else _window(setup, customer, now)[0]


def standing_from(
    program: LoyaltyProgram,
    customer: Customer,
    currency: str,
    now: datetime,
    totals: ledger.Totals,
    last_tier: tuple[int, datetime] | None,
) -> TierStanding | None:
    """The member's standing from ledger totals measured since ``window(...)`` and the last tier
    they entered (``member_ledger.member_ledger``)."""
    setup = program.document.tiers
    if setup is None:
        return None
    since, valid_until = _window(setup, customer, now)
    measure = {
        "points": float(totals.tier_points),
        "spend": totals.tier_spend,
        "orders": float(totals.tier_orders),
    }[setup.boundary_mode]
    levels = setup.levels
    current = levels[0]
    for tier in levels:
        if measure >= _bound(tier, currency):
            current = tier
    index = levels.index(current)
    next_tier = levels[index + 1] if index + 1 < len(levels) else None
    needed = None if next_tier is None else max(_bound(next_tier, currency) - measure, 0.0)
    started = (
        last_tier[1]
        if last_tier is not None and last_tier[0] == current.id
        else customer.enrolled_at or customer.created_at
    )
    return TierStanding(
        tier=current,
        measure=measure,
        next_tier=next_tier,
        needed_for_upgrade=needed,
        window_start=since,
        valid_until=valid_until,
        started_at=started,
    )


@dataclass(frozen=True, slots=True)
class TierState:
    """What a tier change is decided from: the ledger totals, the last tier entered, and the
    standing they give."""

    totals: ledger.Totals
    last_tier: tuple[int, datetime] | None
    standing: TierStanding | None


async def tier_state(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, currency: str, now: datetime
) -> TierState | None:
    """None without tiers."""
    if program.document.tiers is None:
        return None
    totals = await ledger.totals(conn, customer.id, window(program, customer, now))
    entry = await ledger.last_tier_entry(conn, customer.id)
    last = None if entry is None or entry.tier_id is None else (entry.tier_id, entry.created_at)
    return TierState(totals, last, standing_from(program, customer, currency, now, totals, last))


NO_TOTALS = ledger.Totals(
    balances=ledger.Balances(approved=0, pending=0, spent=0),
    tier_points=0,
    tier_spend=0.0,
    tier_orders=0,
)


def empty_state(
    program: LoyaltyProgram, customer: Customer, currency: str, now: datetime
) -> TierState | None:
    """The tier state of a customer with no ledger entries (created in this transaction)."""
    if program.document.tiers is None:
        return None
    found = standing_from(program, customer, currency, now, NO_TOTALS, None)
    return TierState(NO_TOTALS, None, found)


def after_award(
    state: TierState,
    program: LoyaltyProgram,
    customer: Customer,
    currency: str,
    now: datetime,
    points: int,
) -> TierState:
    """The state once ``points`` approved points (no spend) are recorded at ``now``: they count
    towards the tier measure (``now`` is within the window) when not negative."""
    if points < 0:
        return state
    totals = state.totals
    added = ledger.Totals(
        balances=ledger.Balances(
            approved=totals.balances.approved + points,
            pending=totals.balances.pending,
            spent=totals.balances.spent,
        ),
        tier_points=totals.tier_points + points,
        tier_spend=totals.tier_spend,
        tier_orders=totals.tier_orders,
    )
    found = standing_from(program, customer, currency, now, added, state.last_tier)
    return TierState(added, state.last_tier, found)


async def standing(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, currency: str, now: datetime
) -> TierStanding | None:
    state = await tier_state(conn, program, customer, currency, now)
    return None if state is None else state.standing


async def member_tier_id(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, currency: str, now: datetime
) -> int | None:
    found = await standing(conn, program, customer, currency, now)
    return None if found is None else found.tier.id


@dataclass(frozen=True, slots=True)
class TierChange:
    """A member moving from the tier they were in to another (not into their first tier)."""

    previous: Tier
    new: Tier
    upgrade: bool  # into a higher tier (the levels are in order, lowest first)


async def record_tier_entry(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    state: TierState | None,
    now: datetime,
) -> TierChange | None:
    """Append an ``entered_tier`` entry when ``state``'s tier is not the one last entered;
    the change, when the member was in another tier before."""
    found = None if state is None else state.standing
    if state is None or found is None:
        return None
    if state.last_tier is not None and state.last_tier[0] == found.tier.id:
        return None
    await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=0,
        state="approved",
        reason="entered tier",
        kind="entered_tier",
        tier_id=found.tier.id,
        label=program.tier_name(found.tier.id, program.site.default_language),
        at=now,
    )
    levels = program.document.tiers.levels if program.document.tiers else []
    ids = [tier.id for tier in levels]
    if state.last_tier is None or state.last_tier[0] not in ids:
        return None  # the first tier entered (or one since removed from the program)
    previous = levels[ids.index(state.last_tier[0])]
    return TierChange(
        previous, found.tier, upgrade=ids.index(found.tier.id) > ids.index(previous.id)
    )


async def record_tier_change(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    currency: str,
    now: datetime,
) -> TierChange | None:
    """Append an ``entered_tier`` entry when the member's tier is not the one last entered;
    the change, when they were in another tier before."""
    state = await tier_state(conn, program, customer, currency, now)
    return await record_tier_entry(conn, program, customer, state, now)
