"""The Loyalty Page's data: what a WebView session shows, assembled once for the web layer.

This is the single place that reads a program's configuration for the page; the web layer only
formats and renders the ``LoyaltyPage`` it gets. Texts are picked in the session's language
here; numbers and money stay numbers (formatting is a matter of the page's locale).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import find_customer, get_or_create_customer
from tessera.kit.clock import utcnow
from tessera.loyalty.ledger import approved_balance
from tessera.loyalty.members import enrol
from tessera.loyalty.program import load_program
from tessera.programs.configuration import current_document, localized
from tessera.programs.sites import get_program, get_site
from tessera.sessions.webview import Visit, WebviewSession, open_webview_session

# The engine's sales channel for what happens in a WebView: it lives inside the merchant's app.
WEBVIEW_CHANNEL = "mobile"


@dataclass(frozen=True, slots=True)
class EarnRule:
    id: int
    kind: str
    title: str
    description: str
    points: int
    # "5 points per $1": the amount of the session's currency that earns ``points``.
    per_currency_unit: float | None


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


@dataclass(frozen=True, slots=True)
class PageCustomer:
    merchant_id: str
    email: str
    points: int


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


async def open_loyalty_visit(conn: AsyncConnection, token: str, visit_ttl_seconds: int) -> Visit:
    """Open a WebView URL; a customer the program has never seen joins on first use.

    Run it in ``loyalty.transactions.write_transaction``: a new customer is enrolled (when the
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
    await get_or_create_customer(
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
        )


async def build_loyalty_page(conn: AsyncConnection, session: WebviewSession) -> LoyaltyPage:
    """Everything the page shows for ``session``, scoped to the session's own program."""
    program = await get_program(conn, session.program_id)
    site = await get_site(conn, session.program_id, session.site_id)
    document = await current_document(conn, session.program_id)
    language = session.language

    page_customer: PageCustomer | None = None
    if session.customer is not None:
        customer = await find_customer(conn, session.program_id, session.customer.merchant_id)
        points = 0 if customer is None else await approved_balance(conn, customer.id)
        page_customer = PageCustomer(
            merchant_id=session.customer.merchant_id,
            email=customer.email if customer else session.customer.email,
            points=points,
        )

    rules = [
        EarnRule(
            id=rule.id,
            kind=rule.kind,
            title=localized(rule.title, language),
            description=localized(rule.description, language),
            points=rule.points,
            # Only rules that pay per amount spent (purchases) have this.
            per_currency_unit=getattr(rule, "per_currency_unit", None),
        )
        for rule in document.rules
        if rule.enabled
    ]
    balance = page_customer.points if page_customer else 0
    rewards = [
        RewardOffer(
            id=reward.id,
            kind=reward.kind,
            title=localized(reward.title, language),
            description=localized(reward.description, language),
            points=reward.points,
            affordable=page_customer is not None and balance >= reward.points,
            points_short=max(reward.points - balance, 0),
        )
        for reward in sorted(document.rewards, key=lambda r: (r.points, r.id))
        if reward.enabled
    ]
    return LoyaltyPage(
        program_name=program.name,
        site_name=site.name,
        site_url=site.url,
        language=language,
        currency=session.currency,
        theme=dict(site.theme),
        rules=rules,
        rewards=rewards,
        customer=page_customer,
    )
