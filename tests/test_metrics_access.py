"""``/metrics`` is no public page: with ``TESSERA_METRICS_TOKEN`` set it needs that bearer token,
and without one it answers only to clients on the same machine."""

from __future__ import annotations

import httpx

from tessera.app import create_app
from tessera.config import Settings

REMOTE = ("203.0.113.9", 40000)
LOOPBACK = ("127.0.0.1", 40000)
TOKEN = "metrics-token-for-the-test"


def metrics_client(settings: Settings, client: tuple[str, int]) -> httpx.AsyncClient:
    # /metrics needs no database, so the app is called without its lifespan.
    transport = httpx.ASGITransport(app=create_app(settings), client=client)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_without_a_token_metrics_answer_a_client_on_this_machine() -> None:
    async with metrics_client(Settings(), LOOPBACK) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert "tessera_http_requests_total" in response.text


async def test_without_a_token_metrics_refuse_a_remote_client() -> None:
    async with metrics_client(Settings(), REMOTE) as http:
        response = await http.get("/metrics")
    assert response.status_code == 403
    assert "TESSERA_METRICS_TOKEN" in response.json()["error"]["message"]
    assert "tessera_" not in response.text


async def test_with_a_token_metrics_answer_its_bearer_from_anywhere() -> None:
    async with metrics_client(Settings(metrics_token=TOKEN), REMOTE) as http:
        response = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "tessera_http_requests_total" in response.text


async def test_with_a_token_metrics_refuse_a_missing_or_wrong_token_even_locally() -> None:
    async with metrics_client(Settings(metrics_token=TOKEN), LOOPBACK) as http:
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer not-it"})
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert "tessera_" not in response.text


def test_the_metrics_token_is_read_from_the_environment() -> None:
    assert Settings.from_env({"TESSERA_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    assert Settings.from_env({}).metrics_token is None
