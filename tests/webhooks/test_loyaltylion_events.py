"""What each LoyaltyLion topic sends, made through the APIs an integration calls, delivered to a
real receiver on both databases: signed with the site's secret, each body as the contract has
it (tests/webhooks/loyaltylion.py checks both for every event)."""

from __future__ import annotations

from typing import Any

from tessera.loyalty import program_events as topics

from .loyaltylion import Hooks, hooks_fixture  # noqa: F401

PROGRAM_EVENTS = "program_events/customer."


def properties(event: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = event["payload"]["properties"]
    return found


async def test_a_new_member_is_announced_as_enrolled_on_account_creation(hooks: Hooks) -> None:
    await hooks.register(topics.ENROLLED)

    await hooks.session("ada")

    [event] = await hooks.of(topics.ENROLLED)
    assert event["payload"]["kind"] == "customer.enrolled"
    enrolled = properties(event)
    assert enrolled["customer"]["merchant_id"] == "ada" and enrolled["customer"]["enrolled"]
    assert enrolled["enrollment"]["trigger"] == "account_creation"


async def test_a_guest_who_joins_later_is_announced_as_enrolled_by_opt_in(hooks: Hooks) -> None:
    await hooks.register(topics.ENROLLED)
    await hooks.order("o1", "grace", "10.00", guest=True)  # a guest checkout: a guest, not a member

    await hooks.headless("/customers/grace/enroll", {})

    [event] = await hooks.of(topics.ENROLLED)
    assert properties(event)["enrollment"]["trigger"] == "opt_in"


async def test_an_order_announces_its_points_with_the_transaction_and_the_rewards_on_offer(
    hooks: Hooks,
) -> None:
    await hooks.session("ada")
    await hooks.register(topics.POINTS_EARNED)

    await hooks.order("o1", "ada", "42.00")

    [event] = await hooks.of(topics.POINTS_EARNED)
    earned = properties(event)
    assert earned["transaction"]["points_approved"] == 420
    assert earned["transaction"]["resource"] == "activity"
    assert earned["customer"]["points_approved"] == 520  # 100 for joining, 420 for the order
    assert [reward["id"] for reward in earned["available_rewards"]] == [1, 2]


async def test_an_order_completes_the_purchase_rule_with_the_order_and_its_points(
    hooks: Hooks,
) -> None:
    await hooks.session("ada")
    await hooks.register(topics.RULE_COMPLETED)

    await hooks.order("o1", "ada", "42.00")

    [event] = await hooks.of(topics.RULE_COMPLETED)
    completed = properties(event)
    assert completed["activity"]["rule"]["name"] == "purchase"
    assert completed["order"]["merchant_id"] == "o1"
    assert completed["order"]["points_earned"] == 420


async def test_a_tracked_activity_completes_its_rule_showing_what_it_earned(hooks: Hooks) -> None:
    await hooks.session("ada")
    await hooks.register(topics.RULE_COMPLETED)
    body = {"name": "write_review", "customer_id": "ada", "customer_email": "ada@example.com"}

    await hooks.admin("POST", "/v2/activities", 201, json={**body, "merchant_id": "review-1"})

    [event] = await hooks.of(topics.RULE_COMPLETED)
    activity = properties(event)["activity"]
    assert (activity["merchant_id"], activity["value"]) == ("review-1", 75)
    assert properties(event)["order"] is None


async def test_a_headless_rule_completion_is_announced(hooks: Hooks) -> None:
    await hooks.session("ada")
    await hooks.register(topics.RULE_COMPLETED)

    await hooks.headless(
        "/rules/clickthrough/complete", {"customer_merchant_id": "ada", "rule_id": 4}
    )

    [event] = await hooks.of(topics.RULE_COMPLETED)
    assert properties(event)["activity"]["rule"] == {
        "id": 4,
        "name": "clickthrough",
        "title": "Read the guide",
    }


async def test_crossing_a_tier_bound_announces_the_upgrade_with_both_tiers(hooks: Hooks) -> None:
    await hooks.session("ada")
    await hooks.register(topics.TIER_UPGRADED, topics.TIER_DOWNGRADED)

    await hooks.order("o1", "ada", "100.00")  # 100 + 1,000 points: Silver from 1,000

    [event] = await hooks.events()
    assert event["topic"] == topics.TIER_UPGRADED
    changed = properties(event)
    assert (changed["previous_tier"]["name"], changed["new_tier"]["name"]) == ("Bronze", "Silver")
    assert changed["previous_tier"]["upper_bound"] == "1000"
    assert changed["customer"]["loyalty_tier_membership"]["loyalty_tier"]["name"] == "Silver"


async def test_entering_the_first_tier_announces_no_tier_change(hooks: Hooks) -> None:
    await hooks.register(topics.TIER_UPGRADED, topics.TIER_DOWNGRADED)

    await hooks.session("ada")  # a new member enters Bronze

    assert await hooks.events() == []


async def test_a_voucher_claim_is_announced_with_its_code_and_discount(hooks: Hooks) -> None:
    await hooks.session("ada")
    await hooks.order("o1", "ada", "50.00")
    await hooks.register(topics.CLAIMED_REWARD)

    claimed = await hooks.admin(
        "POST", "/v2/customers/ada/claimed_rewards", 201, json={"reward_id": 1}
    )

    [event] = await hooks.of(topics.CLAIMED_REWARD)
    reward = properties(event)
    code = claimed["claimed_reward"]["redeemable"]["code"]
    assert (reward["reward_type"], reward["voucher_code"]) == ("voucher", code)
    assert (reward["discount_type"], reward["discount_amount"]) == ("flat", 5.0)
    assert reward["customer"]["points_spent"] == 500


async def test_a_gift_card_claim_is_announced_with_its_balance(hooks: Hooks) -> None:
    await hooks.session("ada")
    await hooks.order("o1", "ada", "80.00")
    await hooks.register(topics.CLAIMED_REWARD)

    await hooks.admin("POST", "/v2/customers/ada/claimed_rewards", 201, json={"reward_id": 2})

    [event] = await hooks.of(topics.CLAIMED_REWARD)
    reward = properties(event)
    assert (reward["reward_type"], reward["discount_amount"]) == ("gift_card", 10.0)


async def test_a_friends_first_paid_order_announces_the_completed_referral(hooks: Hooks) -> None:
    await hooks.session("ada")
    customers = await hooks.admin("GET", "/v2/customers", 200)
    code = customers["customers"][0]["referral_id"]
    await hooks.headless(
        "/referrals/referee_incentive",
        {
            "referral_id": code,
            "referee_email": "bob@example.com",
            "ip_address": "203.0.113.9",
            "user_agent": None,
        },
    )
    await hooks.register(topics.REFERRAL_COMPLETE)

    await hooks.order("o1", "bob", "30.00", referral_id=code)

    [event] = await hooks.of(topics.REFERRAL_COMPLETE)
    referral = properties(event)
    assert referral["referring_customer"]["merchant_id"] == "ada"
    assert referral["referred_customer"]["merchant_id"] == "bob"
    assert referral["activity"]["rule"]["name"] == "referral"
    assert referral["order"]["merchant_id"] == "o1"
    assert referral["referring_customer"]["points_approved"] == 600  # joining, and the referral


async def test_an_unsubscribe_is_announced_with_the_customer_of_that_address(
    hooks: Hooks,
) -> None:
    await hooks.session("ada")
    await hooks.register(topics.UNSUBSCRIBE)

    await hooks.admin(
        "POST", "/v2/loyalty_emails/unsubscribes", 201, json={"email": "ADA@example.com"}
    )
    await hooks.admin(
        "POST", "/v2/loyalty_emails/unsubscribes", 200, json={"email": "ada@example.com"}
    )

    [event] = await hooks.events()
    assert event["payload"] == {"email": "ADA@example.com", "id": "ada"}


async def test_one_request_sends_one_customer_update_showing_the_customer_as_it_left_them(
    hooks: Hooks,
) -> None:
    await hooks.session("ada")
    await hooks.register(topics.CUSTOMERS_UPDATE)

    await hooks.order("o1", "ada", "100.00")  # points, and a new tier

    [event] = await hooks.events()
    customer = event["customer"]
    assert customer["points_approved"] == 1100
    assert customer["loyalty_tier_membership"]["loyalty_tier"]["name"] == "Silver"


async def test_blocking_a_customer_sends_a_customer_update_and_asking_again_does_not(
    hooks: Hooks,
) -> None:
    await hooks.session("ada")
    await hooks.register(topics.CUSTOMERS_UPDATE)
    change = {"customer": {"blocked": True}}

    await hooks.admin("PATCH", "/v2/customers/ada", 200, json=change)
    await hooks.admin("PATCH", "/v2/customers/ada", 200, json=change)

    [event] = await hooks.events()
    assert event["customer"]["blocked"] is True


async def test_points_added_by_the_merchant_send_a_customer_update(hooks: Hooks) -> None:
    await hooks.session("ada")
    await hooks.register(topics.CUSTOMERS_UPDATE, topics.POINTS_EARNED)

    await hooks.admin("POST", "/v2/customers/ada/points", 201, json={"points": 30})

    assert [e["customer"]["points_approved"] for e in await hooks.events()] == [130]


async def test_a_topic_no_webhook_hears_is_not_sent(hooks: Hooks) -> None:
    await hooks.register(topics.CLAIMED_REWARD)

    await hooks.session("ada")
    await hooks.order("o1", "ada", "100.00")

    assert await hooks.events() == []
