"""A program's configuration: rules (ways to earn), rewards (ways to spend), tiers, the referee
incentive and the auto-enrol setting.

Written by people as a *program file* (YAML or JSON, documented in docs/program-file.md), checked
here against the schema these Structs define, and stored as versioned documents: applying a file
adds a version, the newest version is in force, earlier ones are kept. Texts are maps of language
to text (``{en: Join, de: Beitreten}``), shown in the request's language with fallbacks; amounts of
money are a number (the same in every currency) or a map of currency to amount.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import sqlalchemy as sa
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.store.tables import program_configurations

Text = dict[str, str]
Points = Annotated[int, msgspec.Meta(ge=0)]
Id = Annotated[int, msgspec.Meta(ge=1)]
Amount = Annotated[float, msgspec.Meta(ge=0)]
# 5 (every currency) or {usd: 5, eur: 5, sek: 50}: a currency missing from a map hides the entry.
Money = Amount | dict[str, Amount]
Channel = Literal["web", "pos", "mobile"]
CHANNELS: tuple[Channel, ...] = ("web", "pos", "mobile")
Interval = Literal["day", "week", "month", "year", "forever"]
# Whether a completion's points start spendable or wait for the merchant (Update Activity).
Approval = Literal["approved", "pending"]
OrderType = Literal["all", "one_time", "subscription"]


class Struct(
    msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True, kw_only=True
):
    pass


class Limit(Struct, frozen=True):
    """At most ``count`` completions (rules) or claims (rewards) per ``interval``."""

    count: Annotated[int, msgspec.Meta(ge=1)]
    interval: Interval = "forever"


class TierVariant(Struct, frozen=True):
    """What changes for members of one tier; anything left out is the entry's own value."""

    tier_id: Id
    enabled: bool | None = None
    points: Points | None = None
    title: Text | None = None
    description: Text | None = None


# --- rules -------------------------------------------------------------------------------------


class RuleSpec(Struct, tag_field="kind", frozen=True):
    """Fields every rule has. ``points`` is what one completion earns."""

    id: Id
    title: Text
    points: Points
    description: Text = {}
    enabled: bool = True
    channels: list[Channel] = msgspec.field(default_factory=lambda: list(CHANNELS))
    limit: Limit | None = None
    tier_variants: list[TierVariant] = []
    # Left out: the kind's own default (``pending`` for reviews, ``approved`` otherwise).
    approval: Approval | None = None

    kind: ClassVar[str]
    # Rules a customer completes by calling a headless rule-completion endpoint.
    completable: ClassVar[bool] = False
    default_approval: ClassVar[Approval] = "approved"

    @property
    def initial_state(self) -> Approval:
        """The state a completion's points start in."""
        return self.approval or self.default_approval


class JoinProgramRule(RuleSpec, tag="join_program", kw_only=True, frozen=True):
    kind: ClassVar[str] = "join_program"


class PageviewRule(RuleSpec, tag="pageview", kw_only=True, frozen=True):
    """Fires from Initialize Session on channel web when ``session.page_url`` matches ``page_url``:
    a shell-style pattern (``*`` any characters), or any page when left out."""

    page_url: str | None = None
    kind: ClassVar[str] = "pageview"


class PurchaseRule(RuleSpec, tag="purchase", kw_only=True, frozen=True):
    """``points`` per ``per_currency_unit`` spent: 5 and 1 are 5 points per $1."""

    per_currency_unit: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    kind: ClassVar[str] = "purchase"


class BirthdayRule(RuleSpec, tag="birthday", kw_only=True, frozen=True):
    kind: ClassVar[str] = "birthday"


class NewsletterSignupRule(RuleSpec, tag="newsletter_signup", kw_only=True, frozen=True):
    kind: ClassVar[str] = "newsletter_signup"


class ClickthroughRule(RuleSpec, tag="clickthrough", kw_only=True, frozen=True):
    destination_url: str
    kind: ClassVar[str] = "clickthrough"
    completable: ClassVar[bool] = True


