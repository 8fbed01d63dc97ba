"""The rule engine: a member completes a rule and earns its points, within the rule's limit.

Callers hold the customer's lock (tessera.store.transactions), so the limit check and the ledger
write cannot interleave with a parallel completion of the same rule by the same member. A
completion is announced (tessera.loyalty.program_events) as it is made, or by the caller once
it has recorded what the completion belongs to (``announce=False``, then :func:`announce`).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.blocking import refuse_blocked
from tessera.customers.service import Customer
from tessera.kit.errors import Conflict, NotFound
from tessera.loyalty import ledger, program_events, tiers
from tessera.loyalty.eligibility import rule_refusal
from tessera.loyalty.order_store import Order
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.programs.configuration import CustomRule, PageviewRule, Rule


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule: Rule
    points: int
    completed_at: datetime
    title: str
    entry_id: int = 0  # the ledger entry of the points
    tier_change: tiers.TierChange | None = None


async def announce(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    outcome: RuleOutcome,
    *,
    order: Order | None = None,
) -> None:
    """The completion's webhook events: the rule completed, points earned, a tier changed, the
    customer changed. ``order``: the order that completed it (a referral: the friend's)."""
    now = outcome.completed_at
    await program_events.rule_completed(
        conn, program, customer, outcome.entry_id, outcome.points, now, order=order
    )
    await program_events.tier_changed(conn, program, customer, outcome.tier_change, now)
    await program_events.customer_changed(conn, program, customer.id, now)


def require_member(customer: Customer) -> None:
    """Only members earn and redeem; a blocked customer neither (customers.blocking)."""
    refuse_blocked(customer)
    if customer.state != "enrolled":
        raise Conflict("customer_not_enrolled", "This customer is not enrolled in the program")


async def complete_rule(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    rule: Rule,
    *,
    channel: str,
    currency: str,
    now: datetime,
    activity_id: int | None = None,
    order: Order | None = None,
    announce_it: bool = True,
) -> RuleOutcome:
    """Award ``rule`` to ``customer`` or raise Conflict with the contract's code. The points
    start in the rule's initial state (pending ones wait for tessera.loyalty.pending);
    ``activity_id``: the tracked activity they are earned for; ``order``: the order that
    completed the rule; ``announce_it=False``: the caller announces it."""
    require_member(customer)
    state = await tiers.tier_state(conn, program, customer, currency, now)
    tier_id = None if state is None or state.standing is None else state.standing.tier.id
    variant = variant_of(rule, tier_id, program.site.default_language)
    completed = await ledger.rule_completion_times(conn, customer.id, rule.id)
    refusal = rule_refusal(rule, variant, channel=channel, completed=completed, now=now)
    if refusal == "rule_not_enabled_for_customer":
        raise Conflict(
            refusal, f"Rule {rule.id} is not enabled for this customer on the {channel} channel"
        )
    if refusal is not None:
        raise Conflict(refusal, f"Rule {rule.id} has reached its limit")
    entry_id = await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=variant.points,
        state=rule.initial_state,
        reason=f"rule {rule.id}",
        kind="earned_points_from_rule",
        rule_id=rule.id,
        label=variant.title,
        channel=channel,
        at=now,
        activity_id=activity_id,
    )
    # The tier after the award follows from the state read before it (one entry added).
    if state is not None:
        state = tiers.after_award(state, program, customer, currency, now, variant.points)
    change = await tiers.record_tier_entry(conn, program, customer, state, now)
    outcome = RuleOutcome(rule, variant.points, now, variant.title, entry_id, change)
    if announce_it:
        await announce(conn, program, customer, outcome, order=order)
    return outcome


async def trigger_rules(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    rules: list[Rule],
    *,
    channel: str,
    currency: str,
    now: datetime,
    activity_id: int | None = None,
    announce_it: bool = True,
) -> list[RuleOutcome]:
    """Complete each rule the customer can complete now; skip (silently) those they cannot:
    a session that happens to view a page a sixth time a day is not an error."""
    outcomes = []
    for rule in rules:
        try:
            outcomes.append(
                await complete_rule(
                    conn,
                    program,
                    customer,
                    rule,
                    channel=channel,
                    currency=currency,
                    now=now,
                    activity_id=activity_id,
                    announce_it=announce_it,
                )
            )
        except Conflict:
            continue
    return outcomes


def find_completable_rule(program: LoyaltyProgram, rule_id: int, kind: str) -> Rule:
    """The program's rule ``rule_id`` of ``kind``, if an integration may complete it directly."""
    rule = program.rule(rule_id)
    if rule is None:
        raise NotFound("rule", f"Rule with ID `{rule_id}` not found")
    if rule.kind != kind:
        raise Conflict("rule_kind_mismatch", f"Rule {rule_id} is a {rule.kind} rule, not {kind}")
    if not rule.completable or (isinstance(rule, CustomRule) and rule.trigger != "api"):
        raise Conflict(
            "rule_not_enabled_for_customer", f"Rule {rule_id} is completed by sessions, not here"
        )
    return rule


def rules_of_kind(program: LoyaltyProgram, kind: str) -> list[Rule]:
    return [rule for rule in program.document.rules if rule.kind == kind]


def pageview_rules(program: LoyaltyProgram, page_url: str) -> list[Rule]:
    return [
        rule
        for rule in program.document.rules
        if isinstance(rule, PageviewRule)
        and (rule.page_url is None or fnmatch.fnmatchcase(page_url, rule.page_url))
    ]


def mobile_session_rules(program: LoyaltyProgram) -> list[Rule]:
    return [
        rule
        for rule in program.document.rules
        if isinstance(rule, CustomRule) and rule.trigger == "mobile_session"
    ]


def is_birthday(customer: Customer, now: datetime) -> bool:
    return (customer.birthday_month, customer.birthday_day) == (now.month, now.day)
