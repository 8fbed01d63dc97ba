"""A member's history as the contract's HistoryAction Structs: one per ledger entry of the
snapshot's history, newest first."""

from __future__ import annotations

from datetime import datetime, timedelta

from tessera.kit.clock import iso_z
from tessera.loyalty.claims import Claim
from tessera.loyalty.expiry import entry_expiries
from tessera.loyalty.ledger import Entry
from tessera.loyalty.program import LoyaltyProgram, variant_of
from tessera.loyalty.snapshot import MemberSnapshot
from tessera.programs.configuration import PurchaseRule, Rule

from . import customer_schemas as out
from .texts import entered_tier_text, points_added_text, points_text
from .view import View

_LIFECYCLE = {"pending", "approved", "void", "expired"}


def rule_title(program: LoyaltyProgram, rule_id: int, language: str) -> str:
    """A rule's title in the history (its variant for everyone), once per version."""
    key = ("headless-rule-title", rule_id, language)
    title: str | None = program.memo.get(key)
    if title is None:
        rule = program.rule(rule_id)
        assert rule is not None
        title = program.memo[key] = variant_of(rule, None, language).title
    return title


def approves_at(program: LoyaltyProgram, entry: Entry, rule: Rule | None) -> str | None:
    """When pending points from an order approve: at the end of the program's approval period
    (points pending for another reason, a review awaiting moderation, have no date)."""
    days = program.document.points.order_pending_days
    if entry.state != "pending" or days == 0 or not isinstance(rule, PurchaseRule):
        return None
    return iso_z(entry.created_at + timedelta(days=days))


def history_action(
    program: LoyaltyProgram,
    entry: Entry,
    claims: dict[int, Claim],
    view: View,
    expires: datetime | None = None,
) -> out.HistoryAction:
    label = entry.label or ""
    expires_at = None if expires is None else iso_z(expires)
    at = iso_z(entry.created_at)
    language = view.language
    match entry.kind:
        case "earned_points_from_rule":
            rule = program.rule(entry.rule_id or 0)
            if rule is not None:
                label = rule_title(program, rule.id, language)
            return out.HistoryEarnedPointsFromRule(
                label=label,
                date=at,
                points=entry.points,
                points_text=points_text(entry.points, language),
                rule=out.RuleRef(id=entry.rule_id, kind=rule.kind if rule else "custom"),
                points_will_approve_at=approves_at(program, entry, rule),
                points_will_expire_at=expires_at,
                state=entry.state if entry.state in _LIFECYCLE else "approved",
            )
        case "redeemed_points_for_reward":
            claim = claims.get(entry.claimed_reward_id or 0)
            reward = program.reward(entry.reward_id or 0)
            kind = claim.reward_kind if claim else (reward.kind if reward else "custom")
            return out.HistoryRedeemedPointsForReward(
                label=label,
                date=at,
                points=entry.points,
                points_text=points_text(entry.points, language),
                reward=out.RewardRef(id=entry.reward_id, kind=kind),
                claimed_reward_id=entry.claimed_reward_id,
                state="void" if claim is not None and claim.state == "void" else "approved",
            )
        case "entered_tier":
            name = program.tier_name(entry.tier_id or 0, language) or entry.label or ""
            return out.HistoryEnteredTier(
                label=entered_tier_text(name, language),
                date=at,
                tier=out.TierRef(id=entry.tier_id, name=name),
            )
        case "points_expired":
            return out.HistoryPointsExpired(
                label=label,
                date=at,
                points=entry.points,
                points_text=points_text(entry.points, language),
            )
        case _ if entry.points < 0:
            return out.HistoryPointsRemoved(
                label=label,
                date=at,
                points=entry.points,
                points_text=points_text(entry.points, language),
                state="void" if entry.state == "void" else "applied",
            )
    return out.HistoryPointsAdded(
        label=label or points_added_text(language),
        date=at,
        points=entry.points,
        points_text=points_text(entry.points, language),
        points_will_expire_at=expires_at,
        state=entry.state if entry.state in ("approved", "void", "expired") else "approved",
    )


def history(
    program: LoyaltyProgram, snapshot: MemberSnapshot, view: View
) -> list[out.HistoryAction]:
    claims = {claim.id: claim for claim in snapshot.claims}
    expiries = entry_expiries(
        snapshot.history, snapshot.balances.approved, program.document.points.expiry
    )
    return [
        history_action(program, entry, claims, view, expiries.get(entry.id))
        for entry in snapshot.history
    ]