class CustomRule(RuleSpec, tag="custom", kw_only=True, frozen=True):
    """Completed through the custom rule endpoint, or - with ``trigger: mobile_session`` - the
    mobile-app rule, completed by Initialize Session on channel mobile."""

    name: str
    trigger: Literal["api", "mobile_session"] = "api"
    kind: ClassVar[str] = "custom"
    completable: ClassVar[bool] = True


class ReviewRule(RuleSpec, tag="review", kw_only=True, frozen=True):
    """Completed by an activity ``$review`` (Admin API); its points wait for the merchant's
    moderation unless ``approval: approved``."""

    kind: ClassVar[str] = "review"
    default_approval: ClassVar[Approval] = "pending"


class ReferralRule(RuleSpec, tag="referral", kw_only=True, frozen=True):
    trigger: Literal["any_purchase", "qualifying_purchase"] = "any_purchase"
    kind: ClassVar[str] = "referral"


class LoyaltyPassInstallRule(RuleSpec, tag="loyalty_pass_install", kw_only=True, frozen=True):
    kind: ClassVar[str] = "loyalty_pass_install"


class FacebookLikeRule(RuleSpec, tag="facebook_like", kw_only=True, frozen=True):
    facebook_like_url: str
    kind: ClassVar[str] = "facebook_like"
    completable: ClassVar[bool] = True


class TwitterFollowRule(RuleSpec, tag="twitter_follow", kw_only=True, frozen=True):
    twitter_handle: str
    kind: ClassVar[str] = "twitter_follow"
    completable: ClassVar[bool] = True


class InstagramFollowRule(RuleSpec, tag="instagram_follow", kw_only=True, frozen=True):
    instagram_handle: str
    kind: ClassVar[str] = "instagram_follow"
    completable: ClassVar[bool] = True


class TiktokFollowRule(RuleSpec, tag="tiktok_follow", kw_only=True, frozen=True):
    tiktok_handle: str
    kind: ClassVar[str] = "tiktok_follow"
    completable: ClassVar[bool] = True


Rule = (
    JoinProgramRule
    | PageviewRule
    | PurchaseRule
    | BirthdayRule
    | NewsletterSignupRule
    | ClickthroughRule
    | CustomRule
    | ReviewRule
    | ReferralRule
    | LoyaltyPassInstallRule
    | FacebookLikeRule
    | TwitterFollowRule
    | InstagramFollowRule
    | TiktokFollowRule
)

# --- rewards -----------------------------------------------------------------------------------


class ProductVariant(Struct, frozen=True):
    id: str
    title: Text = {}
    # None: not tracked (always in stock).
    inventory_count: Annotated[int, msgspec.Meta(ge=0)] | None = None


class Product(Struct, frozen=True):
    id: str
    title: Text
    handle: str | None = None
    url: str | None = None
    image_url: str | None = None
    variants: list[ProductVariant] = []


class Collection(Struct, frozen=True):
    id: str
    title: Text = {}
    url: str | None = None


class CartRequirements(Struct, frozen=True):
    minimum_cart_total: Money | None = None
    minimum_line_item_count: Annotated[int, msgspec.Meta(ge=1)] | None = None


