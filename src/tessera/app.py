"""``create_app(settings)``: routes, middleware and lifespan of the Tessera service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from tessera.api.contract import CONTRACTS, contract_json
from tessera.api.loyaltylion_admin.app import admin_app
from tessera.api.loyaltylion_admin.webhook_format import LoyaltyLionFormat
from tessera.api.loyaltylion_headless.app import headless_app
from tessera.api.stripe.app import stripe_app
from tessera.api.stripe.webhook_format import StripeWebhookFormat
from tessera.api.unmatched import Unmatched
from tessera.config import Settings
from tessera.kit.collector import tuned_for_serving
from tessera.logs import LEVELS, configure_logging
from tessera.metrics import Metrics, MetricsEndpoint
from tessera.observability import AccessLog, ObservabilityMiddleware
from tessera.points_schedule import points_forever
from tessera.purge import purge_forever
from tessera.readiness import readyz
from tessera.state import Tessera
from tessera.web import docs as api_docs
from tessera.web.routes import webview_app
from tessera.webhooks.delivery import Format
from tessera.webhooks.outbox import LOYALTYLION, STRIPE
from tessera.webhooks.worker import Deliverer


async def openapi(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in CONTRACTS:
        return JSONResponse({"error": {"message": f"No contract named {name!r}"}}, 404)
    return Response(contract_json(name), media_type="application/json")


class Healthz:
    """``GET /healthz``: the process answers. A fixed answer, as cheap as an answer gets."""

    BODY = b'{"status":"ok"}'
    HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"15")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.HEADERS})
        await send({"type": "http.response.body", "body": self.BODY})


class TesseraApp:
    """The service as one ASGI app: the observability middleware around the router, nothing
    else on every request's path (each dialect's sub-application renders its own errors)."""

    def __init__(
        self,
        routes: Sequence[BaseRoute],
        lifespan: Any,
        metrics: Metrics,
        access_log: AccessLog | None,
    ) -> None:
        # A path no route matched still answers in the envelope of the dialect it names.
        mounts = [(route.path, route.app) for route in routes if isinstance(route, Mount)]
        self.router = Router(routes=list(routes), lifespan=lifespan, default=Unmatched(mounts))
        self.metrics = metrics
        self._app = ObservabilityMiddleware(self.router, metrics=metrics, access_log=access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


# Each dialect's webhook request (body, signature), by the dialect an event belongs to.
WEBHOOK_FORMATS: dict[str, Format] = {
    LOYALTYLION: LoyaltyLionFormat(),
    STRIPE: StripeWebhookFormat(),
}


def create_app(settings: Settings | None = None) -> TesseraApp:
    settings = settings or Settings.from_env()
    metrics = Metrics()
    access_log = AccessLog() if LEVELS[settings.log_level] <= logging.INFO else None

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[dict[str, Any]]:
        tessera = Tessera.start(settings)
        background = [
            asyncio.create_task(purge_forever(tessera, settings.purge_interval)),
            asyncio.create_task(points_forever(tessera, settings.points_interval)),
            asyncio.create_task(Deliverer(tessera, WEBHOOK_FORMATS, metrics).forever()),
        ]
        try:
            with tuned_for_serving():
                yield {"tessera": tessera}
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await tessera.close()
            if access_log is not None:
                access_log.flush()

    # Matched in order: the load balancer's probe first, then the session APIs.
    routes = [
        Route("/healthz", Healthz(), methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Mount("/v2", app=admin_app()),
        Mount("/headless/2025-06", app=headless_app()),
        Mount("/v1", app=stripe_app()),
        Mount("/webview", app=webview_app()),
        Route("/openapi/{name}.json", openapi),
        Route("/docs", api_docs.index),
        Route("/docs/{name}", api_docs.contract_page),
        Route("/metrics", MetricsEndpoint(metrics, settings.metrics_token), methods=["GET"]),
    ]
    return TesseraApp(routes, lifespan, metrics, access_log)


def create_app_from_env() -> TesseraApp:
    """Factory for ``uvicorn --factory`` (each worker builds its own app from the environment)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
