"""The Admin API v2 as a sub-application, so unknown ``/v2`` paths and wrong methods answer in
the v2 envelope."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tessera.api.dialect_app import DialectApp
from tessera.kit.errors import INTERNAL_ERROR

from .errors import error_body
from .routes import routes


async def admin_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "Not found" if exc.status_code == 404 else (exc.detail or "Request failed")
    return Response(error_body(message), exc.status_code, media_type="application/json")


async def admin_server_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the exception after this answer, for the access log to record it.
    return Response(error_body(INTERNAL_ERROR), 500, media_type="application/json")


def admin_app() -> DialectApp:
    return DialectApp(
        routes,
        http_error=admin_http_error,
        server_error=admin_server_error,
    )
