"""The id a request's failure answers name: the one the observability middleware gave the
request (the caller's sane ``X-Request-Id``, else a new one), which its ``X-Request-Id`` answer
header and every log line carry too; or a dialect's own (Stripe's ``Request-Id``), when the
dialect set one in the scope's state."""

from __future__ import annotations

from starlette.types import Scope

from tessera.observability import current_request_id, request_id_of


def request_id(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    found: str | None = state.get("request_id")
    if found is None:
        # Outside the middleware (an app driven on its own) the same rule makes one.
        found = current_request_id() or request_id_of(scope.get("headers", []))[1]
        state["request_id"] = found
    return found
