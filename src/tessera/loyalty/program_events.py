"""LoyaltyLion's webhook topics, recorded in the transaction of the change they announce
(tessera.webhooks.outbox) by the core service that makes the change; never by an adapter.

- **Only what is heard is built.** The topics some webhook of the program hears are read once
  per transaction (one indexed read, which a group commit's batch shares); a topic no webhook
  hears costs nothing more. Payloads are built on the change's connection, as the change left
  things, with the Admin API's shapes (tessera.shapes.loyaltylion).
- **customers/update** is recorded once per customer and transaction: a later change in the
  same transaction gives that event the customer as they are then.
- Events of one customer are delivered in the order recorded (their subject is the customer's
  merchant id).

Topics Tessera sends: :data:`SENT`. What each carries and when: docs/webhooks.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer, find_customer_by_id
from tessera.loyalty import offers, transactions_list
from tessera.loyalty.claims import Claim
from tessera.loyalty.customer_views import customer_view
from tessera.loyalty.order_store import Order
from tessera.loyalty.order_views import order_views
from tessera.loyalty.program import LoyaltyProgram, load_program
from tessera.loyalty.tiers import TierChange
from tessera.programs.sites import get_site
from tessera.shapes.loyaltylion import events as shapes
from tessera.shapes.loyaltylion.customers import CustomerOut, customer_out, loyalty_tier_out
from tessera.shapes.loyaltylion.orders import OrderOut, order_out
from tessera.shapes.loyaltylion.rewards import reward_out
from tessera.shapes.loyaltylion.transactions import TransactionOut, transaction_out
from tessera.shapes.loyaltylion.unsubscribes import unsubscribe_out
from tessera.webhooks import outbox
from tessera.webhooks.outbox import LOYALTYLION, NewEvent

CUSTOMERS_UPDATE = "customers/update"
UNSUBSCRIBE = "loyalty_emails/unsubscribe"
PROGRAM_EVENTS = "program_events/customer."
ENROLLED = PROGRAM_EVENTS + "enrolled"
POINTS_EARNED = PROGRAM_EVENTS + "points_earned"
CLAIMED_REWARD = PROGRAM_EVENTS + "claimed_reward"
RULE_COMPLETED = PROGRAM_EVENTS + "rule_completed"
REFERRAL_COMPLETE = PROGRAM_EVENTS + "referral_complete"
TIER_UPGRADED = PROGRAM_EVENTS + "tier_upgraded"
TIER_DOWNGRADED = PROGRAM_EVENTS + "tier_downgraded"
APPROACHING_POINTS_EXPIRATION = PROGRAM_EVENTS + "approaching_points_expiration"
SENT = (
    CUSTOMERS_UPDATE,
    UNSUBSCRIBE,
    ENROLLED,
    POINTS_EARNED,
    CLAIMED_REWARD,
    RULE_COMPLETED,
    REFERRAL_COMPLETE,
    TIER_UPGRADED,
    TIER_DOWNGRADED,
    APPROACHING_POINTS_EXPIRATION,
)

_UNIT = "tessera.program_events"


@dataclass(slots=True)
class _Unit:
    """What one transaction has learned: the topics heard per program, programs read for a
    site, and each customer's customers/update event recorded so far."""

    transaction: object
    heard: dict[int, frozenset[str]] = field(default_factory=dict)
    programs: dict[int, LoyaltyProgram] = field(default_factory=dict)
    updates: dict[int, int] = field(default_factory=dict)


def _unit(conn: AsyncConnection) -> _Unit:
    # Kept with the database connection and tied to its transaction: a new transaction starts
    # afresh (what an earlier one learned may have changed since).
    sync = conn.sync_connection
    assert sync is not None
    transaction = sync.get_transaction()
    unit = sync.info.get(_UNIT)
    if not isinstance(unit, _Unit) or unit.transaction is not transaction:
        unit = sync.info[_UNIT] = _Unit(transaction)
    return unit


async def heard(conn: AsyncConnection, program_id: int) -> frozenset[str]:
    """The topics some enabled webhook of the program hears (read once per transaction)."""
    unit = _unit(conn)
    topics = unit.heard.get(program_id)
    if topics is None:
        topics = unit.heard[program_id] = await outbox.subscribed_types(
            conn, program_id, LOYALTYLION
        )
    return topics


