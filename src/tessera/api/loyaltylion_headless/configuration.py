"""The contract's SiteConfiguration: the program as one channel, language, currency and
country see it. Plain data built from the program file; every amount is ``{amount, formatted}``.
"""

from __future__ import annotations

import msgspec

from tessera.loyalty.eligibility import priced_in
from tessera.loyalty.money import percentage
from tessera.loyalty.program import LoyaltyProgram, Variant, rule_limit, variant_of
from tessera.programs.configuration import (
    ActiveSubscriptionDiscountVoucherReward,
    ActiveSubscriptionProductReward,
    CartDiscountVoucherReward,
    CartVariableDiscountVoucherReward,
    ClickthroughRule,
    CollectionDiscountVoucherReward,
    CustomReward,
    CustomRule,
    FacebookLikeRule,
    FreeShippingVoucherReward,
    GiftCardReward,
    InstagramFollowRule,
    Money,
    ProductCartReward,
    ProductDiscountVoucherReward,
    PurchaseRule,
    ReferralRule,
    Reward,
    RewardSpec,
    Rule,
    TiktokFollowRule,
    TwitterFollowRule,
    localized,
    money_in,
)

from . import configuration_schemas as out
from .texts import per_currency_text, points_text
from .tier_configuration import tier_configuration
from .view import View


def limit_of(entry: Rule | Reward) -> out.LimitOut | None:
    limit = entry.limit if isinstance(entry, RewardSpec) else rule_limit(entry)
    if limit is None:
        return None
    interval = None if limit.interval == "forever" else limit.interval
    return out.LimitOut(count=limit.count, interval=interval)


# --- rules -------------------------------------------------------------------------------------


def rule_properties(rule: Rule) -> out.RuleProperties | None:
    if isinstance(rule, CustomRule):
        return out.CustomRuleProperties(name=rule.name)
    if isinstance(rule, ClickthroughRule):
        return out.ClickthroughRuleProperties(destination_url=rule.destination_url)
    if isinstance(rule, ReferralRule):
        return out.ReferralRuleProperties(trigger=rule.trigger)
    if isinstance(rule, FacebookLikeRule):
        return out.FacebookLikeRuleProperties(facebook_like_url=rule.facebook_like_url)
    if isinstance(rule, TwitterFollowRule):
        return out.TwitterFollowRuleProperties(twitter_handle=rule.twitter_handle)
    if isinstance(rule, InstagramFollowRule):
        return out.InstagramFollowRuleProperties(instagram_handle=rule.instagram_handle)
    if isinstance(rule, TiktokFollowRule):
        return out.TiktokFollowRuleProperties(tiktok_handle=rule.tiktok_handle)
    return None


def rule_variant(rule: Rule, variant: Variant, view: View) -> out.RuleVariantOut:
    per_unit = rule.per_currency_unit if isinstance(rule, PurchaseRule) else None
    short = (
        per_currency_text(variant.points, per_unit, view.currency, view.language)
        if per_unit is not None
        else points_text(variant.points, view.language)
    )
    return out.RuleVariantOut(
        tier_id=variant.tier_id,
        title=variant.title,
        description=variant.description,
        enabled=variant.enabled,
        result=out.PointsResult(per_currency_unit=per_unit, points=variant.points),
        result_short_text=short,
    )


def rule_out(rule: Rule, variants: list[out.RuleVariantOut]) -> out.RuleOut:
    properties = rule_properties(rule)
    return out.RuleOut(
        id=rule.id,
        kind=rule.kind,
        limit=limit_of(rule),
        properties=msgspec.UNSET if properties is None else properties,
        variants=variants,
    )


def rule_shown(rule: Rule, view: View) -> bool:
    return view.channel in rule.channels


# --- rewards -----------------------------------------------------------------------------------


def discount_value(discount_type: str, value: Money | None, view: View) -> out.Discount | None:
    if discount_type == "percentage":
        number = value if not isinstance(value, dict) else money_in(value, view.currency)
        return None if number is None else percentage(float(number), view.language)
    return view.money(value)


