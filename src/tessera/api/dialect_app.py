"""A dialect's sub-application: its routes, its body limit, and the one place where its errors
become answers in the dialect's envelope.

Every dialect (the Admin API, the Headless API, Stripe, the Loyalty Page) is one of these, so
no endpoint maps errors itself:

- the body is read here first, within the dialect's limit, before any route or credential
  check runs: a body over the limit is a 413, whatever the route, and costs no query;
- a domain error (or one of the dialect's own) is rendered by the dialect, with the headers
  the endpoint gathered before it failed (rate limit, deprecation: :func:`answer_headers`);
- an unknown path or a wrong method is the dialect's 404 or 405 (405 with ``Allow``);
- a database that cannot be reached is a 503 with Retry-After, logged as one warning line;
- anything else is a 500 that names a request id but never the cause, sent with
  ``Connection: close``, and re-raised so the observability middleware logs its traceback once;
- a client that hung up while sending its body ends the request quietly (the observability
  middleware counts it as a 499)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api.body import BodyTooLarge, read_bounded
from tessera.api.paths import keep_encoded_slashes
from tessera.api.request_id import request_id
from tessera.kit.errors import DATABASE_UNAVAILABLE, INTERNAL_ERROR
from tessera.store.outage import RETRY_AFTER_SECONDS, is_database_outage

log = structlog.get_logger("tessera.errors")

DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Failure:
    """What a dialect says when the request failed for no fault of the caller's."""

    status: int  # 500, or 503 while the database is unreachable
    message: str
    request_id: str


@dataclass(frozen=True, slots=True)
class DialectErrors:
    """How one dialect answers errors. ``known`` are the exceptions ``render`` turns into the
    dialect's answers (its domain errors); ``render`` gets the headers gathered so far."""

    known: tuple[type[Exception], ...]
    render: Callable[[Request, Exception, dict[str, str]], Response]
    http_error: Callable[[Request, HTTPException], Response]
    failure: Callable[[Request, Failure], Response]


def answer_headers(request: Request) -> dict[str, str]:
    """Headers every answer to this request carries, errors included: an endpoint adds to this
    dict (rate-limit, deprecation headers) and the dialect's error answers take them too."""
    headers: dict[str, str] = request.scope.setdefault("state", {}).setdefault("answer_headers", {})
    return headers


def settings_max_body(scope: Scope) -> int:
    """The body limit of the API dialects: TESSERA_MAX_BODY_BYTES."""
    tessera = scope.get("state", {}).get("tessera")
    return DEFAULT_MAX_BODY if tessera is None else int(tessera.settings.max_body_bytes)


class DialectApp:
    def __init__(
        self,
        routes: Sequence[BaseRoute],
        *,
        errors: DialectErrors,
        max_body: Callable[[Scope], int] = settings_max_body,
        middleware: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.router = Router(routes=list(routes))
        self.errors = errors
        self.max_body = max_body
        self._app: ASGIApp = self._route if middleware is None else middleware(self._route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # With "app" in the scope, Starlette's router raises HTTPException for an unknown path
        # or a wrong method instead of answering in plain text.
        scope["app"] = self
        keep_encoded_slashes(scope)
        await self._app(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            replay = await read_bounded(scope, receive, self.max_body(scope))
            await self.router(scope, replay, sending)
        except ClientDisconnect:
            return
        except Exception as exc:
            if started:
                raise
            response, unexpected = self._answer(Request(scope), exc)
            await response(scope, receive, send)
            if unexpected:
                raise

    def _allowed(self, scope: Scope) -> str:
        methods: set[str] = set()
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                methods |= getattr(route, "methods", None) or set()
        return ", ".join(sorted(methods))

    def _answer(self, request: Request, exc: Exception) -> tuple[Response, bool]:
        """The answer to ``exc``, and whether it was unexpected (a bug, to log with its
        traceback)."""
        errors = self.errors
        if isinstance(exc, BodyTooLarge):
            # The rest of the body is never read: the connection cannot serve another request.
            response = errors.render(request, exc, answer_headers(request))
            response.headers["Connection"] = "close"
            return response, False
        if isinstance(exc, errors.known):
            return errors.render(request, exc, answer_headers(request)), False
        if isinstance(exc, HTTPException):
            if exc.status_code == 405:
                # Starlette names the methods of the first route of the path only.
                exc.headers = {**(exc.headers or {}), "Allow": self._allowed(request.scope)}
            return errors.http_error(request, exc), False
        if is_database_outage(exc):
            log.warning(
                "database_unavailable",
                path=request.url.path,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
            response = errors.failure(
                request, Failure(503, DATABASE_UNAVAILABLE, request_id(request.scope))
            )
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response, False
        response = errors.failure(request, Failure(500, INTERNAL_ERROR, request_id(request.scope)))
        # The connection may be in any state after a bug: the client opens a fresh one.
        response.headers["Connection"] = "close"
        return response, True