async def _program_of(
    conn: AsyncConnection, program: LoyaltyProgram | int, customer: Customer
) -> LoyaltyProgram:
    """``program``, or for a program id (the scheduled passes) the program as the customer's
    site sees it, read once per transaction."""
    if isinstance(program, LoyaltyProgram):
        return program
    unit = _unit(conn)
    found = unit.programs.get(customer.site_id)
    if found is None:
        site = await get_site(conn, program, customer.site_id)
        found = unit.programs[customer.site_id] = await load_program(conn, site)
    return found


async def _customer(
    conn: AsyncConnection, program: LoyaltyProgram, customer_id: int, now: datetime
) -> CustomerOut:
    """The customer as the transaction has left them so far."""
    found = await find_customer_by_id(conn, program.id, customer_id)
    assert found is not None
    return customer_out(program, await customer_view(conn, program, found, now))


async def _transaction(
    conn: AsyncConnection, program: LoyaltyProgram, entry_id: int
) -> TransactionOut:
    return transaction_out(
        program, await transactions_list.transaction_of(conn, program.id, entry_id)
    )


async def _order(conn: AsyncConnection, program: LoyaltyProgram, order: Order) -> OrderOut:
    return order_out((await order_views(conn, program.id, [order]))[0])


async def _record(
    conn: AsyncConnection,
    program_id: int,
    topic: str,
    subject: str,
    body: bytes,
    public_id: str | None = None,
) -> int:
    event = NewEvent(
        program_id=program_id,
        dialect=LOYALTYLION,
        type=topic,
        subject=subject,
        body=body,
        public_id=public_id or str(uuid.uuid4()),
    )
    return await outbox.record(conn, event)


async def customer_changed(
    conn: AsyncConnection, program: LoyaltyProgram | int, customer_id: int, now: datetime
) -> None:
    """customers/update: the customer changed (points, tier, state, birthday...)."""
    program_id = program if isinstance(program, int) else program.id
    if CUSTOMERS_UPDATE not in await heard(conn, program_id):
        return
    customer = await find_customer_by_id(conn, program_id, customer_id)
    assert customer is not None
    shown = await _program_of(conn, program, customer)
    body = shapes.customer_update(await _customer(conn, shown, customer_id, now))
    unit = _unit(conn)
    earlier = unit.updates.get(customer_id)
    if earlier is not None and await outbox.replace_body(conn, earlier, body):
        return
    unit.updates[customer_id] = await _record(
        conn, program_id, CUSTOMERS_UPDATE, customer.merchant_id, body
    )


async def enrolled(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, *, created: bool
) -> None:
    """program_events/customer.enrolled: a guest (or a customer seen first now) joined."""
    if ENROLLED not in await heard(conn, program.id):
        return
    joined = customer.enrolled_at or customer.created_at
    properties = shapes.EnrolledProperties(
        customer=await _customer(conn, program, customer.id, joined),
        enrollment=shapes.Enrollment(
            date=shapes.at(joined), trigger="account_creation" if created else "opt_in"
        ),
    )
    body = shapes.program_event("enrolled", joined, properties)
    await _record(conn, program.id, ENROLLED, customer.merchant_id, body)


async def rule_completed(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    entry_id: int,
    points: int,
    now: datetime,
    *,
    order: Order | None = None,
) -> None:
    """A rule paid ``points`` (ledger entry ``entry_id``): program_events/customer.
    rule_completed and points_earned. ``order``: the order that completed it (a purchase; a
    referral: the referred friend's). A completion worth no points has no transaction (nor
    activity) to show, and is not announced."""
    if points <= 0:
        return
    topics = await heard(conn, program.id)
    earned = POINTS_EARNED in topics
    if not earned and RULE_COMPLETED not in topics:
        return
    shown = await _customer(conn, program, customer.id, now)
    transaction = await _transaction(conn, program, entry_id)
    if earned:
        found = await offers.rewards_offered(conn, program, customer, country=None, now=now)
        rewards = [
            reward_out(offer, found.currency, found.language, found.stock_claimed)
            for offer in found.offers
        ]
        properties = shapes.PointsEarnedProperties(shown, transaction, rewards)
        body = shapes.program_event("points_earned", now, properties)
        await _record(conn, program.id, POINTS_EARNED, customer.merchant_id, body)
    if RULE_COMPLETED in topics and transaction.activity is not None:
        completed = shapes.RuleCompletedProperties(
            customer=shown,
            activity=transaction.activity,
            order=None if order is None else await _order(conn, program, order),
        )
        body = shapes.program_event("rule_completed", now, completed)
        await _record(conn, program.id, RULE_COMPLETED, customer.merchant_id, body)


