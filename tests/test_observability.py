"""Every request is measured and logged by its route template; failures and hang-ups are told
apart from each other."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.observability import AccessLine, AccessLog, Metrics, ObservabilityMiddleware
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
            log.write(AccessLine("2026-01-01T00:00:00Z", "POST", "/v1/customers", status, 1.5))
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
        "event": "request",
        "level": "info",
    }


async def test_an_unexpected_error_is_a_500_and_the_connection_stays_usable() -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("boom")

    app = ObservabilityMiddleware(broken, Metrics())  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        response = await http.get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
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
