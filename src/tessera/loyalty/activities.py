"""Activities a merchant's platform tracks (Admin API ``POST /v2/activities``): a review, a
signup, a follow... Each is recorded once, names the rule it completed and earns through the
rule engine (tessera.loyalty.rules): limits, channels and tier variants apply as everywhere.

A built-in activity is named with a ``$`` (``$review``) and completes a rule of that kind; any
other name is a custom rule's ``name``. Guests and blocked customers earn nothing, but their
activity is still recorded. ``(program, name, merchant_id)`` names one activity: tracking it
again records and awards nothing more, even from two workers at once (the unique index decides).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import Customer, get_or_create_customer
from tessera.kit.errors import Invalid
from tessera.loyalty import members, rules
from tessera.loyalty.program import LoyaltyProgram
from tessera.programs.configuration import (
    ClickthroughRule,
    CustomRule,
    PageviewRule,
    Rule,
)
from tessera.store.conflicts import claim_row
from tessera.store.tables import activities

# Built-in activity names and the rule kind each completes.
BUILT_IN: dict[str, str] = {
    "$signup": "join_program",
    "$birthday": "birthday",
    "$newsletter_signup": "newsletter_signup",
    "$clickthrough": "clickthrough",
    "$pageview": "pageview",
    "$review": "review",
    "$referral": "referral",
    "$facebook_like": "facebook_like",
    "$twitter_follow": "twitter_follow",
    "$instagram_follow": "instagram_follow",
    "$tiktok_follow": "tiktok_follow",
    "$loyalty_pass_install": "loyalty_pass_install",
}
# Named, but tracked another way.
ELSEWHERE = {"$purchase": "purchases are tracked with the Orders API (POST /v2/orders)"}
NEEDS_URL = ("$clickthrough", "$pageview")
CHANNEL = "web"  # a merchant's platform tracks what happened on its store


@dataclass(frozen=True, slots=True)
class TrackedActivity:
    """What the platform says happened; the strings already bounded by the adapter."""

    name: str
    customer_merchant_id: str
    customer_email: str
    merchant_id: str | None
    properties: dict[str, Any]
    occurred_at: datetime
    guest: bool


def built_in_name(name: str) -> str:
    """``review`` -> ``$review``: Update Activity's path may leave the ``$`` out."""
    return name if name.startswith("$") else "$" + name


def matching_rules(program: LoyaltyProgram, name: str, properties: dict[str, Any]) -> list[Rule]:
    """The enabled rules an activity named ``name`` completes (the first that can pays), or
    Invalid naming the field when the name or its properties say nothing this program knows."""
    if name in ELSEWHERE:
        raise Invalid("The request body is invalid", {"name": ELSEWHERE[name]})
    if name not in BUILT_IN:
        if name.startswith("$"):
            known = ", ".join(sorted(BUILT_IN))
            raise Invalid(
                "The request body is invalid",
                {"name": f"is not a built-in activity (one of {known})"},
            )
        custom = [r for r in program.document.rules if isinstance(r, CustomRule) and r.name == name]
        if not custom:
            raise Invalid(
                "The request body is invalid",
                {"name": f"no custom rule of this program is named {name!r}"},
            )
        return [rule for rule in custom if rule.enabled]
    kind = BUILT_IN[name]
    found = [rule for rule in rules.rules_of_kind(program, kind) if rule.enabled]
    if name in NEEDS_URL:
        url = properties.get("url")
        if not isinstance(url, str) or not url:
            raise Invalid(
                "The request body is invalid", {"properties.url": f"is required for {name}"}
            )
        found = [rule for rule in found if _visits(rule, url)]
    return found


def _visits(rule: Rule, url: str) -> bool:
    if isinstance(rule, ClickthroughRule):
        return rule.destination_url.rstrip("/") == url.rstrip("/")
    if isinstance(rule, PageviewRule):
        return rule.page_url is None or fnmatch.fnmatchcase(url, rule.page_url)
    return False


async def track_activity(
    conn: AsyncConnection, program: LoyaltyProgram, tracked: TrackedActivity, now: datetime
) -> tuple[int, bool]:
    """Record the activity and award what it earns: (activity id, whether this call recorded
    it; False when the same name and merchant_id was tracked before)."""
    candidates = matching_rules(program, tracked.name, tracked.properties)
    customer, created = await get_or_create_customer(
        conn,
        program_id=program.id,
        site_id=program.site.id,
        merchant_id=tracked.customer_merchant_id,
        email=tracked.customer_email,
        state="guest",
    )
    customer = await members.locked_customer(conn, program, customer.merchant_id)
    values = {
        "program_id": program.id,
        "site_id": program.site.id,
        "customer_id": customer.id,
        "name": tracked.name,
        "merchant_id": tracked.merchant_id,
        "rule_id": candidates[0].id if candidates else None,
        "state": candidates[0].initial_state if candidates else "approved",
        "value": 0,
        "points_not_taken_back": 0,
        "properties": tracked.properties,
        "occurred_at": tracked.occurred_at,
        "created_at": now,
        "updated_at": now,
    }
    activity_id = await claim_row(conn.dialect.name, activities).scalar(conn, values)
    if activity_id is None:
        return await _existing_id(conn, program.id, tracked), False
    outcomes = await _earn(
        conn, program, customer, tracked, candidates, int(activity_id), now, created=created
    )
    if outcomes:
        rule = outcomes[0].rule
        await conn.execute(
            activities.update()
            .where(activities.c.id == activity_id)
            .values(
                rule_id=rule.id,
                state=rule.initial_state,
                value=sum(outcome.points for outcome in outcomes),
            )
        )
    # Announced once the activity shows what it earned.
    for outcome in outcomes:
        await rules.announce(conn, program, customer, outcome)
    return int(activity_id), True


async def _earn(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    customer: Customer,
    tracked: TrackedActivity,
    candidates: list[Rule],
    activity_id: int,
    now: datetime,
    *,
    created: bool,
) -> list[rules.RuleOutcome]:
    if tracked.guest or customer.state == "blocked":
        return []
    currency = program.site.default_currency
    signup = tracked.name == "$signup"
    if customer.state == "guest" and (signup or program.document.auto_enrol):
        # Enrolment awards join_program: to this activity when it is the signup.
        customer, outcomes = await members.enrol(
            conn,
            program,
            customer,
            channel=CHANNEL,
            currency=currency,
            now=now,
            created=created,
            activity_id=activity_id if signup else None,
            announce_rules=not signup,
        )
        if signup:
            return outcomes
    if signup or customer.state != "enrolled":
        return []  # a member signs up once: at their enrolment
    for rule in candidates:
        outcome = await rules.trigger_rules(
            conn,
            program,
            customer,
            [rule],
            channel=CHANNEL,
            currency=currency,
            now=now,
            activity_id=activity_id,
            announce_it=False,
        )
        if outcome:
            return outcome
    return []


async def _existing_id(conn: AsyncConnection, program_id: int, tracked: TrackedActivity) -> int:
    found = await conn.scalar(
        sa.select(activities.c.id).where(
            activities.c.program_id == program_id,
            activities.c.name == tracked.name,
            activities.c.merchant_id == tracked.merchant_id,
        )
    )
    assert found is not None  # the unique index refused our row for this one
    return int(found)