async def referral_completed(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    referrer: Customer,
    referred: Customer,
    entry_id: int,
    points: int,
    order: Order,
    now: datetime,
) -> None:
    """program_events/customer.referral_complete: the friend's first paid order paid the
    referrer the referral rule (ledger entry ``entry_id``, of ``points``; none: no event)."""
    if points <= 0 or REFERRAL_COMPLETE not in await heard(conn, program.id):
        return
    activity = (await _transaction(conn, program, entry_id)).activity
    assert activity is not None
    properties = shapes.ReferralCompleteProperties(
        referring_customer=await _customer(conn, program, referrer.id, now),
        referred_customer=await _customer(conn, program, referred.id, now),
        activity=activity,
        order=await _order(conn, program, order),
    )
    body = shapes.program_event("referral_complete", now, properties)
    await _record(conn, program.id, REFERRAL_COMPLETE, referrer.merchant_id, body)


async def tier_changed(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    change: TierChange | None,
    now: datetime,
) -> None:
    """program_events/customer.tier_upgraded or tier_downgraded (never on entering a first
    tier: ``change`` is None then)."""
    if change is None:
        return
    topic = TIER_UPGRADED if change.upgrade else TIER_DOWNGRADED
    if topic not in await heard(conn, program.id):
        return
    currency = program.site.default_currency
    properties = shapes.TierChangeProperties(
        customer=await _customer(conn, program, customer.id, now),
        previous_tier=loyalty_tier_out(program, change.previous, currency),
        new_tier=loyalty_tier_out(program, change.new, currency),
    )
    body = shapes.program_event(topic.removeprefix(PROGRAM_EVENTS), now, properties)
    await _record(conn, program.id, topic, customer.merchant_id, body)


async def reward_claimed(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, claim: Claim, now: datetime
) -> None:
    """program_events/customer.claimed_reward, for a voucher or a gift card."""
    if CLAIMED_REWARD not in await heard(conn, program.id):
        return
    properties = shapes.claimed_reward_properties(
        await _customer(conn, program, customer.id, now), claim
    )
    if properties is None:
        return
    body = shapes.program_event("claimed_reward", now, properties)
    await _record(conn, program.id, CLAIMED_REWARD, customer.merchant_id, body)


async def points_expiring(
    conn: AsyncConnection,
    program: LoyaltyProgram | int,
    customer: Customer,
    *,
    expire_at: datetime,
    points: int,
    earned_on: datetime | None,
    public_id: str,
    now: datetime,
) -> bool:
    """program_events/customer.approaching_points_expiration, once per ``public_id`` (the
    caller derives it from the expiring batch: tessera.loyalty.expiry_notices); whether it
    was recorded now."""
    program_id = program if isinstance(program, int) else program.id
    if APPROACHING_POINTS_EXPIRATION not in await heard(conn, program_id):
        return False
    if await outbox.recorded(conn, public_id):
        return False
    shown = await _program_of(conn, program, customer)
    properties = shapes.ApproachingPointsExpirationProperties(
        customer=await _customer(conn, shown, customer.id, now),
        expire_points_at=shapes.at(expire_at),
        points_to_expire=points,
        earned_on=None if earned_on is None else shapes.at(earned_on),
    )
    body = shapes.program_event("approaching_points_expiration", now, properties)
    topic = APPROACHING_POINTS_EXPIRATION
    await _record(conn, program_id, topic, customer.merchant_id, body, public_id)
    return True


async def unsubscribed(
    conn: AsyncConnection, program_id: int, email: str, merchant_id: str | None
) -> None:
    """loyalty_emails/unsubscribe: ``email`` (of the customer ``merchant_id``, if any) was put
    on the unsubscribe list."""
    if UNSUBSCRIBE not in await heard(conn, program_id):
        return
    subject = merchant_id or email.lower()
    body = shapes.unsubscribe(unsubscribe_out(email, merchant_id))
    await _record(conn, program_id, UNSUBSCRIBE, subject, body)
