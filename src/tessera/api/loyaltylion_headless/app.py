"""The Headless API as a sub-application, so unknown paths and wrong methods under
``/headless/2025-06`` answer in the Headless envelope."""

from __future__ import annotations

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tessera.api.dialect_app import DialectApp
from tessera.kit.errors import INTERNAL_ERROR

from .routes import routes


async def headless_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: dict[str, str] = {"message": exc.detail or "Request failed"}
    if exc.status_code == 404:
        error = {"code": "not_found", "message": "Not found"}
    return Response(
        msgspec.json.encode({"error": error}),
        exc.status_code,
        headers=exc.headers,
        media_type="application/json",
    )


async def headless_server_error(request: Request, exc: Exception) -> Response:
    body = {"error": {"message": INTERNAL_ERROR}}
    return Response(msgspec.json.encode(body), 500, media_type="application/json")


def headless_app() -> DialectApp:
    return DialectApp(
        routes,
        http_error=headless_http_error,
        server_error=headless_server_error,
    )
