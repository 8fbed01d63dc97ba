"""The Admin API v2 as a sub-application: every ``/v2`` error, from an unknown path to a bug,
answers in the v2 envelope (``{"error": {"message", "details"}}``)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tessera.api.dialect_app import DialectApp, DialectErrors, Failure
from tessera.kit.errors import DomainError

from . import (
    activity_routes,
    customer_routes,
    order_routes,
    reward_routes,
    transaction_routes,
    unsubscribe_routes,
    webhook_routes,
)
from .errors import error_body, render
from .routes import routes


def admin_render(request: Request, exc: Exception, headers: dict[str, str]) -> Response:
    assert isinstance(exc, DomainError)
    return render(exc, headers)


def admin_http_error(request: Request, exc: HTTPException) -> Response:
    message = "Not found" if exc.status_code == 404 else (exc.detail or "Request failed")
    return Response(
        error_body(message), exc.status_code, headers=exc.headers, media_type="application/json"
    )


def admin_failure(request: Request, failure: Failure) -> Response:
    body = error_body(failure.message, request_id=failure.request_id)
    return Response(body, failure.status, media_type="application/json")


ADMIN_ERRORS = DialectErrors(
    known=(DomainError,), render=admin_render, http_error=admin_http_error, failure=admin_failure
)


def admin_app() -> DialectApp:
    groups = (
        order_routes,
        customer_routes,
        transaction_routes,
        activity_routes,
        reward_routes,
        unsubscribe_routes,
        webhook_routes,
    )
    return DialectApp(
        [*routes, *(route for group in groups for route in group.routes)], errors=ADMIN_ERRORS
    )
