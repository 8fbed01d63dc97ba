"""The root router's answer for a path no mount matched.

Starlette's mounts match ``/v2/...`` with a pattern that stops at a newline, so a path holding
one (``/headless/2025-06/1/customers/a%0Ab``) would fall through to a plain-text ``Not Found``.
Here such a path still reaches the dialect its prefix names, whose routes (and errors, in its
own envelope) take it from there; any other path is a JSON 404."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

NOT_FOUND = msgspec.json.encode({"error": {"message": "Not found"}})


class Unmatched:
    """``Router(default=Unmatched([("/v2", admin), ...]))``: the mounts' prefixes and apps."""

    def __init__(self, mounts: Sequence[tuple[str, ASGIApp]]) -> None:
        self.mounts = list(mounts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root_path = scope.get("root_path", "")
            path: str = scope["path"]
            route_path = path[len(root_path) :] if path.startswith(root_path) else path
            for prefix, app in self.mounts:
                if route_path.startswith(prefix + "/"):
                    child = {
                        **scope,
                        "app_root_path": scope.get("app_root_path", root_path),
                        "root_path": root_path + prefix,
                    }
                    await app(child, receive, send)
                    return
        response = Response(NOT_FOUND, 404, media_type="application/json")
        await response(scope, receive, send)
