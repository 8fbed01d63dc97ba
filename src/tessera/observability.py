"""Prometheus metrics and a JSON access log, as one pure ASGI middleware.

Paths are logged and labelled by their route template (``/webview/{token}``), never verbatim:
a WebView URL *is* a secret.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import Match, Mount, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("tessera.access")


class Metrics:
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


def route_template(router: Router, scope: Scope) -> str:
    """The matching route's path template, following mounts; ``unmatched`` when none."""
    prefix = ""
    routes: list[Any] = list(router.routes)
    while True:
        for route in routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                if isinstance(route, Mount):
                    prefix += route.path
                    scope = {**scope, **child}
                    routes = list(route.routes)
                    break
                if isinstance(route, Route):
                    return prefix + route.path
                return prefix + getattr(route, "path", "")
        else:
            return "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, router: Router, metrics: Metrics) -> None:
        self.app = app
        self.router = router
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Before dispatch: routing rewrites the scope's root_path as it descends into mounts.
        route = route_template(self.router, dict(scope))
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            log.info(
                "request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
