"""Prometheus metrics (``tessera_*``), one registry per app, and who may read them.

Everything is counted from the answers, in tessera.observability's middleware: what a client was
told is what happened (a session counts as minted once its answer says so, after its commit),
and no endpoint or service carries counting code. Each app has its own registry, so the many
apps a test process builds do not add up; `tessera serve` builds one per worker, and each
worker's ``/metrics`` serves its own counters.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

import msgspec
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import Receive, Scope, Send

CLIENT_CLOSED = 499  # nginx's name for a client that hung up before its answer

# The routes that mint a session, by dialect: a 2xx answer from one (not a replay) is a session.
SESSION_ROUTES = {
    ("POST", "/v2/sites/{site_id}/webviews/sessions"): "webview",
    ("POST", "/headless/2025-06/{site_id}/customers/{merchant_id}/sessions"): "headless",
    ("POST", "/v1/customer_sessions"): "stripe",
}
TOO_MANY_REQUESTS = 429


class Metrics:
    """One app's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tessera_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tessera_http_request_duration_seconds",
            "Time to answer, by route template",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.client_disconnects = Counter(
            "tessera_client_disconnects",
            "Requests whose client hung up before the answer was sent",
            registry=self.registry,
        )
        self.sessions_minted = Counter(
            "tessera_sessions_minted",
            "Sessions minted, by dialect (webview, headless, stripe)",
            ["dialect"],
            registry=self.registry,
        )
        for dialect in SESSION_ROUTES.values():
            self.sessions_minted.labels(dialect)
        self.rate_limit_refusals = Counter(
            "tessera_rate_limit_refusals",
            "Requests refused with 429 by a rate limit, by route template",
            ["route"],
            registry=self.registry,
        )
        self.idempotent_replays = Counter(
            "tessera_idempotent_replays",
            "Stripe requests answered from a stored answer (Idempotent-Replayed: true)",
            registry=self.registry,
        )
        # The webhook worker's (tessera.webhooks.worker): each attempt by what it led to, and
        # how long the oldest event still to be delivered has waited.
        self.webhook_deliveries = Counter(
            "tessera_webhook_deliveries",
            "Webhook delivery attempts, by outcome (succeeded, retrying, failed)",
            ["status"],
            registry=self.registry,
        )
        for status in ("succeeded", "retrying", "failed"):
            self.webhook_deliveries.labels(status)
        self.webhook_outbox_age = Gauge(
            "tessera_webhook_outbox_age_seconds",
            "Age of the oldest event not yet delivered to every endpoint (0 when none)",
            registry=self.registry,
        )
        # What one (method, route, status) answer counts in, looked up once and kept.
        self._counts: dict[tuple[str, str, int], tuple[Any, ...]] = {}
        self._latency: dict[str, Any] = {}

    def _counters_for(self, method: str, route: str, status: int) -> tuple[Any, ...]:
        counters = [self.requests.labels(method, route, str(status))]
        if status == CLIENT_CLOSED:
            counters.append(self.client_disconnects)
        elif status == TOO_MANY_REQUESTS:
            counters.append(self.rate_limit_refusals.labels(route))
        elif 200 <= status < 300 and (method, route) in SESSION_ROUTES:
            counters.append(self.sessions_minted.labels(SESSION_ROUTES[method, route]))
        return tuple(counters)

    def observe(
        self, method: str, route: str, status: int, seconds: float, *, replayed: bool = False
    ) -> None:
        counters = self._counts.get((method, route, status))
        if counters is None:
            counters = self._counts[method, route, status] = self._counters_for(
                method, route, status
            )
        if replayed:
            # A stored answer: neither a new session nor a new refusal.
            self.requests.labels(method, route, str(status)).inc()
            self.idempotent_replays.inc()
        else:
            for counter in counters:
                counter.inc()
        histogram = self._latency.get(route)
        if histogram is None:
            histogram = self._latency[route] = self.latency.labels(route)
        histogram.observe(seconds)


def is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False  # a Unix socket, or a server that does not say: not known to be local
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


class MetricsEndpoint:
    """``GET /metrics``: with a token set, only to ``Authorization: Bearer <token>``; without
    one, only to clients on this machine (a Prometheus or agent beside each worker). Metrics
    name routes, volumes and error rates: nothing for the whole internet."""

    def __init__(self, metrics: Metrics, token: str | None) -> None:
        self.metrics = metrics
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope)
        if refusal is not None:
            status, headers, message = refusal
            body = msgspec.json.encode({"error": {"message": message}})
            await _answer(send, status, body, b"application/json", headers)
            return
        body = generate_latest(self.metrics.registry)
        await _answer(send, 200, body, CONTENT_TYPE_LATEST.encode(), [])

    def _refusal(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], str] | None:
        if self.expected is None:
            if is_loopback(scope):
                return None
            return (
                403,
                [],
                (
                    "Metrics are served to this machine only; "
                    "set TESSERA_METRICS_TOKEN to read them from elsewhere"
                ),
            )
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if hmac.compare_digest(given, self.expected):
            return None
        return (
            401,
            [(b"www-authenticate", b'Bearer realm="metrics"')],
            ("Metrics need 'Authorization: Bearer <TESSERA_METRICS_TOKEN>'"),
        )


async def _answer(
    send: Send, status: int, body: bytes, media_type: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
