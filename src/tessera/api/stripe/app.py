"""The ``/v1`` sub-application: routes, Stripe's envelope for every error (404 for unknown URLs
and wrong methods, as Stripe answers), and the headers every Stripe response carries
(``Request-Id``, ``Stripe-Version``)."""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api.dialect_app import DialectApp, DialectErrors, Failure
from tessera.customers.stripe_objects import API_VERSION
from tessera.kit.errors import DomainError

from .errors import StripeApiError, error_body, render, unrecognized_url
from .params import ParamError
from .routes import routes
from .webhook_routes import routes as webhook_routes


def stripe_render(request: Request, exc: Exception, headers: dict[str, str]) -> Response:
    return render(exc, headers)


def stripe_http_error(request: Request, exc: HTTPException) -> Response:
    # A wrong method on a known path is, to Stripe, just another unrecognized URL (it still
    # says which methods the path has).
    response = unrecognized_url(request.method, request.url.path)
    if exc.headers and "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


def stripe_failure(request: Request, failure: Failure) -> Response:
    body = error_body(failure.message, type="api_error", request_id=failure.request_id)
    return Response(body, failure.status, media_type="application/json")


STRIPE_ERRORS = DialectErrors(
    known=(DomainError, ParamError, StripeApiError),
    render=stripe_render,
    http_error=stripe_http_error,
    failure=stripe_failure,
)


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
        # Failure answers name this id too (see tessera.api.request_id).
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Request-Id"] = request_id
                headers["Stripe-Version"] = version
            await send(message)

        await self.app(scope, receive, send_with_headers)


def stripe_app() -> DialectApp:
    return DialectApp([*routes, *webhook_routes], errors=STRIPE_ERRORS, middleware=StripeHeaders)
