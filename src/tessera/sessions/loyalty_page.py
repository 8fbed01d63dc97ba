"""The Loyalty Page's data: what a WebView session shows, assembled once for the web layer.

This is the single place that reads a program's configuration for the page; the web layer only
formats and renders the ``LoyaltyPage`` it gets. Texts are picked in the session's language
here; numbers and money stay numbers (formatting is a matter of the page's locale).

Everything is the loyalty engine's: the member's variant of each rule and reward for their tier
(``variant_of``), what the ``mobile`` channel offers (``offer_for``), balances, tier standing,
claims and history (``member_snapshot``), and redemption (``rewards.redeem``, under the
customer's write lock), exactly as the Headless API uses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import find_customer, get_or_create_customer
from tessera.kit.clock import utcnow
from tessera.kit.errors import Conflict, NotFound
from tessera.loyalty import claims, members, rewards
from tessera.loyalty.eligibility import MemberFacts, offer_for, reward_refusal
from tessera.loyalty.members import enrol
from tessera.loyalty.program import LoyaltyProgram, load_program, variant_of
from tessera.loyalty.snapshot import MemberSnapshot, member_snapshot
from tessera.programs.configuration import (
    ActiveSubscriptionProductReward,
    CartVariableDiscountVoucherReward,
    ProductCartReward,
    Reward,
    money_in,
)
from tessera.programs.sites import get_site
from tessera.sessions.webview import Visit, WebviewSession, open_webview_session

# The engine's sales channel for what happens in a WebView: it lives inside the merchant's app.
# The session's own ``channel`` is the merchant's app name ("my-app.ios"), not an engine channel.
WEBVIEW_CHANNEL = "mobile"

# How much of the past the page lists.
HISTORY_SHOWN = 10
CLAIMS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class EarnRule:
    id: int
    kind: str
    title: str
    description: str
    points: int
    # "5 points per $1": the amount of the session's currency that earns ``points``.
    per_currency_unit: float | None


# Why a reward shown on a member's page has no Redeem button (None: it has one).
RewardBlock = str  # "insufficient_points" | "limit_reached" | "at_checkout" | "in_cart" | ...


@dataclass(frozen=True, slots=True)
class RewardOffer:
    id: int
    kind: str
    title: str
    description: str
    points: int
    # For a customer's page: can they redeem it now, and how many points short are they.
    affordable: bool
    points_short: int
    blocked_by: RewardBlock | None = None

    @property
    def redeemable(self) -> bool:
        return self.blocked_by is None


@dataclass(frozen=True, slots=True)
class TierProgress:
    name: str
    # "points", "spend" or "orders": what the tiers measure.
    mode: str
    measure: float
    next_name: str | None
    next_bound: float | None
    needed: float | None
    valid_until: datetime | None


@dataclass(frozen=True, slots=True)
class HistoryItem:
    kind: str
    label: str
    points: int
    at: datetime
    # Entered-tier entries name the tier; the page words them ("Entered Gold tier").
    tier_name: str | None = None
    # The ledger state: "pending" points are not spendable yet, "void" ones never will be.
    state: str = "approved"


@dataclass(frozen=True, slots=True)
class ClaimedReward:
    id: int
    title: str
    code: str | None
    points: int
    claimed_at: datetime
    expires_at: datetime | None
    fulfillment_explanation: str | None


@dataclass(frozen=True, slots=True)
class PageCustomer:
    merchant_id: str
    email: str
    points: int
    # "enrolled", "guest" (known, not a member) or "blocked".
    state: str = "enrolled"
    pending: int = 0  # points earned, not spendable yet (an order's approval period)
    tier: TierProgress | None = None
    history: tuple[HistoryItem, ...] = ()
    claims: tuple[ClaimedReward, ...] = ()

    @property
    def can_redeem(self) -> bool:
        return self.state == "enrolled"


@dataclass(frozen=True, slots=True)
class LoyaltyPage:
    program_name: str
    site_name: str
    site_url: str
    language: str
    currency: str
    theme: dict[str, str]
    rules: list[EarnRule]
    rewards: list[RewardOffer]
    customer: PageCustomer | None

    @property
    def is_guest(self) -> bool:
        return self.customer is None

    def claim(self, claim_id: int) -> ClaimedReward | None:
        """One of this page's customer's claims (a confirmation never shows someone else's)."""
        claims = self.customer.claims if self.customer else ()
        return next((claim for claim in claims if claim.id == claim_id), None)


async def open_loyalty_visit(conn: AsyncConnection, token: str, visit_ttl_seconds: int) -> Visit:
    """Open a WebView URL; a customer the program has never seen joins on first use.

    Run it in ``store.transactions.write_transaction``: a new customer is enrolled (when the
    program enrols automatically) and may earn join points, which takes the customer's lock.
    Raises Conflict("email_already_in_use") when a new merchant_id brings another customer's email.
    """
    visit = await open_webview_session(conn, token, visit_ttl_seconds)
    session = visit.session
    if session.customer is not None:
        await _join_on_first_use(conn, session, session.customer.merchant_id)
    return visit


async def _join_on_first_use(
    conn: AsyncConnection, session: WebviewSession, merchant_id: str
) -> None:
    if await find_customer(conn, session.program_id, merchant_id) is not None:
        return  # known customers are shown as they are
    assert session.customer is not None
    site = await get_site(conn, session.program_id, session.site_id)
    program = await load_program(conn, site)
    # As a Headless session does: created as a guest, then enrolled through the engine so that
    # join_program points and tier records follow the program's rules.
    _, created = await get_or_create_customer(
        conn,
        program_id=session.program_id,
        site_id=session.site_id,
        merchant_id=merchant_id,
        email=session.customer.email,
        state="guest",
    )
    customer = await find_customer(conn, session.program_id, merchant_id, for_update=True)
    if customer is not None and customer.state == "guest" and program.document.auto_enrol:
        await enrol(
            conn,
            program,
            customer,
            channel=WEBVIEW_CHANNEL,
            currency=session.currency,
            now=utcnow(),
            created=created,
        )


def _shown_on_page(reward: Reward) -> RewardBlock | None:
    """Kinds the page shows without a Redeem button: a variable discount is spent at checkout
    (the engine refuses to redeem it), a product_cart reward needs the shopper's cart, and a
    subscription product needs a variant of the shopper's subscription."""
    if isinstance(reward, CartVariableDiscountVoucherReward):
        return "at_checkout"
    if isinstance(reward, ProductCartReward):
        return "in_cart"
    if isinstance(reward, ActiveSubscriptionProductReward):
        return "in_subscription"
    return None


def _tier_progress(
    program: LoyaltyProgram, snapshot: MemberSnapshot, currency: str, language: str
) -> TierProgress | None:
    standing = snapshot.standing
    setup = program.document.tiers
    if standing is None or setup is None:
        return None
    following = standing.next_tier
    return TierProgress(
        name=program.tier_name(standing.tier.id, language),
        mode=setup.boundary_mode,
        measure=standing.measure,
        next_name=None if following is None else program.tier_name(following.id, language),
        next_bound=None if following is None else money_in(following.lower_bound, currency) or 0,
        needed=standing.needed_for_upgrade,
        valid_until=standing.valid_until,
    )


def _history(program: LoyaltyProgram, snapshot: MemberSnapshot, language: str) -> list[HistoryItem]:
    items: list[HistoryItem] = []
    for entry in snapshot.history[:HISTORY_SHOWN]:
        label = entry.label or ""
        tier_name = None
        if entry.kind == "earned_points_from_rule":
            rule = program.rule(entry.rule_id or 0)
            if rule is not None:
                label = variant_of(rule, None, language).title
        elif entry.kind == "entered_tier":
            tier_name = program.tier_name(entry.tier_id or 0, language) or label
        items.append(
            HistoryItem(
                kind=entry.kind,
                label=label,
                points=entry.points,
                at=entry.created_at,
                tier_name=tier_name,
                state=entry.state,
            )
        )
    return items


def _claims(snapshot: MemberSnapshot) -> list[ClaimedReward]:
    return [
        ClaimedReward(
            id=claim.id,
            title=claim.title,
            code=claim.code,
            points=claim.points_cost,
            claimed_at=claim.claimed_at,
            expires_at=claim.expires_at,
            fulfillment_explanation=claim.details.get("fulfillment_explanation"),
        )
        for claim in snapshot.claims
        if claim.state != "void"
    ][:CLAIMS_SHOWN]


async def build_loyalty_page(conn: AsyncConnection, session: WebviewSession) -> LoyaltyPage:
    """Everything the page shows for ``session``, scoped to the session's own program.

    Rules and rewards are the member's tier variants (the program's base variants for guests
    and customers outside the program), as offered on the engine's ``mobile`` channel in the
    session's currency; disabled variants are left out."""
    site = await get_site(conn, session.program_id, session.site_id)
    program = await load_program(conn, site)
    language = session.language
    currency = session.currency
    now = utcnow()

    snapshot: MemberSnapshot | None = None
    page_customer: PageCustomer | None = None
    if session.customer is not None:
        customer = await find_customer(conn, session.program_id, session.customer.merchant_id)
        if customer is not None and customer.state == "enrolled":
            snapshot = await member_snapshot(conn, program, customer, currency, now)
            page_customer = PageCustomer(
                merchant_id=customer.merchant_id,
                email=customer.email,
                points=snapshot.balances.approved,
                state=customer.state,
                pending=snapshot.balances.pending,
                tier=_tier_progress(program, snapshot, currency, language),
                history=tuple(_history(program, snapshot, language)),
                claims=tuple(_claims(snapshot)),
            )
        else:
            page_customer = PageCustomer(
                merchant_id=session.customer.merchant_id,
                email=customer.email if customer else session.customer.email,
                points=0,
                state=customer.state if customer else "guest",
            )
    tier_id = None if snapshot is None else snapshot.tier_id

    rules: list[EarnRule] = []
    for rule in program.document.rules:
        variant = variant_of(rule, tier_id, language)
        if not variant.enabled or WEBVIEW_CHANNEL not in rule.channels:
            continue
        rules.append(
            EarnRule(
                id=rule.id,
                kind=rule.kind,
                title=variant.title,
                description=variant.description or "",
                points=variant.points,
                # Only rules that pay per amount spent (purchases) have this.
                per_currency_unit=getattr(rule, "per_currency_unit", None),
            )
        )

    balance = page_customer.points if page_customer else 0
    facts = MemberFacts(
        balance=balance,
        claim_times={} if snapshot is None else snapshot.claim_times,
        stock_claimed={} if snapshot is None else snapshot.variant_claims,
        now=now,
    )
    offers: list[RewardOffer] = []
    for reward in program.document.rewards:
        variant = variant_of(reward, tier_id, language)
        if not offer_for(reward, variant, channel=WEBVIEW_CHANNEL, currency=currency, country=None):
            continue
        affordable = page_customer is not None and balance >= variant.points
        blocked_by = _shown_on_page(reward)
        if blocked_by is None:
            # The engine's own answer, the one redeem_on_page will give.
            refusal = reward_refusal(
                reward, variant, facts, channel=WEBVIEW_CHANNEL, currency=currency, country=None
            )
            if refusal == "reward_limit_reached":
                blocked_by = "limit_reached"
            elif refusal is not None or not affordable:
                blocked_by = "insufficient_points"
        offers.append(
            RewardOffer(
                id=reward.id,
                kind=reward.kind,
                title=variant.title,
                description=variant.description or "",
                points=variant.points,
                affordable=affordable,
                points_short=max(variant.points - balance, 0),
                blocked_by=blocked_by,
            )
        )
    offers.sort(key=lambda offer: (offer.points, offer.id))
    return LoyaltyPage(
        program_name=program.program.name,
        site_name=site.name,
        site_url=site.url,
        language=language,
        currency=currency,
        theme=dict(site.theme),
        rules=rules,
        rewards=offers,
        customer=page_customer,
    )


async def redeem_on_page(
    conn: AsyncConnection, session: WebviewSession, reward_id: int
) -> claims.Claim:
    """Redeem ``reward_id`` for the session's customer with the engine's redemption, the one the
    Headless redeem endpoints use. Run it in ``write_transaction``: the customer's row is locked
    (``FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite) before the balance is read.

    Raises Conflict with the engine's codes (``insufficient_points``, ``reward_limit_reached``,
    ``customer_not_enrolled``, ``customer_blocked``, ``reward_not_enabled_for_customer``...) and
    ``reward_not_redeemable_here`` for kinds the page does not redeem."""
    if session.customer is None:
        raise Conflict("customer_not_enrolled", "A guest visit cannot redeem rewards")
    site = await get_site(conn, session.program_id, session.site_id)
    program = await load_program(conn, site)
    try:
        customer = await members.locked_customer(conn, program, session.customer.merchant_id)
    except NotFound as missing:
        raise Conflict("customer_not_enrolled", "This customer is not in the program") from missing
    reward = program.reward(reward_id)
    if reward is None:
        raise Conflict("reward_not_enabled_for_customer", f"Reward {reward_id} does not exist")
    if _shown_on_page(reward) is not None:
        raise Conflict("reward_not_redeemable_here", f"Reward {reward_id} is not redeemed here")
    return await rewards.redeem(
        conn,
        program,
        customer,
        reward,
        channel=WEBVIEW_CHANNEL,
        currency=session.currency,
        language=session.language,
        country=None,
        now=utcnow(),
    )
