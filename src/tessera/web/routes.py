"""The WebView Loyalty Page: open a session URL, keep the visit in a cookie, render the page.

``GET /webview/{token}`` exchanges the short-lived URL token for a visit secret in an HttpOnly
cookie and redirects to ``/webview/page``, so the token never stays in the address bar and
reloads keep working for as long as the visit lasts. A ``HEAD`` of the same URL (a link
preview) answers 200 and leaves the link unused. Every answer here, error pages and static
files included, is ``no-store`` with a strict Content-Security-Policy: the pages use no script.

``POST /webview/page/rewards/{id}/redeem`` is a plain form (no script): the visit cookie says
who, a per-visit CSRF token in a hidden field (and the Origin or Referer, when the browser
sends one) says the form is ours. It answers 303 to the page (Post/Redirect/Get), which then
shows the voucher code and new balance, or why the reward could not be redeemed.

Errors the pages do not answer themselves are rendered in one place, ``tessera.web.pages``.
"""

from __future__ import annotations

import re
from datetime import datetime
from importlib.resources import files
from urllib.parse import parse_qs, urlencode, urlsplit

from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api.dialect_app import DialectApp
from tessera.kit.errors import Conflict, Expired, NotFound
from tessera.loyalty.money import format_money
from tessera.loyalty.money import number as format_points
from tessera.sessions.loyalty_page import (
    LoyaltyPage,
    build_loyalty_page,
    open_loyalty_visit,
    redeem_on_page,
)
from tessera.sessions.webview import csrf_token, csrf_token_matches, resume_visit
from tessera.state import Tessera
from tessera.store.transactions import write_transaction
from tessera.web.i18n import babel_locale, translations
from tessera.web.pages import (
    ACCOUNT_CONFLICT,
    FORM_REFUSED,
    LINK_EXPIRED,
    LINK_NOT_FOUND,
    N_,
    NO_VISIT,
    PAGE_ERRORS,
    PAGE_NOT_FOUND,
    VISIT_EXPIRED,
    error_page,
    render,
    webview_path,
)
from tessera.web.theme import page_colours

VISIT_COOKIE = "tessera_visit"


# Why a redemption did not happen, by the engine's Conflict code; shown on the page after the
# redirect. Codes not listed here read as "not available".
REDEEM_PROBLEMS = {
    "insufficient_points": N_("You do not have enough points for this reward yet."),
    "reward_limit_reached": N_("You have already claimed this reward as often as it allows."),
    "customer_not_enrolled": N_("Join the program to redeem rewards."),
    "customer_blocked": N_(
        "Rewards cannot be redeemed with this account. Please contact the shop's customer service."
    ),
    "reward_not_available": N_("This reward is not available to you here."),
}
# A form body is a token and nothing else; anything larger is not ours (a 413, unread).
MAX_FORM_BYTES = 4096
# A claim id as the redirect writes it: ASCII digits ("²" and "①" are digits to str.isdigit),
# few enough for int().
_CLAIM_ID = re.compile(r"[0-9]{1,18}", re.ASCII)


def render_loyalty_page(request: Request, page: LoyaltyPage, csrf: str | None = None) -> Response:
    language = page.language
    gettext = translations(language).gettext

    def points(value: int) -> str:
        return format_points(value, language)

    def money(amount: float) -> str:
        return format_money(amount, page.currency, language)

    def date(moment: datetime) -> str:
        return format_date(moment, "medium", locale=babel_locale(language))

    claimed = request.query_params.get("claimed", "")
    confirmation = page.claim(int(claimed)) if _CLAIM_ID.fullmatch(claimed) else None
    problem_code = request.query_params.get("problem")
    problem = None
    if problem_code is not None:
        problem = gettext(
            REDEEM_PROBLEMS.get(problem_code, REDEEM_PROBLEMS["reward_not_available"])
        )
    return render(
        request,
        "loyalty.html",
        language,
        colours=page_colours(page.theme),
        page=page,
        points=points,
        money=money,
        date=date,
        csrf=csrf or "",
        redeem_base=webview_path(request) + "/page/rewards",
        confirmation=confirmation,
        problem=problem,
    )


