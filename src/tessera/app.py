"""``create_app(settings)``: routes, middleware and lifespan of the Tessera service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, Router

from tessera.api.contract import CONTRACTS, contract_json
from tessera.api.loyaltylion_admin.errors import error_body
from tessera.api.loyaltylion_admin.routes import routes as admin_routes
from tessera.api.loyaltylion_headless.app import headless_app
from tessera.api.stripe.app import stripe_app
from tessera.config import Settings
from tessera.kit.errors import INTERNAL_ERROR
from tessera.logs import configure_logging
from tessera.observability import Metrics, ObservabilityMiddleware
from tessera.state import Tessera
from tessera.web import docs as api_docs
from tessera.web.routes import routes as webview_routes


async def admin_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "Not found" if exc.status_code == 404 else (exc.detail or "Request failed")
    return Response(error_body(message), exc.status_code, media_type="application/json")


async def admin_server_error(request: Request, exc: Exception) -> Response:
    # Starlette logs and re-raises the exception; the caller still gets the v2 envelope.
    return Response(error_body(INTERNAL_ERROR), 500, media_type="application/json")


def admin_app() -> Starlette:
    # A sub-application so that unknown /v2 paths and wrong methods answer in the v2 envelope.
    return Starlette(
        routes=admin_routes,
        exception_handlers={HTTPException: admin_http_error, 500: admin_server_error},
    )


async def openapi(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in CONTRACTS:
        return JSONResponse({"error": {"message": f"No contract named {name!r}"}}, 404)
    return Response(contract_json(name), media_type="application/json")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    metrics = Metrics()

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        tessera = Tessera.start(settings)
        try:
            yield {"tessera": tessera}
        finally:
            await tessera.close()

    routes = [
        Mount("/v2", app=admin_app()),
        Mount("/headless/2025-06", app=headless_app()),
        Mount("/v1", app=stripe_app()),
        Mount("/webview", routes=webview_routes),
        Route("/openapi/{name}.json", openapi),
        Route("/docs", api_docs.index),
        Route("/docs/{name}", api_docs.contract_page),
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(ObservabilityMiddleware, router=Router(routes=routes), metrics=metrics)
    return app


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (each worker builds its own app from the environment)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
