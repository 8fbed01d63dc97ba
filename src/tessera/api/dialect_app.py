"""A dialect's sub-application: its routes, and its own answers for an unknown path, a wrong
method and an unexpected error, in the dialect's envelope.

Starlette's application would do the same with two middleware layers and an exception-handler
lookup on every request's path; this is the part of it a dialect needs, in one frame. Unhandled
exceptions still reach the observability middleware, which logs them once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api.paths import keep_encoded_slashes

ErrorAnswer = Callable[[Request, Exception], Awaitable[Response]]


class DialectApp:
    def __init__(
        self,
        routes: Sequence[BaseRoute],
        *,
        http_error: ErrorAnswer,
        server_error: ErrorAnswer,
        middleware: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.router = Router(routes=list(routes))
        self.http_error = http_error
        self.server_error = server_error
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
            await self.router(scope, receive, sending)
        except HTTPException as exc:
            if started:
                raise
            await (await self.http_error(Request(scope), exc))(scope, receive, send)
        except Exception as exc:
            if not started:
                await (await self.server_error(Request(scope), exc))(scope, receive, send)
            raise
