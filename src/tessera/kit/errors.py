"""Dialect-neutral domain errors.

The core raises these; each API dialect renders them in its own envelope (see the
``errors`` module of each ``tessera.api`` package and ``tessera.web``). Nothing here knows
about HTTP status codes.
"""

from __future__ import annotations

# What every dialect says, in its own envelope, when something unexpected failed (never why).
INTERNAL_ERROR = "Tessera could not complete this request; the error is logged. Please retry."
# What every dialect says (a 503 with Retry-After) while the database cannot be reached.
DATABASE_UNAVAILABLE = (
    "Tessera's database is unavailable right now; nothing was changed. Please retry shortly."
)


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(DomainError):
    """No credentials, or credentials that match nothing."""


class Forbidden(DomainError):
    """Valid credentials that lack a permission (a scope)."""

    def __init__(self, message: str, *, missing_scope: str | None = None) -> None:
        super().__init__(message)
        self.missing_scope = missing_scope


class NotFound(DomainError):
    """The resource does not exist *for this tenant*: never says whether it exists elsewhere."""

    def __init__(self, resource: str, message: str | None = None) -> None:
        super().__init__(message or f"{resource} not found")
        self.resource = resource


class Invalid(DomainError):
    """Input that breaks a rule. ``details`` maps a dotted field path to what is wrong with it."""

    def __init__(self, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class UnsupportedMediaType(DomainError):
    """A body sent with a content type the endpoint does not read."""


class PayloadTooLarge(DomainError):
    """A body larger than the endpoint accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the limit of {limit} bytes")
        self.limit = limit


class Conflict(DomainError):
    """The request cannot be applied in the resource's current state."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Expired(DomainError):
    """A session, token or secret that existed but whose lifetime is over."""


class RateLimited(DomainError):
    """Too many requests for the caller's limit; ``retry_after`` is in whole seconds."""

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(f"Rate limit exceeded: at most {limit}")
        self.limit = limit
        self.retry_after = retry_after


class MissingReference(Invalid):
    """A request field names a resource that does not exist for this tenant (an input error,
    unlike :class:`NotFound`, which is about the resource the request addresses)."""

    def __init__(self, field: str, resource: str, message: str) -> None:
        super().__init__(message, {field: message})
        self.field = field
        self.resource = resource
