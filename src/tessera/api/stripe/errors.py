"""The one place that turns errors into Stripe's envelope:
``{"error": {"type", "code", "message", "param", "doc_url"}}``, with Stripe's status codes, so
stripe-python raises the exception class it raises against Stripe itself."""

from __future__ import annotations

import msgspec
from starlette.responses import Response

from tessera.kit import errors

from .params import ParamError

DOCS = "https://stripe.com/docs/error-codes/"

MISSING_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)
RATE_LIMITED = (
    "Too many requests hit the API too quickly. We recommend an exponential backoff of your "
    "requests. Learn more about rate limits here https://stripe.com/docs/rate-limits."
)


class StripeApiError(Exception):
    """An error only the Stripe dialect knows (idempotency, keys of the wrong kind...)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param


def error_body(
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    request_id: str | None = None,
) -> bytes:
    error: dict[str, str] = {"type": type, "message": message}
    if request_id is not None:
        error["request_id"] = request_id
    if code is not None:
        error["code"] = code
        error["doc_url"] = DOCS + code.replace("_", "-")
    if param is not None:
        error["param"] = param
    return msgspec.json.encode({"error": error})


def _envelope(exc: Exception) -> tuple[int, bytes]:
    if isinstance(exc, StripeApiError):
        return exc.status, error_body(exc.message, type=exc.type, code=exc.code, param=exc.param)
    if isinstance(exc, ParamError):
        return 400, error_body(exc.message, code=exc.code, param=exc.param)
    if isinstance(exc, errors.MissingReference):
        return 400, error_body(exc.message, code="resource_missing", param=exc.field)
    if isinstance(exc, errors.NotFound):
        return 404, error_body(exc.message, code="resource_missing", param="id")
    if isinstance(exc, errors.Invalid):
        param = next(iter(exc.details), None)
        return 400, error_body(exc.message, param=param)
    if isinstance(exc, errors.Unauthenticated):
        return 401, error_body(exc.message)
    if isinstance(exc, errors.Forbidden):
        return 403, error_body(exc.message)
    if isinstance(exc, errors.Conflict):
        return 400, error_body(exc.message, code=exc.code)
    if isinstance(exc, errors.Expired):
        # The only things that expire in this dialect are customer sessions (and the ephemeral
        # keys their claims hand out, which live exactly as long).
        return 400, error_body(exc.message, code="customer_session_expired")
    if isinstance(exc, errors.RateLimited):
        return 429, error_body(RATE_LIMITED, code="rate_limit")
    if isinstance(exc, errors.PayloadTooLarge):
        return 413, error_body(exc.message)
    if isinstance(exc, errors.UnsupportedMediaType):
        return 415, error_body(exc.message)
    assert isinstance(exc, errors.DomainError)
    return 400, error_body(exc.message)


def render(exc: Exception, headers: dict[str, str] | None = None) -> Response:
    status, body = _envelope(exc)
    return Response(body, status, headers=headers, media_type="application/json")


def unrecognized_url(method: str, path: str) -> Response:
    message = (
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we "
        "can help at https://support.stripe.com/."
    )
    return Response(error_body(message), 404, media_type="application/json")
