"""Every request is measured and logged by its route template; failures and hang-ups are told
apart from each other."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.logs import configure_logging
from tessera.metrics import Metrics
from tessera.observability import AccessLine, AccessLog, ObservabilityMiddleware
from tessera.store.tables import webview_sessions
from tests.conftest import LiveServer
from tests.factories import make_tenant

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def metric_lines(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name)]


@SQLITE
async def test_metrics_name_the_route_template_not_the_path(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    await client.get("/webview/not-a-real-token")
    metrics = (await client.get("/metrics")).text
    lines = metric_lines(metrics, "tessera_http_requests_total")
    assert any('route="/webview/{token}"' in line and 'status="404"' in line for line in lines)
    assert "not-a-real-token" not in metrics


@SQLITE
async def test_an_unknown_path_is_counted_as_unmatched(client: httpx.AsyncClient) -> None:
    await client.get("/no/such/path")
    metrics = (await client.get("/metrics")).text
    lines = metric_lines(metrics, "tessera_http_requests_total")
    assert any('route="unmatched"' in line and 'status="404"' in line for line in lines)


def test_access_log_lines_are_json_with_the_route_template() -> None:
    written: list[str] = []

    class Stream:
        def write(self, text: str) -> None:
            written.append(text)

        def flush(self) -> None:
            pass

    log = AccessLog(Stream())  # type: ignore[arg-type]

    async def write_two() -> None:
        for status in (201, 404):
            log.write(
                AccessLine("2026-01-01T00:00:00Z", "POST", "/v1/customers", status, 1.5, "r-1")
            )
        log.flush()

    asyncio.run(write_two())
    lines = "".join(written).splitlines()
    assert [json.loads(line)["status"] for line in lines] == [201, 404]
    assert json.loads(lines[0]) == {
        "timestamp": "2026-01-01T00:00:00Z",
        "method": "POST",
        "route": "/v1/customers",
        "status": 201,
        "duration_ms": 1.5,
        "request_id": "r-1",
        "event": "request",
        "level": "info",
    }


async def test_an_unexpected_error_outside_a_dialect_is_a_json_500_naming_no_cause() -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("boom")

    app = ObservabilityMiddleware(broken, Metrics())  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        response = await http.get("/")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["connection"] == "close"
    error = response.json()["error"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert "boom" not in response.text


def hang_up_mid_body(url: str, path: str, auth: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
            "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n".encode()
            + b'{"channel": "app", '
        )
        time.sleep(0.05)


@SQLITE
async def test_a_client_that_hangs_up_mid_body_is_counted_not_logged_as_an_error(
    db: AsyncEngine, live_server: Callable[..., LiveServer]
) -> None:
    tenant = await make_tenant(db)
    server = live_server()
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    for _ in range(3):
        hang_up_mid_body(server.url, path, tenant.auth["Authorization"])
    async with httpx.AsyncClient(base_url=server.url) as http:
        for _ in range(50):
            metrics = (await http.get("/metrics")).text
            counted = metric_lines(metrics, "tessera_client_disconnects_total")
            if counted and counted[0].endswith(" 3.0"):
                break
            await asyncio.sleep(0.1)
    assert counted == ["tessera_client_disconnects_total 3.0"]
    server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log
    assert '"status":500' not in log
    assert '"status":499' in log
    async with db.connect() as conn:
        stored = await conn.scalar(sa.select(sa.func.count()).select_from(webview_sessions))
    assert stored == 0


class Lines:
    """A stream that keeps what was written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass

    def json(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.text.splitlines()]


async def answer_ok(scope: object, receive: object, send: Callable[..., Any]) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def observed(app: Any, stream: Lines | None = None) -> httpx.AsyncClient:
    access_log = AccessLog(stream) if stream is not None else None  # type: ignore[arg-type]
    middleware = ObservabilityMiddleware(app, Metrics(), access_log)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=middleware), base_url="http://testserver"
    )


async def test_every_answer_carries_a_new_request_id_when_the_caller_sent_none() -> None:
    async with observed(answer_ok) as http:
        first, second = await http.get("/"), await http.get("/")
    assert first.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_sane_request_id_from_the_caller_is_kept() -> None:
    async with observed(answer_ok) as http:
        response = await http.get("/", headers={"X-Request-Id": "lb-7f3a:9=+/_."})
    assert response.headers["x-request-id"] == "lb-7f3a:9=+/_."


@pytest.mark.parametrize("given", ["a" * 129, "has space", 'quote"', "semi;colon", "é"])
async def test_an_unsafe_request_id_from_the_caller_is_replaced(given: str) -> None:
    async with observed(answer_ok) as http:
        response = await http.get("/", headers={"X-Request-Id": given.encode()})
    assert response.headers["x-request-id"] != given
    assert len(response.headers["x-request-id"]) <= 128


async def test_a_500_carries_the_request_id_too() -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("boom")

    async with observed(broken) as http:
        response = await http.get("/", headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"


async def test_the_access_line_names_the_request_id() -> None:
    stream = Lines()
    async with observed(answer_ok, stream) as http:
        await http.get("/", headers={"X-Request-Id": "req-42"})
    assert stream.text == ""  # batched: written within a quarter of a second
    await asyncio.sleep(AccessLog.FLUSH_AFTER + 0.1)
    assert [line["request_id"] for line in stream.json()] == ["req-42"]


async def test_log_lines_written_while_handling_a_request_carry_its_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def warns(scope: object, receive: object, send: Callable[..., Any]) -> None:
        structlog.get_logger("tessera.test").warning("something_odd", detail="x")
        await answer_ok(scope, receive, send)

    configure_logging("info")
    try:
        async with observed(warns) as http:
            await http.get("/", headers={"X-Request-Id": "req-core"})
        structlog.get_logger("tessera.test").warning("outside_a_request")
    finally:
        structlog.reset_defaults()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["event"], line.get("request_id")) for line in lines] == [
        ("something_odd", "req-core"),
        ("outside_a_request", None),
    ]


@SQLITE
async def test_a_served_request_logs_the_id_it_answers_with(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as http:
        given = await http.get("/healthz", headers={"X-Request-Id": "from-the-balancer"})
        made = await http.get("/healthz")
    server.stop()
    logged = [
        json.loads(line)["request_id"]
        for line in server.log.read_text().splitlines()
        if line.startswith("{") and '"event":"request"' in line
    ]
    assert given.headers["x-request-id"] == "from-the-balancer"
    assert logged == ["from-the-balancer", made.headers["x-request-id"]]
