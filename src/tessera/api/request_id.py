"""The id a request's failure answers and log lines name: the caller's ``X-Request-Id`` when it
is a plain token (a load balancer's), else one made up once per request."""

from __future__ import annotations

import re
import secrets

from starlette.types import Scope

_TOKEN = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    found: str | None = state.get("request_id")
    if found is None:
        sent = next((v for n, v in scope.get("headers", ()) if n == b"x-request-id"), b"")
        found = sent.decode() if _TOKEN.fullmatch(sent) else "req_" + secrets.token_hex(12)
        state["request_id"] = found
    return found
