"""What happens to a member: enrolment, birthday, consent, rules and referrals.

Every function here that writes runs inside ``store.transactions.write_transaction`` and starts
by locking the customer (``find_customer(for_update=True)``), so the checks it makes still hold
when it writes.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.blocking import refuse_blocked
from tessera.customers.service import (
    Customer,
    email_key,
    find_customer,
    find_customer_by_referral_code,
    update_customer,
)
from tessera.kit.errors import Conflict, NotFound
from tessera.loyalty import program_events, rules, tiers
from tessera.loyalty.program import LoyaltyProgram
from tessera.loyalty.rewards import new_code
from tessera.store.tables import referee_incentives, referral_shares


async def locked_customer(
    conn: AsyncConnection, program: LoyaltyProgram, merchant_id: str
) -> Customer:
    customer = await find_customer(conn, program.id, merchant_id, for_update=True)
    if customer is None:
        raise NotFound("customer", f"Customer with merchant ID `{merchant_id}` not found")
    return customer


async def enrol(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    *,
    channel: str,
    currency: str,
    now: datetime,
    created: bool = False,
    activity_id: int | None = None,
    announce_rules: bool = True,
) -> tuple[Customer, list[rules.RuleOutcome]]:
    """Make a guest a member and award join_program; a member stays as they are. ``created``:
    the customer was created in this transaction, so has no ledger entries to read yet;
    ``activity_id``: the tracked activity ($signup) the points are earned for, whose caller
    announces them (``announce_rules=False``, tessera.loyalty.rules)."""
    refuse_blocked(customer)
    if customer.state == "enrolled":
        return customer, []
    customer = await update_customer(conn, customer, state="enrolled", enrolled_at=now)
    await program_events.enrolled(conn, program, customer, created=created)
    if created:
        state = tiers.empty_state(program, customer, currency, now)
    else:
        state = await tiers.tier_state(conn, program, customer, currency, now)
    change = await tiers.record_tier_entry(conn, program, customer, state, now)
    await program_events.tier_changed(conn, program, customer, change, now)
    outcomes = await rules.trigger_rules(
        conn,
        program,
        customer,
        rules.rules_of_kind(program, "join_program"),
        channel=channel,
        currency=currency,
        now=now,
        activity_id=activity_id,
        announce_it=announce_rules,
    )
    await program_events.customer_changed(conn, program, customer.id, now)
    return customer, outcomes


def valid_birthday(month: int, day: int, year: int, today: date) -> bool:
    if not 1 <= month <= 12 or not 1900 <= year <= today.year:
        return False
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    return date(year, month, day) <= today


async def set_birthday(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    merchant_id: str,
    *,
    month: int,
    day: int,
    year: int,
    now: datetime,
) -> tuple[Customer, bool]:
    customer = await locked_customer(conn, program, merchant_id)
    rules.require_member(customer)
    if not valid_birthday(month, day, year, now.date()):
        raise Conflict("invalid_date", f"{year:04d}-{month:02d}-{day:02d} is not a valid birthday")
    if (customer.birthday_month, customer.birthday_day, customer.birthday_year) == (
        month,
        day,
        year,
    ):
        return customer, False
    updated = await update_customer(
        conn, customer, birthday_month=month, birthday_day=day, birthday_year=year
    )
    await program_events.customer_changed(conn, program, customer.id, now)
    return updated, True


async def subscribe_email_marketing(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    merchant_id: str,
    *,
    channel: str,
    currency: str,
    now: datetime,
) -> tuple[Customer, bool, list[rules.RuleOutcome]]:
    customer = await locked_customer(conn, program, merchant_id)
    rules.require_member(customer)
    if customer.email_marketing == "subscribed":
        return customer, False, []
    customer = await update_customer(conn, customer, email_marketing="subscribed")
    outcomes = await rules.trigger_rules(
        conn,
        program,
        customer,
        rules.rules_of_kind(program, "newsletter_signup"),
        channel=channel,
        currency=currency,
        now=now,
    )
    return customer, True, outcomes


async def track_share(
    conn: AsyncConnection, program: LoyaltyProgram, merchant_id: str, channel: str, now: datetime
) -> None:
    customer = await locked_customer(conn, program, merchant_id)
    rules.require_member(customer)
    await conn.execute(
        referral_shares.insert().values(
            program_id=program.id, customer_id=customer.id, channel=channel, created_at=now
        )
    )


async def claim_referee_incentive(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    *,
    referral_id: str,
    referee_email: str | None,
    ip_address: str,
    user_agent: str | None,
    now: datetime,
) -> str:
    """The voucher code a referred friend gets; the same friend (the same email, or without
    one the same IP address) asking again gets the same."""
    if program.document.referee_incentive is None or not any(
        rule.kind == "referral" and rule.enabled for rule in program.document.rules
    ):
        raise Conflict("referrals_not_enabled", "This program does not run referrals")
    referrer = await find_customer_by_referral_code(conn, program.id, referral_id)
    if referrer is None:
        raise Conflict("invalid_referral_id", f"No referral with ID `{referral_id}`")
    if referrer.state != "enrolled":
        raise Conflict("invalid_referral_id", "The referring customer is not a member")
    # The idempotency key: the friend's email, or without one the shopper's IP address. One
    # key per referrer would hand every anonymous friend the same code (and the first to use
    # it would spend it for all); a code per call would mint a new one on every retry or reload.
    key = email_key(referee_email) if referee_email else f"ip:{ip_address.strip().lower()[:64]}"
    if referee_email and key == email_key(referrer.email):
        raise Conflict("invalid_referee", "A customer cannot refer themselves")
    existing = await conn.scalar(
        sa.select(referee_incentives.c.code).where(
            referee_incentives.c.program_id == program.id,
            referee_incentives.c.referrer_id == referrer.id,
            referee_incentives.c.referee_key == key,
        )
    )
    if existing is not None:
        return str(existing)
    code = new_code("FRIEND", groups=3)
    await conn.execute(
        referee_incentives.insert().values(
            program_id=program.id,
            referrer_id=referrer.id,
            referee_key=key,
            code=code,
            ip_address=ip_address[:64],
            user_agent=None if user_agent is None else user_agent[:1000],
            created_at=now,
        )
    )
    return code