class RewardSpec(Struct, tag_field="kind", frozen=True):
    """Fields every reward has. ``points`` is its fixed cost."""

    id: Id
    title: Text
    points: Annotated[int, msgspec.Meta(ge=1)]
    description: Text = {}
    enabled: bool = True
    channels: list[Channel] = msgspec.field(default_factory=lambda: list(CHANNELS))
    # ISO 3166-1 alpha-2 codes; left out: every country.
    countries: list[Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")]] | None = None
    limit: Limit | None = None
    tier_variants: list[TierVariant] = []
    # Days a voucher or gift card stays valid after it is claimed; left out: no expiry.
    expires_after_days: Annotated[int, msgspec.Meta(ge=1)] | None = None

    kind: ClassVar[str]


class CartDiscountVoucherReward(RewardSpec, tag="cart_discount_voucher", kw_only=True, frozen=True):
    """``discount`` is money for ``discount_type: fixed``, a percentage (0-100) otherwise."""

    discount: Money
    discount_type: Literal["fixed", "percentage"] = "fixed"
    minimum_spend: Money | None = None
    applies_to_order_type: OrderType = "all"
    recurring_cycle_limit: Annotated[int, msgspec.Meta(ge=1)] | None = None
    kind: ClassVar[str] = "cart_discount_voucher"


class CartVariableDiscountVoucherReward(
    RewardSpec, tag="cart_variable_discount_voucher", kw_only=True, frozen=True
):
    """Spent at checkout: ``points`` buy one unit (1.00) of discount (a variable cost)."""

    minimum_discount: Money
    maximum_discount: Money
    minimum_spend_before_discount: Money | None = None
    minimum_spend_after_discount: Money | None = None
    applies_to_order_type: OrderType = "all"
    kind: ClassVar[str] = "cart_variable_discount_voucher"


class FreeShippingVoucherReward(RewardSpec, tag="free_shipping_voucher", kw_only=True, frozen=True):
    max_shipping: Money | None = None
    kind: ClassVar[str] = "free_shipping_voucher"


class GiftCardReward(RewardSpec, tag="gift_card", kw_only=True, frozen=True):
    initial_balance: Money
    kind: ClassVar[str] = "gift_card"


class ProductDiscountVoucherReward(
    RewardSpec, tag="product_discount_voucher", kw_only=True, frozen=True
):
    product_id: str
    percentage: Annotated[float, msgspec.Meta(gt=0, le=100)]
    variant_id: str | None = None
    image_url: str | None = None
    kind: ClassVar[str] = "product_discount_voucher"


class CollectionDiscountVoucherReward(
    RewardSpec, tag="collection_discount_voucher", kw_only=True, frozen=True
):
    collection: Collection
    discount: Money
    discount_type: Literal["fixed", "percentage"] = "percentage"
    minimum_spend: Money | None = None
    kind: ClassVar[str] = "collection_discount_voucher"


class ProductCartReward(RewardSpec, tag="product_cart", kw_only=True, frozen=True):
    """A free product added to the shopper's cart, kept only while the cart meets the
    requirements; a redemption left out of its cart is refunded after ``cart_hold_minutes``."""

    product: Product
    max_redemptions_per_cart: Annotated[int, msgspec.Meta(ge=1)] | None = 1
    cart_requirements: CartRequirements = CartRequirements()
    cart_hold_minutes: Annotated[int, msgspec.Meta(ge=1)] = 60
    kind: ClassVar[str] = "product_cart"


class ActiveSubscriptionDiscountVoucherReward(
    RewardSpec, tag="active_subscription_discount_voucher", kw_only=True, frozen=True
):
    """A voucher code for upcoming orders of a subscription the member already has.
    ``discount`` is money for ``discount_type: fixed``, a percentage (0-100) otherwise;
    ``recurring_cycle_limit`` left out: every recurring order. Tessera has no subscription
    platform: the integrator applies the claim's code to the subscription."""

    discount: Money
    discount_type: Literal["fixed", "percentage"] = "fixed"
    recurring_cycle_limit: Annotated[int, msgspec.Meta(ge=1)] | None = None
    kind: ClassVar[str] = "active_subscription_discount_voucher"


class ActiveSubscriptionProductReward(
    RewardSpec, tag="active_subscription_product", kw_only=True, frozen=True
):
    """A free product (the variant the shopper picks) for the next order of a subscription the
    member already has; the integrator adds it on their subscription platform."""

    product: Product
    kind: ClassVar[str] = "active_subscription_product"


class CustomReward(RewardSpec, tag="custom", kw_only=True, frozen=True):
    fulfillment: Literal["manual", "webhook", "voucher"] = "manual"
    fulfillment_webhook_url: str | None = None
    fulfillment_explanation: Text = {}
    kind: ClassVar[str] = "custom"


Reward = (
    CartDiscountVoucherReward
    | CartVariableDiscountVoucherReward
    | FreeShippingVoucherReward
    | GiftCardReward
    | ProductDiscountVoucherReward
    | CollectionDiscountVoucherReward
    | ProductCartReward
    | CustomReward
    | ActiveSubscriptionDiscountVoucherReward
    | ActiveSubscriptionProductReward
)

# --- tiers -------------------------------------------------------------------------------------


class Benefit(Struct, frozen=True):
    id: Id
    label: Text
    secret: bool = False
    details: Text | None = None


class Tier(Struct, frozen=True):
    """Members whose tier measure (points earned, spend or orders in the membership window)
    reaches ``lower_bound`` enter this tier. The first tier's bound must be 0."""

    id: Id
    name: Text
    lower_bound: Money
    hidden: bool = False
    benefit_ids: list[int] = []


class LifetimeMembership(Struct, tag_field="mode", tag="lifetime", frozen=True):
    pass


class RollingMembership(Struct, tag_field="mode", tag="rolling", frozen=True):
    duration_months: Annotated[int, msgspec.Meta(ge=1, le=120)] = 12


class CalendarMembership(Struct, tag_field="mode", tag="calendar", frozen=True):
    starts_on_month: Annotated[int, msgspec.Meta(ge=1, le=12)] = 1
    starts_on_day: Annotated[int, msgspec.Meta(ge=1, le=31)] = 1
    evaluation_months: Annotated[int, msgspec.Meta(ge=1, le=120)] = 12
    windows: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1


class EnrollmentAnniversaryMembership(
    Struct, tag_field="mode", tag="enrollment_anniversary", frozen=True
):
    windows: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1


Membership = (
    LifetimeMembership | RollingMembership | CalendarMembership | EnrollmentAnniversaryMembership
)


class TierSetup(Struct, frozen=True):
    boundary_mode: Literal["points", "spend", "orders"]
    levels: Annotated[list[Tier], msgspec.Meta(min_length=1)]
    membership: Membership = LifetimeMembership()
    benefits: list[Benefit] = []


# --- referrals ---------------------------------------------------------------------------------


class RefereeIncentive(Struct, frozen=True):
    """What a referred friend gets: a voucher on their first order."""

    kind: Literal["cart_discount_voucher", "free_shipping_voucher"]
    text: Text
    discount_type: Literal["fixed", "percentage"] = "percentage"
    discount: Money | None = None
    minimum_spend: Money | None = None
    maximum_discount: Money | None = None


# --- points: approval and expiry ---------------------------------------------------------------


class PointsExpiry(Struct, frozen=True):
    """``inactivity``: a member's whole approved balance expires ``days`` after their last
    earning or spending. ``fixed_age``: approved points expire ``days`` after they were approved,
    oldest first (spending and removals use the oldest points first)."""

    mode: Literal["inactivity", "fixed_age"]
    days: Annotated[int, msgspec.Meta(ge=1, le=3650)]
    # How long before points expire the approaching_points_expiration webhook is sent.
    notify_days_before: Annotated[int, msgspec.Meta(ge=1, le=365)] = 7


class PointsPolicy(Struct, frozen=True):
    # Points earned from an order stay pending this many days, then approve (0: at once); a
    # refund or cancellation before then voids them.
    order_pending_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 0
    expiry: PointsExpiry | None = None


# --- the document ------------------------------------------------------------------------------


class ProgramDocument(Struct, frozen=True):
    auto_enrol: bool = True
    points: PointsPolicy = PointsPolicy()
    rules: list[Rule] = []
    rewards: list[Reward] = []
    tiers: TierSetup | None = None
    referee_incentive: RefereeIncentive | None = None
    # Where referral links point (``?ll_ref_id=<code>`` is added); left out: the site's URL.
    referral_url_base: str | None = None


EMPTY = ProgramDocument()


def localized(text: Text, language: str) -> str:
    """The text in ``language``, its base language, English, or whatever language has one."""
    if language in text:
        return text[language]
    base = language.split("-", 1)[0]
    for candidate in (base, "en"):
        if candidate in text:
            return text[candidate]
    return next(iter(text.values()), "")


def money_in(value: Money | None, currency: str) -> float | None:
    """The amount of ``value`` in ``currency``; None when a currency map leaves it out."""
    if value is None:
        return None
    if isinstance(value, dict):
        found = value.get(currency.lower())
        return None if found is None else float(found)
    return float(value)


def tier_variant(entry: RuleSpec | RewardSpec, tier_id: int | None) -> TierVariant | None:
    if tier_id is None:
        return None
    return next((v for v in entry.tier_variants if v.tier_id == tier_id), None)


# --- validation --------------------------------------------------------------------------------

_CURRENCY = re.compile(r"^[a-z]{3}$")


def program_file_schema() -> dict[str, Any]:
    """The JSON Schema of a program file (``tessera program schema`` prints it)."""
    schema: dict[str, Any] = msgspec.json.schema(ProgramDocument)
    return schema


_validator: Draft202012Validator | None = None


def _schema_errors(data: Any) -> dict[str, str]:
    global _validator
    if _validator is None:
        _validator = Draft202012Validator(program_file_schema())
    details: dict[str, str] = {}
    for error in _validator.iter_errors(data):
        for leaf in _leaves(error):
            for path, message in _describe(leaf):
                details.setdefault(_json_path(path), message)
    return details


def _is_tag_error(error: ValidationError) -> bool:
    return error.validator in ("enum", "const") and list(error.relative_path) in (
        ["kind"],
        ["mode"],
    )


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For a tagged union (anyOf), the errors of the branch whose ``kind``/``mode`` matched, so
    that a bad pageview rule is reported as a pageview rule and not against every other kind."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    typed = [
        subs
        for subs in branches.values()
        if not (len(subs) == 1 and subs[0].validator == "type" and not subs[0].relative_path)
    ]
    if len(typed) == 1:
        # ``X | None`` given an object: what is wrong with it as an X, tag errors included.
        return [leaf for sub in typed[0] for leaf in _leaves(sub)]
    matching = [subs for subs in branches.values() if not any(_is_tag_error(e) for e in subs)]
    if len(matching) > 1:
        # ``X | None`` and ``number | map``: drop the branches of the wrong type altogether.
        matching = [
            subs
            for subs in matching
            if not (len(subs) == 1 and subs[0].validator == "type" and not subs[0].relative_path)
        ]
    if len(matching) == 1:
        return [leaf for sub in matching[0] for leaf in _leaves(sub)]
    return [error]


