"""The Loyalty Page's answers that are not the page itself: how every page is rendered (nonce,
Content-Security-Policy), and its error pages, one place for every error of ``/webview``.

The Loyalty Page is a dialect like the APIs (see ``tessera.api.dialect_app``): an unknown
address or a wrong method is the "Page not found" page (405 with ``Allow``), a body over the
form limit a 413 page, an unreachable database a 503 page with Retry-After, and anything else a
500 page that names a request id but never the cause. Every one is translated for the visitor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tessera.api.dialect_app import DialectErrors, Failure
from tessera.kit.errors import DomainError, PayloadTooLarge
from tessera.state import Tessera
from tessera.web.i18n import environment, negotiate, translations
from tessera.web.theme import PageColours, page_colours

MOUNT_PATH = "/webview"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class ErrorPage:
    status: int
    title: str
    message: str


LINK_NOT_FOUND = ErrorPage(
    404,
    N_("This link is not valid"),
    N_("Please open the loyalty page again from the app."),
)
LINK_EXPIRED = ErrorPage(
    410,
    N_("This link has expired"),
    N_(
        "For your security, loyalty page links only work for a few minutes. "
        "Please open the loyalty page again from the app."
    ),
)
NO_VISIT = ErrorPage(
    401,
    N_("Please open the loyalty page from the app"),
    N_("This page can only be shown when it is opened from the app."),
)
VISIT_EXPIRED = ErrorPage(
    410,
    N_("Your visit has ended"),
    N_("Please open the loyalty page again from the app to see your points."),
)
ACCOUNT_CONFLICT = ErrorPage(
    409,
    N_("Your account could not be opened"),
    N_("Please contact the shop's customer service."),
)
PAGE_NOT_FOUND = ErrorPage(
    404,
    N_("Page not found"),
    N_("There is nothing at this address. Please open the loyalty page again from the app."),
)
FORM_REFUSED = ErrorPage(
    403,
    N_("This form could not be accepted"),
    N_(
        "For your security, rewards can only be redeemed from the loyalty page itself. "
        "Please go back to the loyalty page and try again."
    ),
)
SERVER_ERROR = ErrorPage(
    500,
    N_("Something went wrong"),
    N_("The loyalty page could not be shown right now. Please try again in a moment."),
)


FORM_TOO_LARGE = ErrorPage(413, FORM_REFUSED.title, FORM_REFUSED.message)
# The database cannot be reached: the same words as a failure, which the shopper cannot tell
# apart, with Retry-After.
UNAVAILABLE = ErrorPage(503, SERVER_ERROR.title, SERVER_ERROR.message)


def content_security_policy(nonce: str, img_origin: str | None = None) -> str:
    images = "'self' data:" + (f" {img_origin}" if img_origin else "")
    return (
        "default-src 'none'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        f"img-src {images}; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def webview_path(request: Request) -> str:
    """Where the pages live as the browser sees them: under TESSERA_PUBLIC_URL's path, if any
    (a proxy may serve Tessera under a prefix), so redirects, cookie and style sheet follow."""
    tessera: Tessera | None = getattr(request.state, "tessera", None)
    prefix = urlsplit(tessera.settings.public_url).path.rstrip("/") if tessera else ""
    return prefix + MOUNT_PATH


def render(
    request: Request,
    template: str,
    language: str,
    status: int = 200,
    colours: PageColours | None = None,
    **context: Any,
) -> Response:
    colours = colours or page_colours({})
    nonce = secrets.token_urlsafe(16)
    html = (
        environment(language)
        .get_template(template)
        .render(
            lang=language,
            nonce=nonce,
            colours=colours,
            static_url=webview_path(request) + "/static",
            **context,
        )
    )
    return HTMLResponse(
        html,
        status,
        headers={
            "Content-Security-Policy": content_security_policy(nonce, colours.logo_origin),
            # Also set here, not only by PageHeaders, so a page is never cached whatever sends it.
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def error_page(
    request: Request, error: ErrorPage, language: str | None = None, back: bool = False
) -> Response:
    language = language or visitor_language(request)
    gettext = translations(language).gettext
    return render(
        request,
        "error.html",
        language,
        error.status,
        title=gettext(error.title),
        message=gettext(error.message),
        back_url=webview_path(request) + "/page" if back else None,
        request_id=None,
    )


def visitor_language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def page_error(request: Request, exc: Exception, headers: dict[str, str]) -> Response:
    """A domain error no page endpoint answered itself."""
    page = FORM_TOO_LARGE if isinstance(exc, PayloadTooLarge) else PAGE_NOT_FOUND
    response = error_page(request, page)
    response.headers.update(headers)
    return response


def page_http_error(request: Request, exc: HTTPException) -> Response:
    response = error_page(request, PAGE_NOT_FOUND)
    response.status_code = exc.status_code
    response.headers.update(exc.headers or {})
    return response


def page_failure(request: Request, failure: Failure) -> Response:
    """The shopper sees a translated page, never a traceback; the log keeps the details."""
    page = UNAVAILABLE if failure.status == 503 else SERVER_ERROR
    language = visitor_language(request)
    gettext = translations(language).gettext
    return render(
        request,
        "error.html",
        language,
        failure.status,
        title=gettext(page.title),
        message=gettext(page.message),
        back_url=None,
        request_id=failure.request_id,
    )


PAGE_ERRORS = DialectErrors(
    known=(DomainError,), render=page_error, http_error=page_http_error, failure=page_failure
)
