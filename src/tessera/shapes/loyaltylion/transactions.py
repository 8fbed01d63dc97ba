"""Transactions as the Admin API shows them: one ledger entry with points each.

``transaction_out`` is the one place an entry becomes a transaction. An entry of a tracked
activity (``POST /v2/activities``) shows that activity as it is now; any other rule's points (an
order's, a Headless rule completion's) show an activity built from the entry itself. Entries
that settle pending points (approved or voided) belong to the activity they settle.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

import msgspec

from tessera.kit.clock import iso_z
from tessera.loyalty.ledger import SPENDABLE
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.loyalty.transactions_list import LedgerTransaction

from .customers import CustomerBriefOut, customer_brief

ActivityState = Literal["pending", "approved", "declined", "void"]
Resource = Literal["activity", "adjustment", "claimed_reward", "expiry"]


class RuleRefOut(msgspec.Struct):
    id: int
    name: str
    title: str


class ActivityOut(msgspec.Struct):
    id: int
    merchant_id: str | None
    value: float | None
    state: ActivityState
    customer: CustomerBriefOut
    created_at: str
    rule: RuleRefOut | None
    flow: None = None
    resource: None = None


class ClaimedRewardRefOut(msgspec.Struct):
    id: int
    reward_id: int | None
    refund: bool


class AdjustmentOut(msgspec.Struct):
    id: int
    reason: str | None


class ExpiryOut(msgspec.Struct):
    id: int


class TransactionOut(msgspec.Struct):
    id: int
    customer: CustomerBriefOut
    points_approved: int
    points_pending: int
    created_at: str
    resource: Resource
    activity: ActivityOut | None
    claimed_reward: ClaimedRewardRefOut | None
    adjustment: AdjustmentOut | None
    expiry: ExpiryOut | None


_ACTIVITY_STATES: dict[str, ActivityState] = {"pending": "pending", "void": "void"}
_TRACKED_STATES: dict[str, ActivityState] = {
    "pending": "pending",
    "approved": "approved",
    "declined": "declined",
    "void": "void",
}
_SETTLED_STATES: dict[str, ActivityState] = {
    "pending_approved": "approved",
    "pending_voided": "void",
}


def _activity_state(found: LedgerTransaction) -> ActivityState:
    """The activity's state now: a pending earning approved or voided since (its settlement's
    transactions included) shows as what it became."""
    entry = found.entry
    settled = _SETTLED_STATES.get(entry.kind) or _SETTLED_STATES.get(found.settled or "")
    return settled or _ACTIVITY_STATES.get(entry.state, "approved")


def _rule_ref(program: LoyaltyProgram, rule_id: int | None, label: str | None) -> RuleRefOut | None:
    if rule_id is None:
        return None
    rule = program.rule(rule_id)
    if rule is None:  # since removed from the program: what the entry kept
        return RuleRefOut(id=rule_id, name="custom", title=label or "")
    title = variant_of(rule, None, program.site.default_language).title
    return RuleRefOut(id=rule_id, name=rule.kind, title=title)


def _activity(
    program: LoyaltyProgram, found: LedgerTransaction, brief: CustomerBriefOut, at: str
) -> ActivityOut:
    entry, tracked = found.entry, found.activity
    if tracked is not None:
        return ActivityOut(
            id=tracked.id,
            merchant_id=tracked.merchant_id,
            value=tracked.value,
            state=_TRACKED_STATES.get(tracked.state, "approved"),
            customer=brief,
            created_at=iso_z(tracked.created_at, millis=True),
            rule=_rule_ref(program, tracked.rule_id, entry.label),
        )
    return ActivityOut(
        id=found.settles_id or entry.id,
        merchant_id=None,
        value=None,
        state=_activity_state(found),
        customer=brief,
        created_at=at,
        rule=_rule_ref(program, entry.rule_id, entry.label),
    )


def transaction_out(program: LoyaltyProgram, found: LedgerTransaction) -> TransactionOut:
    entry = found.entry
    brief = customer_brief(found.customer, found.balances)
    at = iso_z(entry.created_at, millis=True)
    approved = entry.points if entry.state in SPENDABLE else 0
    pending = entry.points if entry.state == "pending" else 0
    resource: Resource
    activity = claimed = adjustment = expiry = None
    match entry.kind:
        case "earned_points_from_rule" | "pending_approved" | "pending_voided":
            # A settlement (the approval or void of pending points) moves the same activity's
            # points, so it is a transaction of the activity it settles.
            resource = "activity"
            activity = _activity(program, found, brief, at)
        case "redeemed_points_for_reward" | "redemption_refunded":
            resource = "claimed_reward"
            claimed = ClaimedRewardRefOut(
                id=entry.claimed_reward_id or 0,
                reward_id=entry.reward_id,
                refund=entry.kind == "redemption_refunded",
            )
        case "points_expired":
            resource = "expiry"
            expiry = ExpiryOut(id=entry.id)
        case _:
            resource = "adjustment"
            adjustment = AdjustmentOut(id=entry.id, reason=entry.label)
    return TransactionOut(
        id=entry.id,
        customer=brief,
        points_approved=approved,
        points_pending=pending,
        created_at=at,
        resource=resource,
        activity=activity,
        claimed_reward=claimed,
        adjustment=adjustment,
        expiry=expiry,
    )


CSV_COLUMNS = (
    "id",
    "created_at",
    "resource",
    "points_approved",
    "points_pending",
    "customer_id",
    "customer_merchant_id",
    "customer_email",
    "resource_id",
    "description",
)
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection): such
# text cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def transaction_csv_row(t: TransactionOut) -> tuple[object, ...]:
    """The transaction as a row of CSV_COLUMNS (the API's CSV pages and `tessera transactions
    export` both write these)."""
    if t.activity is not None:
        rule = t.activity.rule
        resource_id, description = t.activity.id, rule.title if rule else ""
    elif t.claimed_reward is not None:
        resource_id, description = t.claimed_reward.id, ""
    elif t.adjustment is not None:
        resource_id, description = t.adjustment.id, t.adjustment.reason or ""
    else:
        resource_id, description = t.id, ""
    return (
        t.id,
        t.created_at,
        t.resource,
        t.points_approved,
        t.points_pending,
        t.customer.id,
        _text(t.customer.merchant_id),
        _text(t.customer.email),
        resource_id,
        _text(description),
    )


def transactions_csv(transactions: list[TransactionOut]) -> str:
    """A header row, then one row per transaction."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(transaction_csv_row(t) for t in transactions)
    return buffer.getvalue()
