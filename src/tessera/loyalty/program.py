"""The program as the engine sees it for one request: its configuration, and the rules of
variants, channels and limit windows that every service applies the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.programs.configuration import (
    Limit,
    ProgramDocument,
    Reward,
    RewardSpec,
    Rule,
    RuleSpec,
    current_version,
    localized,
    tier_variant,
)
from tessera.programs.sites import Program, Site, get_program


@dataclass(frozen=True, slots=True)
class LoyaltyProgram:
    program: Program
    site: Site
    version: int
    document: ProgramDocument
    # What adapters derive from this version (encoded configuration...): built once, dropped
    # with the version (tessera.loyalty.program_cache).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> int:
        return self.program.id

    def rule(self, rule_id: int) -> Rule | None:
        rules: dict[int, Rule] | None = self.memo.get("rules-by-id")
        if rules is None:
            rules = self.memo["rules-by-id"] = {rule.id: rule for rule in self.document.rules}
        return rules.get(rule_id)

    def reward(self, reward_id: int) -> Reward | None:
        rewards: dict[int, Reward] | None = self.memo.get("rewards-by-id")
        if rewards is None:
            rewards = self.memo["rewards-by-id"] = {r.id: r for r in self.document.rewards}
        return rewards.get(reward_id)

    @property
    def stocked_rewards(self) -> list[int]:
        """Rewards with a product variant of limited stock (claims across the program count)."""
        found: list[int] | None = self.memo.get("stocked_rewards")
        if found is None:
            found = self.memo["stocked_rewards"] = [
                reward.id
                for reward in self.document.rewards
                if any(
                    variant.inventory_count is not None
                    for variant in getattr(getattr(reward, "product", None), "variants", [])
                )
            ]
        return found

    def tier_ids(self) -> list[int | None]:
        tiers = self.document.tiers
        return [None] if tiers is None else [tier.id for tier in tiers.levels]

    def tier_name(self, tier_id: int, language: str) -> str:
        tiers = self.document.tiers
        for tier in tiers.levels if tiers else []:
            if tier.id == tier_id:
                return localized(tier.name, language)
        return ""


async def load_program(conn: AsyncConnection, site: Site) -> LoyaltyProgram:
    program = await get_program(conn, site.program_id)
    version, document = await current_version(conn, site.program_id)
    return LoyaltyProgram(program=program, site=site, version=version, document=document)


@dataclass(frozen=True, slots=True)
class Variant:
    """An entry as members of one tier (or everyone, without tiers) see it."""

    tier_id: int | None
    enabled: bool
    points: int
    title: str
    description: str | None


def variant_of(entry: RuleSpec | RewardSpec, tier_id: int | None, language: str) -> Variant:
    override = tier_variant(entry, tier_id)
    enabled = entry.enabled
    points = entry.points
    title = entry.title
    description = entry.description
    if override is not None:
        enabled = entry.enabled and (override.enabled if override.enabled is not None else True)
        points = override.points if override.points is not None else points
        title = override.title or title
        description = override.description or description
    return Variant(
        tier_id=tier_id,
        enabled=enabled,
        points=points,
        title=localized(title, language),
        description=localized(description, language) if description else None,
    )


# Rules that can only sensibly happen so often have that limit even when the file sets none:
# a birthday once a year, joining and the newsletter sign-up once.
IMPLICIT_LIMITS = {
    "birthday": Limit(count=1, interval="year"),
    "join_program": Limit(count=1, interval="forever"),
    "newsletter_signup": Limit(count=1, interval="forever"),
}


def rule_limit(rule: RuleSpec) -> Limit | None:
    return rule.limit if rule.limit is not None else IMPLICIT_LIMITS.get(rule.kind)


# --- limit windows -----------------------------------------------------------------------------


def window_start(interval: str, now: datetime) -> datetime | None:
    """Start of the calendar period (UTC) that ``now`` is in; None for ``forever``."""
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    match interval:
        case "day":
            return midnight
        case "week":
            return midnight - timedelta(days=midnight.weekday())
        case "month":
            return midnight.replace(day=1)
        case "year":
            return midnight.replace(month=1, day=1)
    return None


def window_end(interval: str, now: datetime) -> datetime | None:
    start = window_start(interval, now)
    if start is None:
        return None
    match interval:
        case "day":
            return start + timedelta(days=1)
        case "week":
            return start + timedelta(days=7)
        case "month":
            return (start + timedelta(days=32)).replace(day=1)
    return start.replace(year=start.year + 1)


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month, day=day)
