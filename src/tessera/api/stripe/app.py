"""The ``/v1`` sub-application: routes, Stripe's 404 for unknown URLs, and the headers every
Stripe response carries (``Request-Id``, ``Stripe-Version``)."""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api.dialect_app import DialectApp
from tessera.kit.errors import INTERNAL_ERROR

from .errors import StripeApiError, render, unrecognized_url
from .routes import routes

# The version of the contract Tessera serves (specs/stripe/*.json).
API_VERSION = "2026-09-30.endive"


async def stripe_http_error(request: Request, exc: Exception) -> Response:
    # A wrong method on a known path is, to Stripe, just another unrecognized URL.
    return unrecognized_url(request.method, request.url.path)


class StripeHeaders:
    """Adds ``Request-Id`` (``req_`` + random) to every answer and echoes ``Stripe-Version``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        version = API_VERSION
        for name, value in scope.get("headers", []):
            if name == b"stripe-version" and value:
                version = value.decode("latin-1")
        request_id = "req_" + secrets.token_urlsafe(12).replace("-", "a").replace("_", "b")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Request-Id"] = request_id
                headers["Stripe-Version"] = version
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def stripe_server_error(request: Request, exc: Exception) -> Response:
    return render(StripeApiError(500, INTERNAL_ERROR, type="api_error"), {})


def stripe_app() -> DialectApp:
    return DialectApp(
        routes,
        http_error=stripe_http_error,
        server_error=stripe_server_error,
        middleware=StripeHeaders,
    )
