"""The one eligibility function redeem, the Headless API and the Loyalty Page share: pure, so
tested without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tessera.loyalty.eligibility import (
    MemberFacts,
    count_within,
    limit_reached,
    reward_refusal,
    rule_refusal,
)
from tessera.loyalty.program import variant_of
from tessera.programs.configuration import Limit, parse_document

NOW = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)
DOCUMENT = parse_document(
    {
        "rules": [
            {
                "id": 1,
                "kind": "clickthrough",
                "points": 10,
                "title": {"en": "Click"},
                "destination_url": "https://example.com",
                "limit": {"count": 2, "interval": "day"},
            }
        ],
        "rewards": [
            {
                "id": 1,
                "kind": "gift_card",
                "points": 100,
                "title": {"en": "Gift"},
                "initial_balance": {"usd": 5},
                "limit": {"count": 1, "interval": "month"},
            },
            {
                "id": 2,
                "kind": "cart_variable_discount_voucher",
                "points": 10,
                "title": {"en": "Variable"},
                "minimum_discount": {"usd": 1},
                "maximum_discount": {"usd": 50},
            },
        ],
    }
)
RULE = DOCUMENT.rules[0]
GIFT = DOCUMENT.rewards[0]


def facts(balance: int = 500, claims: list[datetime] | None = None) -> MemberFacts:
    return MemberFacts(
        balance=balance, claim_times={GIFT.id: claims or []}, stock_claimed={}, now=NOW
    )


def refusal(reward: object = GIFT, member: MemberFacts | None = None, **view: str) -> str | None:
    assert reward in DOCUMENT.rewards
    variant = variant_of(reward, None, "en")  # type: ignore[arg-type]
    options = {"channel": "web", "currency": "usd", **view}
    return reward_refusal(
        reward,  # type: ignore[arg-type]
        variant,
        member or facts(),
        channel=options["channel"],
        currency=options["currency"],
        country=None,
    )


def test_a_limit_counts_only_the_current_window() -> None:
    limit = Limit(count=2, interval="day")
    times = [NOW - timedelta(days=1), NOW - timedelta(hours=1)]
    assert count_within(limit, times, NOW) == 1
    assert not limit_reached(limit, times, NOW)
    assert limit_reached(limit, [*times, NOW], NOW)


def test_no_limit_is_never_reached() -> None:
    assert not limit_reached(None, [NOW] * 100, NOW)


def test_a_member_with_enough_points_may_redeem() -> None:
    assert refusal() is None


def test_too_few_points_is_insufficient_points() -> None:
    assert refusal(member=facts(balance=99)) == "insufficient_points"


def test_a_claim_in_this_window_reaches_the_limit() -> None:
    assert refusal(member=facts(claims=[NOW - timedelta(days=1)])) == "reward_limit_reached"


def test_a_claim_in_an_earlier_window_does_not_count() -> None:
    assert refusal(member=facts(claims=[NOW - timedelta(days=40)])) is None


def test_the_limit_is_named_before_the_balance() -> None:
    member = facts(balance=0, claims=[NOW])
    assert refusal(member=member) == "reward_limit_reached"


def test_a_reward_not_priced_in_the_currency_is_not_offered() -> None:
    assert refusal(currency="eur") == "reward_not_enabled_for_customer"


def test_a_variable_discount_is_spent_at_checkout_not_redeemed() -> None:
    assert refusal(DOCUMENT.rewards[1]) == "reward_kind_mismatch"


def test_a_rule_within_its_limit_can_be_completed() -> None:
    variant = variant_of(RULE, None, "en")
    assert rule_refusal(RULE, variant, channel="web", completed=[NOW], now=NOW) is None


def test_a_rule_at_its_limit_is_refused() -> None:
    variant = variant_of(RULE, None, "en")
    done = [NOW, NOW - timedelta(hours=1)]
    assert rule_refusal(RULE, variant, channel="web", completed=done, now=NOW) == (
        "rule_limit_reached"
    )


def test_a_rule_off_its_channels_is_not_enabled() -> None:
    document = parse_document({"rules": [{**_rule_data(), "channels": ["mobile"]}], "rewards": []})
    rule = document.rules[0]
    variant = variant_of(rule, None, "en")
    assert rule_refusal(rule, variant, channel="web", completed=[], now=NOW) == (
        "rule_not_enabled_for_customer"
    )


def _rule_data() -> dict[str, object]:
    return {
        "id": 1,
        "kind": "clickthrough",
        "points": 10,
        "title": {"en": "Click"},
        "destination_url": "https://example.com",
    }
