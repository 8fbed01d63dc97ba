"""Posting a webhook safely: the one outbound HTTP request Tessera makes.

- Only ``http`` and ``https`` URLs, without credentials in them.
- The host is resolved here, every address it resolves to is checked, and the connection goes
  to a checked address (so a name cannot resolve to a public address for the check and a
  private one for the connection). Private, loopback, link-local and other non-public ranges
  are refused unless ``TESSERA_WEBHOOKS_ALLOW_PRIVATE=true``.
- One request on a fresh connection, the whole exchange within the timeout; a redirect is a
  failed attempt, never followed; at most ``MAX_RESPONSE_BYTES`` of the answer are read.
- Nothing here logs: the caller records the outcome, which carries no header of the request
  (the signature) and no part of the URL beyond what the endpoint already shows.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from functools import cache
from urllib.parse import SplitResult, urlsplit

import h11

TIMEOUT = 5.0
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_CHARS = 1000
MAX_URL_LENGTH = 2048
USER_AGENT = "Tessera-Webhooks/1.0"


class AddressRefused(ValueError):
    """A URL or the address it leads to may not receive webhooks; the message says why."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None  # the HTTP status, None when no answer came
    error: str | None  # why the attempt failed, None on a 2xx
    excerpt: str  # the start of the answer's body
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def check_url(url: str, allow_private: bool) -> SplitResult:
    """The URL's parts, or AddressRefused. A host given as an address is checked here too; a
    name is checked each time it is resolved, when posting."""
    if len(url) > MAX_URL_LENGTH:
        raise AddressRefused(f"The URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise AddressRefused("The URL is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("The URL must start with https:// (or http://)")
    if not parts.hostname:
        raise AddressRefused("The URL has no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("The URL may not carry credentials; check the signature instead")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return parts
    _check_address(address, allow_private)
    return parts


def _check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow: bool) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if allow or address.is_global:
        return
    raise AddressRefused(
        f"{address} is a private, loopback or link-local address; webhooks go to public "
        "addresses unless TESSERA_WEBHOOKS_ALLOW_PRIVATE=true"
    )


async def _resolve(host: str, port: int, allow_private: bool) -> str:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise AddressRefused(f"{host} does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        _check_address(ipaddress.ip_address(address.split("%", 1)[0]), allow_private)
    return addresses[0]


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def _host_header(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port is None else f"{host}:{parts.port}"


async def _exchange(
    parts: SplitResult, body: bytes, headers: list[tuple[str, str]], allow_private: bool
) -> tuple[int, bytes]:
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = parts.hostname or ""
    address = await _resolve(host, port, allow_private)
    reader, writer = await asyncio.open_connection(
        address, port, ssl=_tls() if https else None, server_hostname=host if https else None
    )
    try:
        client = h11.Connection(h11.CLIENT)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = h11.Request(
            method="POST",
            target=target,
            headers=[
                ("Host", _host_header(parts)),
                ("User-Agent", USER_AGENT),
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
                *headers,
            ],
        )
        writer.write(client.send(request) + client.send(h11.Data(data=body)))
        writer.write(client.send(h11.EndOfMessage()))
        await writer.drain()
        status, received = 0, bytearray()
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                client.receive_data(await reader.read(16384))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                received += event.data
                if len(received) >= MAX_RESPONSE_BYTES:
                    break
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
        return status, bytes(received[:MAX_RESPONSE_BYTES])
    finally:
        writer.close()


def _failure(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"answered {status}: redirects are not followed"
    return f"answered {status}"


async def post(
    url: str,
    body: bytes,
    headers: list[tuple[str, str]],
    *,
    allow_private: bool,
    within: float = TIMEOUT,
) -> Outcome:
    """POST ``body`` to ``url``; success only on a 2xx answer ``within`` seconds."""
    started = time.perf_counter()
    status: int | None = None
    excerpt = b""
    try:
        async with asyncio.timeout(within):
            status, excerpt = await _exchange(
                check_url(url, allow_private), body, headers, allow_private
            )
        error = _failure(status)
    except TimeoutError:
        error = f"no answer within {within:g} s"
    except AddressRefused as refused:
        error = str(refused)
    except (OSError, ssl.SSLError, h11.ProtocolError) as exc:
        error = f"could not connect: {type(exc).__name__}: {exc}"[:300]
    elapsed = int((time.perf_counter() - started) * 1000)
    text = excerpt[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]
    return Outcome(status=status, error=error, excerpt=text, duration_ms=elapsed)
