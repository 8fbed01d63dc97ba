"""Every body on every route is bounded while it streams, and refused before any credential is
checked: a 413 in the dialect's own envelope, answered before the client has sent it all. A
client that hangs up while sending is no server error."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import LiveServer, start_live_server
from tests.factories import make_tenant

CHUNK = b"x" * 65536
CHUNKS = 200  # 12.5 MiB, far over every limit
NO_KEY = {"Authorization": "Bearer sk_test_nobody", "Content-Type": "application/json"}
VISIT = {"Cookie": "tessera_visit=anything", "Content-Type": "application/x-www-form-urlencoded"}

# (name, path, headers, how the 413's body must look)
ROUTES: list[tuple[str, str, dict[str, str], str]] = [
    ("page-redeem", "/webview/page/rewards/1/redeem", VISIT, "html"),
    ("admin", "/v2/sites/1/webviews/sessions", NO_KEY, "lion"),
    ("headless", "/headless/2025-06/1/customers/c1/sessions?channel=web", NO_KEY, "lion"),
    (
        "stripe",
        "/v1/customers",
        {**NO_KEY, "Content-Type": "application/x-www-form-urlencoded"},
        "stripe",
    ),
]
IDS = [route[0] for route in ROUTES]


def assert_envelope(kind: str, response_type: str, body: str) -> None:
    if kind == "html":
        assert response_type.startswith("text/html") and "<html" in body.lower(), body
    else:
        assert response_type.startswith("application/json"), body
        assert "larger than the limit" in body, body
        if kind == "stripe":
            assert '"type":"invalid_request_error"' in body, body


class Counted:
    """A streamed request body (chunked: no Content-Length) that counts what was read of it."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(CHUNKS):
            self.sent += 1
            yield CHUNK


@pytest.mark.parametrize(("name", "path", "headers", "kind"), ROUTES, ids=IDS)
async def test_a_streamed_body_over_the_limit_is_a_413_before_it_is_all_read(
    client: httpx.AsyncClient, name: str, path: str, headers: dict[str, str], kind: str
) -> None:
    body = Counted()
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert response.headers["connection"] == "close"
    assert_envelope(kind, response.headers["content-type"], response.text)
    assert body.sent < CHUNKS // 10


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[LiveServer]:
    """One served Tessera (SQLite) for the module: its answers come before the body is read."""
    base = tmp_path_factory.mktemp("bounds")
    database = base / "tessera.db"
    shutil.copyfile(sqlite_template, database)
    server = start_live_server(f"sqlite:///{database}", base)
    try:
        yield server
    finally:
        server.stop()


def request_head(path: str, headers: dict[str, str], port: int, extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


class Connection(asyncio.Protocol):
    """A raw client connection that keeps what it received even when the server resets it
    (as it does, closing with the rest of the body unread)."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.arrived = asyncio.Event()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += data
        self.arrived.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.arrived.set()

    def answer(self) -> tuple[int, dict[str, str], str] | None:
        head, found, rest = bytes(self.received).partition(b"\r\n\r\n")
        if not found:
            return None
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(rest) < length:
            return None
        return int(status_line.split()[1]), headers, rest[:length].decode("utf-8", "replace")


async def stream_until_answered(
    live: LiveServer, path: str, headers: dict[str, str], extra: str, chunked: bool
) -> tuple[int, dict[str, str], str, int]:
    """Send the head, then body (up to 1 GiB) until the answer comes; the status,
    headers, body, and how many bytes of body had been sent when the answer came."""
    port = int(live.url.rsplit(":", 1)[1])
    loop = asyncio.get_running_loop()
    transport, connection = await loop.create_connection(Connection, "127.0.0.1", port)
    transport.write(request_head(path, headers, port, extra))
    frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n" if chunked else CHUNK
    sent = 0
    deadline = loop.time() + 20
    try:
        # A chunk at a time, waiting a moment for the answer after each: a client that only
        # wrote would have the server's reset (it closes with the rest unread) drop the answer.
        while (answer := connection.answer()) is None:
            assert loop.time() < deadline, f"no answer after {sent} bytes"
            if not transport.is_closing() and sent < 1024**3:
                transport.write(frame)
                sent += len(CHUNK)
            connection.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(connection.arrived.wait(), 0.05)
    finally:
        transport.close()
    return (*answer, sent)


@pytest.mark.parametrize(("name", "path", "headers", "kind"), ROUTES, ids=IDS)
async def test_a_chunked_body_is_refused_while_it_streams_on_a_served_tessera(
    live: LiveServer, name: str, path: str, headers: dict[str, str], kind: str
) -> None:
    status, answer, body, sent = await stream_until_answered(
        live, path, headers, "Transfer-Encoding: chunked\r\n", chunked=True
    )
    assert status == 413, body
    assert answer["connection"] == "close"
    assert_envelope(kind, answer["content-type"], body)
    assert sent < 1024 * 1024  # of the 1 GiB it would have sent


@pytest.mark.parametrize(("name", "path", "headers", "kind"), ROUTES, ids=IDS)
async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    live: LiveServer, name: str, path: str, headers: dict[str, str], kind: str
) -> None:
    status, answer, body, sent = await stream_until_answered(
        live, path, headers, f"Content-Length: {300 * 1024 * 1024}\r\n", chunked=False
    )
    assert status == 413, body
    assert_envelope(kind, answer["content-type"], body)
    assert sent < 1024 * 1024


async def test_a_client_hanging_up_mid_body_is_counted_as_499_without_a_traceback(
    live: LiveServer,
) -> None:
    port = int(live.url.rsplit(":", 1)[1])
    for _ in range(5):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        _, path, headers, _ = ROUTES[1]
        writer.write(request_head(path, headers, port, "Content-Length: 60000\r\n") + b"{" * 100)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await writer.wait_closed()
    async with httpx.AsyncClient(base_url=live.url) as http:
        assert (await http.get("/healthz")).status_code == 200
    await asyncio.sleep(0.5)  # the access log is written in batches
    log = live.log.read_text()
    assert log.count('"status":499') >= 5, log
    assert "Traceback" not in log and "unhandled_error" not in log, log


def _json_nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    "path",
    ["/v2/sites/{site}/webviews/sessions", "/headless/2025-06/{site}/customers/c1/sessions"],
    ids=["admin", "headless"],
)
async def test_json_nested_deeper_than_the_limit_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine, path: str
) -> None:
    tenant = await make_tenant(db)
    body = b'{"customer": ' + _json_nested(1000) + b"}"
    response = await client.post(
        path.format(site=tenant.site.id),
        params={"channel": "web"},
        content=body,
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert "deeper than" in response.json()["error"]["details"]["body"]
