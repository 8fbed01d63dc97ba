"""Initialize Session: what starting a session changes (creating the customer, enrolling them,
the rules a session completes, the cart's expired redemptions), and the read-only answer for a
session that changes none of it.

``start_session`` is the whole of it: ``unchanged_member`` runs on a plain read connection and
returns the member's snapshot when nothing would be written; ``initialize_session`` is the write,
inside a write unit of work (tessera.store.group_commit) that holds the customer's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.customers.service import (
    Customer,
    email_key,
    email_owner,
    find_customer,
    get_or_create_customer,
)
from tessera.kit.errors import Conflict
from tessera.loyalty import carts, rules
from tessera.loyalty.claims import claims_of
from tessera.loyalty.eligibility import rule_refusal
from tessera.loyalty.members import enrol
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.loyalty.rules import RuleOutcome
from tessera.loyalty.snapshot import MemberSnapshot, member_snapshot
from tessera.programs.configuration import Rule
from tessera.store.group_commit import GroupCommit


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """What an Initialize Session asks for."""

    merchant_id: str
    email: str
    channel: str
    currency: str
    page_url: str | None
    cart: carts.Cart | None
    now: datetime


@dataclass(frozen=True, slots=True)
class StartedSession:
    customer: Customer
    snapshot: MemberSnapshot | None  # None for a customer who is not a member
    cart_actions: list[carts.RemoveLine]


@dataclass(frozen=True, slots=True)
class SessionResult:
    customer: Customer
    created: bool
    enrolled: bool
    outcomes: list[RuleOutcome]
    cart_actions: list[carts.RemoveLine]


def _email_in_use() -> Conflict:
    return Conflict(
        "email_already_in_use", "This email address belongs to another customer of the program"
    )


async def _check_email(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, email: str
) -> None:
    """A known customer's email is theirs to keep; a new one must not belong to anyone else."""
    if customer.email.lower() != email_key(email):
        owner = await email_owner(conn, program.id, email)
        if owner is not None and owner != customer.merchant_id:
            raise _email_in_use()


def session_rules(
    program: LoyaltyProgram, customer: Customer, channel: str, page_url: str | None, now: datetime
) -> list[Rule]:
    """The rules a member's session start tries to complete."""
    triggered: list[Rule] = []
    if channel == "web" and page_url:
        triggered += rules.pageview_rules(program, page_url)
    if channel == "mobile":
        triggered += rules.mobile_session_rules(program)
    if rules.is_birthday(customer, now):
        triggered += rules.rules_of_kind(program, "birthday")
    return triggered


async def unchanged_member(
    conn: AsyncConnection, program: LoyaltyProgram, request: SessionRequest
) -> tuple[Customer, MemberSnapshot | None] | None:
    """The existing customer (and, for a member, their snapshot) when this session start writes
    nothing; None when it must go through ``initialize_session``. Raises what that would."""
    merchant_id, email, channel, currency = (
        request.merchant_id,
        request.email,
        request.channel,
        request.currency,
    )
    page_url, cart, now = request.page_url, request.cart, request.now
    customer = await find_customer(conn, program.id, merchant_id)
    if customer is None:
        return None
    await _check_email(conn, program, customer, email)
    if customer.state == "guest" and program.document.auto_enrol:
        return None
    snapshot = None
    if customer.state == "enrolled":
        snapshot = await member_snapshot(conn, program, customer, currency, now)
        claims = snapshot.claims
        language = program.site.default_language
        for rule in session_rules(program, customer, channel, page_url, now):
            variant = variant_of(rule, snapshot.tier_id, language)
            completed = snapshot.completions.get(rule.id, [])
            if rule_refusal(rule, variant, channel=channel, completed=completed, now=now) is None:
                return None
    else:
        claims = await claims_of(conn, customer.id)
    if carts.settlement(claims, cart, now):
        return None
    return customer, snapshot


async def initialize_session(
    conn: AsyncConnection, program: LoyaltyProgram, request: SessionRequest
) -> SessionResult:
    merchant_id, email, channel, currency = (
        request.merchant_id,
        request.email,
        request.channel,
        request.currency,
    )
    page_url, cart, now = request.page_url, request.cart, request.now
    customer, created = await get_or_create_customer(
        conn,
        program_id=program.id,
        site_id=program.site.id,
        merchant_id=merchant_id,
        email=email,
        state="guest",
    )
    customer = await find_customer(conn, program.id, merchant_id, for_update=True) or customer
    if not created:
        await _check_email(conn, program, customer, email)
    outcomes: list[RuleOutcome] = []
    enrolled = False
    if customer.state == "guest" and program.document.auto_enrol:
        customer, outcomes = await enrol(
            conn, program, customer, channel=channel, currency=currency, now=now, created=created
        )
        enrolled = True
    if customer.state == "enrolled":
        outcomes += await rules.trigger_rules(
            conn,
            program,
            customer,
            session_rules(program, customer, channel, page_url, now),
            channel=channel,
            currency=currency,
            now=now,
        )
    actions = await carts.settle_cart(conn, program, await claims_of(conn, customer.id), cart, now)
    return SessionResult(
        customer=customer,
        created=created,
        enrolled=enrolled,
        outcomes=outcomes,
        cart_actions=actions,
    )


async def start_session(
    engine: AsyncEngine, writes: GroupCommit, program: LoyaltyProgram, request: SessionRequest
) -> StartedSession:
    """Initialize Session. Most session starts change nothing: those are answered from a read
    connection, with no write lock; the others are one unit of work in the group commit."""
    async with engine.connect() as conn:
        found = await unchanged_member(conn, program, request)
    if found is not None:
        customer, snapshot = found
        return StartedSession(customer, snapshot, [])

    async def start(conn: AsyncConnection) -> StartedSession:
        result = await initialize_session(conn, program, request)
        customer = result.customer
        snapshot = (
            await member_snapshot(conn, program, customer, request.currency, request.now)
            if customer.state == "enrolled"
            else None
        )
        return StartedSession(customer, snapshot, result.cart_actions)

    return await writes.run(start)