def reward_properties(reward: Reward, view: View) -> out.RewardProperties:
    if isinstance(reward, GiftCardReward):
        return out.GiftCardProperties(initial_balance=view.money(reward.initial_balance))
    if isinstance(reward, CartDiscountVoucherReward):
        return out.CartDiscountVoucherProperties(
            discount_type=reward.discount_type,
            discount=discount_value(reward.discount_type, reward.discount, view),
            applies_to_order_type=reward.applies_to_order_type,
            recurring_cycle_limit=reward.recurring_cycle_limit,
            supports_active_subscriptions=False,
            minimum_spend=view.money(reward.minimum_spend),
        )
    if isinstance(reward, CartVariableDiscountVoucherReward):
        return out.CartVariableDiscountVoucherProperties(
            minimum_discount=view.money(reward.minimum_discount),
            maximum_discount=view.money(reward.maximum_discount),
            minimum_spend_before_discount=view.money(reward.minimum_spend_before_discount),
            minimum_spend_after_discount=view.money(reward.minimum_spend_after_discount),
            applies_to_order_type=reward.applies_to_order_type,
        )
    if isinstance(reward, FreeShippingVoucherReward):
        return out.FreeShippingVoucherProperties(max_shipping=view.money(reward.max_shipping))
    if isinstance(reward, ProductDiscountVoucherReward):
        return out.ProductDiscountVoucherProperties(
            product=out.DiscountedProduct(
                id=reward.product_id, image_url=reward.image_url, variant_id=reward.variant_id
            ),
            discount=percentage(reward.percentage, view.language),
        )
    if isinstance(reward, CollectionDiscountVoucherReward):
        return out.CollectionDiscountVoucherProperties(
            collection=out.CollectionOut(
                id=reward.collection.id,
                title=localized(reward.collection.title, view.language) or None,
                url=reward.collection.url,
            ),
            discount_type=reward.discount_type,
            discount=discount_value(reward.discount_type, reward.discount, view),
            minimum_spend=view.money(reward.minimum_spend),
        )
    if isinstance(reward, ActiveSubscriptionDiscountVoucherReward):
        return out.ActiveSubscriptionDiscountVoucherProperties(
            discount_type=reward.discount_type,
            discount=discount_value(reward.discount_type, reward.discount, view),
            recurring_cycle_limit=reward.recurring_cycle_limit,
        )
    if isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward):
        product = reward.product
        shown = out.ProductProperties(
            product=out.ProductOut(
                id=product.id,
                handle=product.handle,
                title=localized(product.title, view.language),
                url=product.url,
                image_url=product.image_url,
                variants=[
                    out.ProductVariantOut(
                        id=variant.id,
                        title=localized(variant.title, view.language) or None,
                        inventory_count=variant.inventory_count,
                        sort_key=index,
                    )
                    for index, variant in enumerate(product.variants)
                ],
            )
        )
        if isinstance(reward, ProductCartReward):
            shown.max_redemptions_per_cart = reward.max_redemptions_per_cart
            shown.cart_requirements = out.CartRequirementsOut(
                minimum_cart_total=view.money(reward.cart_requirements.minimum_cart_total),
                minimum_line_item_count=reward.cart_requirements.minimum_line_item_count,
            )
        return shown
    assert isinstance(reward, CustomReward)
    if reward.fulfillment == "voucher":
        return out.VoucherCustomProperties()
    return out.StoreFulfilledCustomProperties(
        fulfillment_method=reward.fulfillment,
        fulfillment_webhook_url=reward.fulfillment_webhook_url,
    )


def reward_variant(reward: Reward, variant: Variant, view: View) -> out.RewardVariantOut:
    cost: out.FixedCost | out.VariableCost
    if isinstance(reward, CartVariableDiscountVoucherReward):
        cost = out.VariableCost(unit="discount_amount", points_per_unit=variant.points)
        cost_text = per_currency_text(variant.points, 1, view.currency, view.language)
    else:
        cost = out.FixedCost(points=variant.points)
        cost_text = points_text(variant.points, view.language)
    return out.RewardVariantOut(
        tier_id=variant.tier_id,
        title=variant.title,
        description=variant.description,
        enabled=variant.enabled,
        cost=cost,
        cost_text=cost_text,
    )


def reward_out(reward: Reward, view: View, variants: list[out.RewardVariantOut]) -> out.RewardOut:
    return out.RewardOut(
        id=reward.id,
        kind=reward.kind,
        limit=limit_of(reward),
        properties=reward_properties(reward, view),
        variants=variants,
    )


def reward_shown(reward: Reward, view: View) -> bool:
    if view.channel not in reward.channels or not priced_in(reward, view.currency):
        return False
    return view.country is None or reward.countries is None or view.country in reward.countries


# --- the rest ---------------------------------------------------------------------------------


def referee_incentive(program: LoyaltyProgram, view: View) -> out.RefereeIncentiveOut | None:
    incentive = program.document.referee_incentive
    if incentive is None:
        return None
    shown = out.RefereeIncentiveOut(
        minimum_spend=view.money(incentive.minimum_spend),
        incentive_text=localized(incentive.text, view.language),
        kind=incentive.kind,
    )
    if incentive.kind == "cart_discount_voucher":
        discount = discount_value(incentive.discount_type, incentive.discount, view)
        if discount is None:
            return None
        shown.discount_kind = incentive.discount_type
        shown.discount = discount
        maximum = view.money(incentive.maximum_discount)
        if maximum is not None:
            shown.maximum_discount = maximum
    return shown


def site_configuration(program: LoyaltyProgram, view: View) -> out.SiteConfigurationOut:
    """The contract's SiteConfiguration."""
    tier_ids = program.tier_ids()
    rules = [
        rule_out(
            rule,
            [
                rule_variant(rule, variant_of(rule, tier_id, view.language), view)
                for tier_id in tier_ids
            ],
        )
        for rule in program.document.rules
        if rule_shown(rule, view)
    ]
    rewards = [
        reward_out(
            reward,
            view,
            [
                reward_variant(reward, variant_of(reward, tier_id, view.language), view)
                for tier_id in tier_ids
            ],
        )
        for reward in program.document.rewards
        if reward_shown(reward, view)
    ]
    incentive = referee_incentive(program, view)
    return out.SiteConfigurationOut(
        channel=view.channel,
        currency=view.currency,
        language=view.language,
        program=out.ProgramName(name=program.program.name),
        tier_configuration=tier_configuration(program, view),
        rules=rules,
        rewards=rewards,
        referee_incentive=msgspec.UNSET if incentive is None else incentive,
    )


def configuration_bytes(program: LoyaltyProgram, view: View) -> bytes:
    """The encoded SiteConfiguration, built once per program version and view."""
    key = ("headless-configuration", view.channel, view.language, view.currency, view.country)
    found: bytes | None = program.memo.get(key)
    if found is None:
        found = program.memo[key] = msgspec.json.encode(site_configuration(program, view))
    return found
