"""Connection limits for ``tessera serve``: uvicorn's HTTP protocol with deadlines.

uvicorn closes a keep-alive connection that stays idle, but not one that trickles a request in
(a slowloris sends a header byte every few seconds and holds a socket and its buffers for as long
as it likes). Here each connection carries a deadline:

- from the moment it opens, and from the first byte of each request, its headers must be
  complete within ``TESSERA_HEADER_TIMEOUT`` seconds (else: 408 and the connection is closed);
- once the headers are in, the body must be complete within ``TESSERA_BODY_TIMEOUT`` seconds
  (else the connection is closed; the endpoint sees the client gone, a 499 in the metrics);
- while the endpoint works on the request there is no deadline; between requests uvicorn's
  keep-alive timeout (``TESSERA_KEEPALIVE_TIMEOUT``) applies.

A worker holds at most ``TESSERA_MAX_CONNECTIONS`` connections: one more is answered 503 and
closed at once. Headers larger than ``MAX_HEADER_BYTES`` are a 431.

Deadlines are checked by one sweep a second per worker, so a request only stores a number (no
timer per request on the hot path) and a connection is closed at most a second late.
"""

from __future__ import annotations

import asyncio
import json
import time
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tessera.config import Settings

MAX_HEADER_BYTES = 64 * 1024
SWEEP_EVERY = 1.0  # seconds


def _answer(status: str, message: str, extra_headers: bytes = b"") -> bytes:
    """An answer given before any dialect saw the request. Its body reads as an error in every
    dialect's envelope: LoyaltyLion's ``{"error": {"message"}}`` and Stripe's (with ``type``)."""
    body = json.dumps({"error": {"type": "invalid_request_error", "message": message}}).encode()
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n".encode()
        + extra_headers
        + b"connection: close\r\n\r\n"
        + body
    )


_TIMED_OUT = _answer("408 Request Timeout", "The request did not arrive in time")
_HEADERS_TOO_LARGE = _answer(
    "431 Request Header Fields Too Large",
    f"The request line and headers are larger than {MAX_HEADER_BYTES // 1024} KiB",
)
_TOO_MANY = _answer(
    "503 Service Unavailable", "Too many connections; retry in a moment", b"retry-after: 1\r\n"
)


@cache
def limits() -> Settings:
    """This worker's settings (uvicorn builds protocols itself, so they come from the
    environment `tessera serve` passed on, read once)."""
    return Settings.from_env()


class HeaderTooLarge(Exception):
    pass


class DeadlineHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus the deadlines and bounds above."""

    deadline: float | None = None
    reading_headers = True
    header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        settings = limits()
        if len(self.connections) > settings.max_connections:
            transport.write(_TOO_MANY)
            transport.close()
            return
        self._start_headers()
        _sweeper_for(self.server_state, self.loop)

    def _start_headers(self) -> None:
        self.reading_headers = True
        self.header_bytes = 0
        self.deadline = time.monotonic() + limits().header_timeout

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_headers()

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value))
        super().on_header(name, value)

    def _count_header_bytes(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > MAX_HEADER_BYTES:
            # Raised through the parser, which stops it; uvicorn then calls send_400_response.
            raise HeaderTooLarge(f"request headers over {MAX_HEADER_BYTES} bytes")

    def send_400_response(self, msg: str) -> None:
        if self.header_bytes > MAX_HEADER_BYTES:
            self.transport.write(_HEADERS_TOO_LARGE)
            self.transport.close()
            return
        super().send_400_response(msg)

    def on_headers_complete(self) -> None:
        self.reading_headers = False
        self.deadline = time.monotonic() + limits().body_timeout
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.deadline = None
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.deadline = None
        super().connection_lost(exc)

    def deadline_passed(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        idle = self.cycle is None or self.cycle.response_complete
        if self.reading_headers and idle:
            self.transport.write(_TIMED_OUT)
        self.transport.close()


class _Sweeper:
    """Once a second, closes the connections of one server whose deadline passed."""

    def __init__(self, connections: set[Any], loop: asyncio.AbstractEventLoop) -> None:
        self.connections = connections
        self.loop = loop
        loop.call_later(SWEEP_EVERY, self.sweep)

    def sweep(self) -> None:
        now = time.monotonic()
        for connection in list(self.connections):
            deadline = getattr(connection, "deadline", None)
            if deadline is not None and deadline < now:
                connection.deadline_passed()
        self.loop.call_later(SWEEP_EVERY, self.sweep)


def _sweeper_for(server_state: Any, loop: asyncio.AbstractEventLoop) -> None:
    if getattr(server_state, "tessera_sweeper", None) is None:
        server_state.tessera_sweeper = _Sweeper(server_state.connections, loop)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What `tessera serve` passes to uvicorn for these limits."""
    return {
        "http": f"{__name__}:DeadlineHttpProtocol",
        "timeout_keep_alive": settings.keepalive_timeout,
    }
