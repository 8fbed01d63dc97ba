"""The one place that turns domain errors into the Admin API's error envelope.

``{"error": {"message": ..., "details": {field: message}}}``: ``details`` only where there is
something per field to say.
"""

from __future__ import annotations

import msgspec
from starlette.responses import Response

from tessera.kit import errors

STATUS: dict[type[errors.DomainError], int] = {
    errors.Invalid: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Expired: 410,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.RateLimited: 429,
}


# Conflicts that refuse a redemption: the reference's 422 ("If the customer has insufficient
# points, the endpoint returns a HTTP 422"), given to every reason a reward cannot be claimed.
UNPROCESSABLE = frozenset(
    {
        "insufficient_points",
        "reward_limit_reached",
        "reward_not_enabled_for_customer",
        "reward_out_of_stock",
        "reward_kind_mismatch",
        "invalid_variant_id",
        "max_cart_redemptions_reached",
        "cart_requirements_not_met",
    }
)


def status_of(exc: errors.DomainError) -> int:
    if isinstance(exc, errors.Conflict) and exc.code in UNPROCESSABLE:
        return 422
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def error_body(
    message: str, details: dict[str, str] | None = None, *, request_id: str | None = None
) -> bytes:
    error: dict[str, object] = {"message": message}
    if details:
        error["details"] = details
    if request_id is not None:
        error["request_id"] = request_id
    return msgspec.json.encode({"error": error})


def render(exc: errors.DomainError, headers: dict[str, str] | None = None) -> Response:
    status = status_of(exc)
    details: dict[str, str] | None = None
    if isinstance(exc, errors.Invalid):
        details = exc.details
    elif isinstance(exc, errors.Forbidden) and exc.missing_scope:
        details = {"scope": f"requires {exc.missing_scope}"}
    return Response(
        error_body(exc.message, details), status, headers=headers, media_type="application/json"
    )
