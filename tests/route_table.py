"""Every (method, path) the app serves, read from its route tables, so the suites that walk
"every endpoint" cannot leave a new route out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from starlette.routing import BaseRoute, Mount, Route

from tessera.app import create_app
from tessera.config import Settings

# The API dialects: sub-applications whose every route is an operation of one served contract.
DIALECTS = {"/v2": "admin-v2", "/headless/2025-06": "headless-2025-06", "/v1": "stripe"}


@dataclass(frozen=True, order=True)
class Operation:
    method: str
    path: str  # the contract's template: {name}, without Starlette's :converter

    @property
    def dialect(self) -> str | None:
        for prefix, contract in DIALECTS.items():
            if self.path.startswith(prefix + "/"):
                return contract
        return None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def _inner_routes(mount: Mount) -> list[BaseRoute]:
    """A mounted app's routes: a Starlette app's, a sub-application's router's, or the mount's."""
    inner = mount.app
    for holder in (inner, getattr(inner, "router", None)):
        routes = getattr(holder, "routes", None)
        if isinstance(routes, list):
            return routes
    return list(mount.routes)


def _walk(routes: list[BaseRoute], prefix: str) -> list[Operation]:
    found: list[Operation] = []
    for route in routes:
        if isinstance(route, Mount):
            found += _walk(_inner_routes(route), prefix + route.path)
        elif isinstance(route, Route):
            # Starlette adds HEAD beside every GET; the contracts document the GET.
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                found.append(Operation(method, _template(prefix + route.path)))
    return found


@cache
def _table() -> tuple[Operation, ...]:
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    return tuple(sorted(set(_walk(list(app.router.routes), ""))))


def dialect_operations() -> list[Operation]:
    """Every operation under the three API dialects' prefixes."""
    return [op for op in _table() if op.dialect is not None]


def other_operations() -> list[Operation]:
    """Every other route: the probe, the contracts, the docs, the metrics, the WebView pages."""
    return [op for op in _table() if op.dialect is None]


def concrete(path: str, values: dict[str, str]) -> str:
    """``/v1/customers/{customer}`` with ``{"customer": "cus_1"}`` -> ``/v1/customers/cus_1``."""
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