async def open_session(request: Request) -> Response:
    if request.method == "HEAD":
        # A link preview (or a browser's prefetch) looks, it does not open: the link stays
        # unused for the customer's own tap.
        return HTMLResponse("", 200)
    tessera: Tessera = request.state.tessera
    settings = tessera.settings
    try:
        async with write_transaction(tessera.engine) as conn:
            visit = await open_loyalty_visit(
                conn, request.path_params["token"], settings.webview_visit_ttl
            )
    except NotFound:
        return error_page(request, LINK_NOT_FOUND)
    except Expired:
        return error_page(request, LINK_EXPIRED)
    except Conflict:
        return error_page(request, ACCOUNT_CONFLICT)
    base = webview_path(request)
    response = RedirectResponse(base + "/page", 303)
    response.set_cookie(
        VISIT_COOKIE,
        visit.secret,
        max_age=settings.webview_visit_ttl,
        path=base,
        secure=settings.public_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


async def loyalty_page(request: Request) -> Response:
    tessera: Tessera = request.state.tessera
    secret = request.cookies.get(VISIT_COOKIE)
    if not secret:
        return error_page(request, NO_VISIT)
    try:
        async with tessera.engine.connect() as conn:
            session = await resume_visit(conn, secret)
            page = await build_loyalty_page(conn, session)
    except NotFound:
        return error_page(request, NO_VISIT)
    except Expired:
        return error_page(request, VISIT_EXPIRED)
    return render_loyalty_page(request, page, csrf_token(session, secret))


def same_origin(request: Request, public_url: str) -> bool:
    """The form was posted from our own pages, as far as the browser tells: Origin, else
    Referer. Neither (or ``Origin: null``, which no-referrer pages send) leaves it to the token."""

    def origin(url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.netloc.lower()

    sent = request.headers.get("origin")
    if sent is None or sent == "null":
        sent = request.headers.get("referer")
    return not sent or origin(sent) == origin(public_url)


async def redeem_reward(request: Request) -> Response:
    tessera: Tessera = request.state.tessera
    secret = request.cookies.get(VISIT_COOKIE)
    if not secret:
        return error_page(request, NO_VISIT)
    # Already read, within MAX_FORM_BYTES, before the route ran (see DialectApp).
    body = await request.body()
    fields = parse_qs(body.decode("latin-1"))
    submitted = fields.get("csrf_token", [""])[0]
    reward_id: int = request.path_params["reward_id"]
    base = webview_path(request) + "/page"
    try:
        async with tessera.engine.connect() as conn:
            session = await resume_visit(conn, secret)
        # Checked before the write transaction: a flood of forged posts never takes the lock.
        if not same_origin(request, tessera.settings.public_url) or not csrf_token_matches(
            session, secret, submitted
        ):
            return error_page(request, FORM_REFUSED, session.language, back=True)
        async with write_transaction(tessera.engine) as conn:
            claim = await redeem_on_page(conn, session, reward_id)
    except NotFound:
        return error_page(request, NO_VISIT)
    except Expired:
        return error_page(request, VISIT_EXPIRED)
    except Conflict as refused:
        code = refused.code if refused.code in REDEEM_PROBLEMS else "reward_not_available"
        return RedirectResponse(base + "?" + urlencode({"problem": code}), 303)
    return RedirectResponse(base + "?" + urlencode({"claimed": claim.id}), 303)


_STATIC = files("tessera.web").joinpath("static")
_STATIC_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}", re.ASCII)
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    if _STATIC_NAME.fullmatch(name) is None:
        # Also keeps names the file system refuses (too long: OSError) from reaching it.
        return error_page(request, PAGE_NOT_FOUND)
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    resource = _STATIC.joinpath(name)
    if suffix not in _STATIC_TYPES or not resource.is_file():
        return error_page(request, PAGE_NOT_FOUND)
    return Response(resource.read_bytes(), media_type=_STATIC_TYPES[suffix])


class PageHeaders:
    """Adds the headers every WebView answer carries, whatever produced it."""

    HEADERS = (
        (b"cache-control", b"no-store"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in self.HEADERS}
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message["headers"] = kept + list(self.HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def webview_app() -> DialectApp:
    return DialectApp(
        [
            Route("/page", loyalty_page, methods=["GET"]),
            # ``id``: a bounded number (tessera.api.paths), never Starlette's unbounded ``int``.
            Route("/page/rewards/{reward_id:id}/redeem", redeem_reward, methods=["POST"]),
            Route("/static/{name}", static_file, methods=["GET"]),
            Route("/{token}", open_session, methods=["GET"]),
        ],
        errors=PAGE_ERRORS,
        max_body=lambda scope: MAX_FORM_BYTES,
        middleware=PageHeaders,
    )
