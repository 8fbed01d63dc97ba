"""Whether a member may complete a rule or redeem a reward: pure functions of what is already
known (the program, the member's variant, the times they did it before, their balance).

The rule engine and redemption ask these before they write; the Headless API and the Loyalty
Page ask the same to show what a member can do. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tessera.loyalty.program import Variant, rule_limit, window_start
from tessera.programs.configuration import Limit, Rule


def count_within(limit: Limit, times: Iterable[datetime], now: datetime) -> int:
    """How many of ``times`` fall in the limit's current window (all of them for ``forever``)."""
    since = window_start(limit.interval, now)
    return sum(1 for at in times if since is None or at >= since)


def limit_reached(limit: Limit | None, times: Iterable[datetime], now: datetime) -> bool:
    return limit is not None and count_within(limit, times, now) >= limit.count


def rule_refusal(
    rule: Rule, variant: Variant, *, channel: str, completed: Iterable[datetime], now: datetime
) -> str | None:
    """Why the member cannot complete ``rule`` now (the contract's error code), or None."""
    if not variant.enabled or channel not in rule.channels:
        return "rule_not_enabled_for_customer"
    if limit_reached(rule_limit(rule), completed, now):
        return "rule_limit_reached"
    return None
