"""Prometheus metrics, a JSON access log and request ids, as one pure ASGI middleware.

Every request has an id: the caller's ``X-Request-Id`` when it is sane (1 to 128 characters of
letters, digits and ``._:=+/-``), else a new one. It goes back as ``X-Request-Id`` on the
answer, is on the access line, and on every log line written while the request is handled
(:func:`current_request_id`, added by the processor in tessera.logs).

Paths are logged and labelled by their route template (``/webview/{token}``), never verbatim:
a WebView URL *is* a secret. The template is read after dispatch from what Starlette's routers
left in the scope (the matched route and the mounts' root path), so routes are matched once.

All of it runs on every request, so all of it is cheap (the request id and the counters cost
about a microsecond a request, measured in-process against /healthz): the metric series for a
(method, route, status) are looked up once and kept, and access-log lines are encoded by
msgspec and written in batches (at most a quarter of a second after the request, when 64 KiB
have gathered, and at shutdown).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO

import msgspec
import structlog
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.kit.errors import INTERNAL_ERROR
from tessera.metrics import CLIENT_CLOSED, Metrics

UNMATCHED = "unmatched"

log = structlog.get_logger("tessera.errors")

_REQUEST_ID: ContextVar[str | None] = ContextVar("tessera_request_id", default=None)
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:=+/-]{1,128}").fullmatch


def current_request_id() -> str | None:
    """The id of the request being handled (None outside one): for logs and error answers."""
    return _REQUEST_ID.get()


# New ids: a random prefix per process and a counter, unique across workers and restarts and
# cheaper than random bytes per request (an id is a label, not a secret).
_ID_PREFIX = secrets.token_hex(6)
_ID_SEQUENCE = itertools.count(1)


def request_id_of(headers: list[tuple[bytes, bytes]]) -> tuple[bytes, str]:
    """The caller's ``X-Request-Id`` if it is sane, else a new one (as bytes and as text)."""
    for name, value in headers:
        if name == b"x-request-id":
            if _SANE_REQUEST_ID(value):
                return value, value.decode()
            break
    text = f"{_ID_PREFIX}{next(_ID_SEQUENCE):08x}"
    return text.encode(), text


def route_template(scope: Scope) -> str:
    """The template of the route that answered ``scope``, once routing has run."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if route is None or isinstance(route, Mount) or path is None:
        return UNMATCHED
    mounts = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    return f"{mounts}{path}"


class AccessLine(msgspec.Struct):
    timestamp: str
    method: str
    route: str
    status: int
    duration_ms: float
    request_id: str
    event: str = "request"
    level: str = "info"


class AccessLog:
    """JSON lines on ``stream``, written in batches from the event loop."""

    FLUSH_AFTER = 0.25  # seconds
    FLUSH_SIZE = 64 * 1024

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self._lines: list[bytes] = []
        self._size = 0
        self._flush_scheduled = False

    def write(self, line: AccessLine) -> None:
        encoded = msgspec.json.encode(line)
        self._lines.append(encoded)
        self._size += len(encoded) + 1
        if self._size >= self.FLUSH_SIZE:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(self.FLUSH_AFTER, self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        if not self._lines:
            return
        text = b"\n".join(self._lines).decode() + "\n"
        self._lines.clear()
        self._size = 0
        stream = self.stream or sys.stdout
        stream.write(text)
        stream.flush()


async def send_server_error(send: Send, request_id_header: tuple[bytes, bytes], rid: str) -> None:
    """The last word on a failure no sub-application answered (the root routes: /docs,
    /openapi, /metrics): JSON naming no cause, the request id in it, the connection closed."""
    body = msgspec.json.encode({"error": {"message": INTERNAL_ERROR, "request_id": rid}})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        request_id_header,
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ObservabilityMiddleware:
    """Measures and logs every request, and is the last word on failures.

    An exception that no dialect turned into an answer is logged once, with its traceback, and
    answered with a JSON 500 if nothing was sent yet (the request id in it, the connection then
    closed, as every dialect does after a failure). A client that
    hung up before its answer is no server error: counted (status 499, as nginx names it), no
    traceback."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = disconnected = replayed = False
        request_id, request_id_text = request_id_of(scope["headers"])
        request_id_header = (b"x-request-id", request_id)
        context = _REQUEST_ID.set(request_id_text)
        stripe = scope["path"].startswith("/v1/")

        async def receive_wrapper() -> Message:
            nonlocal disconnected
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                if stripe:
                    replayed = (b"idempotent-replayed", b"true") in message.get("headers", ())
                # A new list: an endpoint may send the same header list every time (Healthz).
                message = {**message, "headers": [*message.get("headers", ()), request_id_header]}
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        except Exception:
            if disconnected:
                status = CLIENT_CLOSED
            else:
                status = 500
                log.exception("unhandled_error", route=route_template(scope))
                if not response_started:
                    await send_server_error(send, request_id_header, request_id_text)
        finally:
            _REQUEST_ID.reset(context)
        if disconnected and status >= 500:
            status = CLIENT_CLOSED
        elapsed = time.perf_counter() - started
        route = route_template(scope)
        method = scope["method"]
        self.metrics.observe(method, route, status, elapsed, replayed=replayed)
        if self.access_log is not None:
            self.access_log.write(
                AccessLine(
                    timestamp=datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z",
                    method=method,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                    request_id=request_id_text,
                )
            )