def _json_path(parts: list[str | int]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _describe(error: ValidationError) -> list[tuple[list[str | int], str]]:
    path: list[str | int] = list(error.absolute_path)
    instance = error.instance
    match error.validator:
        case "additionalProperties":
            known = (
                set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
            )
            extra = [k for k in instance if k not in known] if isinstance(instance, dict) else []
            return [([*path, str(k)], "is not a known field") for k in extra]
        case "required":
            missing = error.message.split("'")[1] if "'" in error.message else "?"
            return [([*path, missing], "is required")]
        case "anyOf" | "oneOf":
            if isinstance(instance, dict):
                for tag in ("kind", "mode"):
                    if tag in instance:
                        return [([*path, tag], f"{instance[tag]!r} is not a known {tag}")]
            return [(path, "is not any of the allowed shapes")]
        case _:
            return [(path, error.message)]


def parse_document(data: Any) -> ProgramDocument:
    """Validate a decoded program file. Errors name the path of every bad field."""
    try:
        document = msgspec.convert(data, ProgramDocument)
    except msgspec.ValidationError as exc:
        details = _schema_errors(data)
        if not details:
            message = str(exc)
            path = "$"
            if " - at `" in message:
                path = message.rsplit(" - at `", 1)[-1].rstrip("`")
                message = message.split(" - at `")[0]
            details = {path: message}
        raise Invalid("Invalid program file", details) from None
    details = _semantic_errors(document)
    if details:
        raise Invalid("Invalid program file", details)
    return document


def _semantic_errors(document: ProgramDocument) -> dict[str, str]:
    """What a schema cannot say: unique ids, references between entries, sensible amounts."""
    details: dict[str, str] = {}
    tier_ids: set[int] = set()
    if document.tiers is not None:
        tiers = document.tiers
        benefit_ids = _unique(details, "$.tiers.benefits", [b.id for b in tiers.benefits])
        tier_ids = _unique(details, "$.tiers.levels", [t.id for t in tiers.levels])
        previous = -1.0
        for index, tier in enumerate(tiers.levels):
            where = f"$.tiers.levels[{index}]"
            _check_text(details, f"{where}.name", tier.name)
            for benefit_id in tier.benefit_ids:
                if benefit_id not in benefit_ids:
                    details[f"{where}.benefit_ids"] = f"benefit {benefit_id} is not defined"
            _check_money(details, f"{where}.lower_bound", tier.lower_bound)
            bound = _any_amount(tier.lower_bound)
            if tiers.boundary_mode != "spend" and (
                isinstance(tier.lower_bound, dict) or bound != int(bound)
            ):
                details[f"{where}.lower_bound"] = "must be a whole number for this boundary mode"
            if index == 0 and bound != 0:
                details[f"{where}.lower_bound"] = "the first tier must start at 0"
            elif bound <= previous:
                details[f"{where}.lower_bound"] = "must be above the previous tier's bound"
            previous = bound
        for index, benefit in enumerate(tiers.benefits):
            _check_text(details, f"$.tiers.benefits[{index}].label", benefit.label)
    _unique(details, "$.rules", [rule.id for rule in document.rules])
    for index, rule in enumerate(document.rules):
        where = f"$.rules[{index}]"
        _check_text(details, f"{where}.title", rule.title)
        _check_entry(details, where, rule.channels, rule.tier_variants, tier_ids)
    _check_custom_names(details, document.rules)
    mobile = [r for r in document.rules if isinstance(r, CustomRule) and r.trigger != "api"]
    if len(mobile) > 1:
        details["$.rules"] = "at most one custom rule may have trigger: mobile_session"
    _unique(details, "$.rewards", [reward.id for reward in document.rewards])
    for index, reward in enumerate(document.rewards):
        where = f"$.rewards[{index}]"
        _check_text(details, f"{where}.title", reward.title)
        _check_entry(details, where, reward.channels, reward.tier_variants, tier_ids)
        for name in ("discount", "minimum_spend", "max_shipping", "initial_balance"):
            value = getattr(reward, name, None)
            if value is not None:
                _check_money(details, f"{where}.{name}", value)
        if (
            getattr(reward, "discount_type", None) == "percentage"
            and _any_amount(getattr(reward, "discount", 0)) > 100
        ):
            details[f"{where}.discount"] = "a percentage must be at most 100"
        if (
            isinstance(reward, ProductCartReward | ActiveSubscriptionProductReward)
            and not reward.product.variants
        ):
            details[f"{where}.product.variants"] = "needs at least one variant"
    incentive = document.referee_incentive
    if incentive is not None:
        _check_text(details, "$.referee_incentive.text", incentive.text)
        if incentive.kind == "cart_discount_voucher" and incentive.discount is None:
            details["$.referee_incentive.discount"] = "is required for a cart_discount_voucher"
    return details


CUSTOM_NAME_LENGTH = 100


def _check_custom_names(details: dict[str, str], rules: list[Rule]) -> None:
    """A custom rule's ``name`` is its identifier: what an activity names it by."""
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if not isinstance(rule, CustomRule):
            continue
        where = f"$.rules[{index}].name"
        name = rule.name
        if not name.strip() or name != name.strip():
            details[where] = "must not be empty or start or end with spaces"
        elif name.startswith("$"):
            details[where] = "must not start with $ (built-in activity names do)"
        elif len(name) > CUSTOM_NAME_LENGTH or "\x00" in name:
            details[where] = f"must be at most {CUSTOM_NAME_LENGTH} characters, without NUL"
        elif name in seen:
            details[where] = f"duplicates the custom rule name {name!r}"
        seen.add(name)


def _unique(details: dict[str, str], where: str, ids: list[int]) -> set[int]:
    seen: set[int] = set()
    for index, entry_id in enumerate(ids):
        if entry_id in seen:
            details[f"{where}[{index}].id"] = f"duplicates id {entry_id}"
        seen.add(entry_id)
    return seen


def _check_text(details: dict[str, str], where: str, text: Text) -> None:
    if not text or not any(value.strip() for value in text.values()):
        details[where] = "needs a text in at least one language"


def _check_money(details: dict[str, str], where: str, value: Money) -> None:
    if isinstance(value, dict):
        if not value:
            details[where] = "needs an amount in at least one currency"
        for currency in value:
            if not _CURRENCY.match(currency):
                details[f"{where}.{currency}"] = "must be a lowercase ISO 4217 currency code"


def _any_amount(value: Money) -> float:
    return float(next(iter(value.values()), 0) if isinstance(value, dict) else value)


def _check_entry(
    details: dict[str, str],
    where: str,
    channels: list[Channel],
    variants: list[TierVariant],
    tier_ids: set[int],
) -> None:
    if not channels:
        details[f"{where}.channels"] = "needs at least one channel"
    elif len(set(channels)) != len(channels):
        details[f"{where}.channels"] = "lists a channel twice"
    seen: set[int] = set()
    for index, variant in enumerate(variants):
        if variant.tier_id not in tier_ids:
            details[f"{where}.tier_variants[{index}].tier_id"] = (
                f"tier {variant.tier_id} is not defined in tiers.levels"
            )
        if variant.tier_id in seen:
            details[f"{where}.tier_variants[{index}].tier_id"] = "appears twice"
        seen.add(variant.tier_id)


# --- storage -----------------------------------------------------------------------------------

_applied: list[Callable[[int], None]] = []


def on_apply(callback: Callable[[int], None]) -> None:
    """Call ``callback(program_id)`` whenever this process applies a program version (caches of
    the program in force re-check at once; other processes see it within their own bound)."""
    _applied.append(callback)


async def newest_version(conn: AsyncConnection, program_id: int) -> int:
    """The number of the program's newest version; 0 before the first apply."""
    found = await conn.scalar(
        sa.select(sa.func.max(program_configurations.c.version)).where(
            program_configurations.c.program_id == program_id
        )
    )
    return int(found or 0)


async def apply_document(conn: AsyncConnection, program_id: int, document: ProgramDocument) -> int:
    """Store ``document`` as the program's newest version and return that version number.

    Atomic with the caller's transaction; two concurrent applies cannot both get the same
    version, the unique (program_id, version) constraint refuses the second.
    """
    version = await newest_version(conn, program_id) + 1
    await conn.execute(
        program_configurations.insert().values(
            program_id=program_id,
            version=version,
            document=msgspec.to_builtins(document),
            created_at=utcnow(),
        )
    )
    for callback in _applied:
        callback(program_id)
    return version


async def current_version(conn: AsyncConnection, program_id: int) -> tuple[int, ProgramDocument]:
    row = (
        await conn.execute(
            sa.select(program_configurations.c.version, program_configurations.c.document)
            .where(program_configurations.c.program_id == program_id)
            .order_by(program_configurations.c.version.desc())
            .limit(1)
        )
    ).one_or_none()
    if row is None:
        return 0, EMPTY
    return int(row.version), msgspec.convert(row.document, ProgramDocument)


async def current_document(conn: AsyncConnection, program_id: int) -> ProgramDocument:
    return (await current_version(conn, program_id))[1]


def load_program_file(text: str, name: str = "program file") -> ProgramDocument:
    """Decode a YAML or JSON program file (JSON is YAML) and validate it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise Invalid(f"{name} is not valid YAML or JSON{where}") from None
    if not isinstance(data, dict):
        raise Invalid("Invalid program file", {"$": "must be a mapping (an object)"})
    return parse_document(data)


async def apply_program_file(
    conn: AsyncConnection, program_id: int, document: ProgramDocument
) -> int:
    from tessera.programs.sites import get_program

    await get_program(conn, program_id)
    return await apply_document(conn, program_id, document)


async def program_file_version(
    conn: AsyncConnection, program_id: int, version: int | None = None
) -> tuple[int, dict[str, Any]]:
    """A stored version as plain data (the newest when ``version`` is None)."""
    from tessera.programs.sites import get_program

    await get_program(conn, program_id)
    query = sa.select(program_configurations.c.version, program_configurations.c.document).where(
        program_configurations.c.program_id == program_id
    )
    if version is not None:
        query = query.where(program_configurations.c.version == version)
    row = (
        await conn.execute(query.order_by(program_configurations.c.version.desc()).limit(1))
    ).one_or_none()
    if row is None:
        raise NotFound("program configuration", f"Program {program_id} has no version {version}")
    return int(row.version), dict(row.document)
