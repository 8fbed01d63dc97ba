"""Slow and idle connections are closed, and a worker holds a bounded number of them (against a
live `tessera serve`, with raw sockets)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from tessera.config import Settings
from tessera.connections import MAX_HEADER_BYTES
from tests.conftest import LiveServer

HEADER_TIMEOUT = 2
BODY_TIMEOUT = 2
MAX_CONNECTIONS = 8
# The deadline sweep runs once a second; allow for it and a slow machine.
SLACK = 2.5


SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def server(live_server: Callable[..., LiveServer]) -> Iterator[LiveServer]:
    yield live_server(
        env={
            "TESSERA_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "TESSERA_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "TESSERA_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        }
    )


def connect(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def read_response(sock: socket.socket) -> bytes:
    """One whole answer (status line, headers and a Content-Length body) off ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return data


def trickle_until_closed(sock: socket.socket, data: bytes, limit: float) -> tuple[float, bytes]:
    """Send ``data`` a byte every 0.3 s until the server closes; seconds taken and its answer."""
    started = time.monotonic()
    sock.settimeout(0.3)
    answer = b""
    for byte in data:
        if time.monotonic() - started > limit:
            break
        try:
            sock.sendall(bytes([byte]))
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
        if not chunk:
            break
        answer += chunk
    return time.monotonic() - started, answer


@SQLITE
def test_a_slowloris_sending_a_header_byte_at_a_time_is_closed_after_the_header_timeout(
    server: LiveServer,
) -> None:
    headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 500
    with connect(server) as sock:
        took, answer = trickle_until_closed(sock, headers, limit=HEADER_TIMEOUT + 10)
    assert took < HEADER_TIMEOUT + SLACK
    assert answer.startswith(b"HTTP/1.1 408 ")


@SQLITE
def test_many_half_open_connections_are_all_closed_after_the_header_timeout(
    server: LiveServer,
) -> None:
    # The finding: 300 half-open sockets stayed open 40 s. Here as many as one worker may hold.
    held = [connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in held:
            sock.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        for sock in held:
            sock.settimeout(HEADER_TIMEOUT + SLACK)
            while sock.recv(4096):
                pass
        assert time.monotonic() - started < HEADER_TIMEOUT + SLACK
    finally:
        for sock in held:
            sock.close()


@SQLITE
def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(
    server: LiveServer,
) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        answer = sock.recv(4096)
        assert sock.recv(4096) == b""
    assert time.monotonic() - started < HEADER_TIMEOUT + SLACK
    assert answer.startswith(b"HTTP/1.1 408 ")


@SQLITE
def test_a_body_that_trickles_in_is_cut_off_after_the_body_timeout(server: LiveServer) -> None:
    head = (
        b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
        b"\r\nContent-Length: 1000\r\n\r\n"
    )
    with connect(server) as sock:
        sock.sendall(head)
        took, _ = trickle_until_closed(sock, b"a" * 1000, limit=BODY_TIMEOUT + 10)
    assert took < BODY_TIMEOUT + SLACK


@SQLITE
def test_a_keep_alive_connection_serves_request_after_request(server: LiveServer) -> None:
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 200 ")
            # Longer in total than the header timeout: only each request's own headers count.
            time.sleep(HEADER_TIMEOUT * 0.6)


@SQLITE
def test_connections_past_the_bound_are_refused_with_503(server: LiveServer) -> None:
    held = [connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        with connect(server) as extra:
            answer = extra.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")


@SQLITE
def test_headers_past_the_size_bound_are_refused_with_431(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(MAX_HEADER_BYTES // 1000 + 2):
                sock.sendall(b"X-Big: " + b"b" * 1000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_connection_limits_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "TESSERA_HEADER_TIMEOUT": "7",
            "TESSERA_BODY_TIMEOUT": "20",
            "TESSERA_KEEPALIVE_TIMEOUT": "3",
            "TESSERA_MAX_CONNECTIONS": "50",
        }
    )
    assert (settings.header_timeout, settings.body_timeout) == (7, 20)
    assert (settings.keepalive_timeout, settings.max_connections) == (3, 50)
    with pytest.raises(ValueError, match="TESSERA_MAX_CONNECTIONS"):
        Settings.from_env({"TESSERA_MAX_CONNECTIONS": "0"})
