"""What every Admin API endpoint does before and after its own few lines.

Authenticate, apply the caller's rate limit, check the scope and run the endpoint, adding the
rate-limit and deprecation headers to every answer: errors too, which the Admin sub-application
renders (see ``tessera.api.dialect_app``) with the headers gathered in ``answer_headers``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from tessera.api.dialect_app import answer_headers
from tessera.auth.authenticate import authenticate, client_address
from tessera.auth.principal import Principal, parse_authorization
from tessera.state import Tessera

# RFC 9745 / RFC 8594: token & secret auth is deprecated and supported until 10 January 2027.
DEPRECATION_HEADERS = {
    "Deprecation": "@1735689600",
    "Sunset": "Sun, 10 Jan 2027 00:00:00 GMT",
}

Handler = Callable[[Request, Tessera, Principal], Awaitable[Response]]


def admin_endpoint(
    *, scope: str | None = None, allow_site_secret: bool = False, heavy: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """``heavy`` endpoints (WebView sessions) have their own, higher rate limit."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            tessera: Tessera = request.state.tessera
            headers = answer_headers(request)
            credentials = parse_authorization(request.headers.get("authorization"))
            if credentials.scheme == "basic":
                headers.update(DEPRECATION_HEADERS)
            address = client_address(request.scope)
            principal = await authenticate(
                tessera, credentials, address, headers, allow_site_secret=allow_site_secret
            )
            settings = tessera.settings
            default = settings.rate_limit_webview_sessions if heavy else settings.rate_limit_default
            limit = principal.rate_limit or default
            bucket = "webview_sessions" if heavy else "admin"
            await tessera.limiter.enforce(limit, bucket, principal.limiter_id, headers=headers)
            if scope is not None:
                principal.require_scope(scope)
            response = await handler(request, tessera, principal)
            response.headers.update(headers)
            return response

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap
