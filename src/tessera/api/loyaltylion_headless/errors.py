"""The one place that turns domain errors into the Headless API's error bodies.

- 400 (and 413, 415): ``{"error": {"message", "details": {field: message}}}``
- 401, 403: ``{"error": {"message"}}`` (403 adds ``details.scope``)
- 404: ``{"error": {"code": "not_found", "message"}}``
- 422: ``{"error": {"code", "message"}}`` with the contract's code (and ``limit`` for
  max_cart_redemptions_reached)
- 429: ``{"error": {"code": "rate_limited", "message"}}``

Get Configuration documents message-only bodies for 404 and 429; the bodies above carry a
``message`` too, so one shape satisfies every operation.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

from tessera.kit import errors

STATUS: dict[type[errors.DomainError], int] = {
    errors.Invalid: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 422,
    errors.Expired: 422,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.RateLimited: 429,
}


def error_body(exc: errors.DomainError) -> dict[str, Any]:
    error: dict[str, Any]
    if isinstance(exc, errors.RateLimited):
        error = {"code": "rate_limited", "message": exc.message}
    elif isinstance(exc, errors.NotFound):
        error = {"code": "not_found", "message": exc.message}
    elif isinstance(exc, errors.Conflict):
        error = {"code": exc.code, "message": exc.message}
        limit = getattr(exc, "limit", None)
        if isinstance(limit, int):
            error["limit"] = limit
    else:
        error = {"message": exc.message}
        if isinstance(exc, errors.Invalid) and exc.details:
            error["details"] = exc.details
        elif isinstance(exc, errors.Forbidden) and exc.missing_scope:
            error["details"] = {"scope": f"requires {exc.missing_scope}"}
    return {"error": error}


def render(exc: errors.DomainError, headers: dict[str, str] | None = None) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    return Response(
        msgspec.json.encode(error_body(exc)), status, headers=headers, media_type="application/json"
    )
