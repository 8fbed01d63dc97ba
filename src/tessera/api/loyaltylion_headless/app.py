"""The Headless API as a sub-application: every error under ``/headless/2025-06``, from an
unknown path to a bug, answers in the Headless envelope."""

from __future__ import annotations

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tessera.api.dialect_app import DialectApp, DialectErrors, Failure
from tessera.kit.errors import DomainError

from .errors import render
from .routes import routes


def headless_render(request: Request, exc: Exception, headers: dict[str, str]) -> Response:
    assert isinstance(exc, DomainError)
    return render(exc, headers)


def headless_http_error(request: Request, exc: HTTPException) -> Response:
    error: dict[str, str] = {"message": exc.detail or "Request failed"}
    if exc.status_code == 404:
        error = {"code": "not_found", "message": "Not found"}
    return Response(
        msgspec.json.encode({"error": error}),
        exc.status_code,
        headers=exc.headers,
        media_type="application/json",
    )


def headless_failure(request: Request, failure: Failure) -> Response:
    body = {"error": {"message": failure.message, "request_id": failure.request_id}}
    return Response(msgspec.json.encode(body), failure.status, media_type="application/json")


HEADLESS_ERRORS = DialectErrors(
    known=(DomainError,),
    render=headless_render,
    http_error=headless_http_error,
    failure=headless_failure,
)


def headless_app() -> DialectApp:
    return DialectApp(routes, errors=HEADLESS_ERRORS)
