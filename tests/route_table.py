"""Every (method, path) the app serves, read from its route tables, so the suites that walk
"every endpoint" cannot leave a new route out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from starlette.routing import BaseRoute, Mount, Route

from tessera.api.dialect_app import DialectApp
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


def _walk(routes: list[BaseRoute], prefix: str) -> list[tuple[Operation, bool]]:
    found: list[tuple[Operation, bool]] = []
    for route in routes:
        if isinstance(route, Mount):
            inner = route.app
            if isinstance(inner, DialectApp):
                found += [(op, True) for op, _ in _walk(inner.router.routes, prefix + route.path)]
            else:
                found += _walk(list(getattr(inner, "routes", route.routes)), prefix + route.path)
        elif isinstance(route, Route):
            # Starlette adds HEAD beside every GET; the contracts document the GET.
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                found.append((Operation(method, _template(prefix + route.path)), False))
    return found


@cache
def _table() -> tuple[tuple[Operation, bool], ...]:
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    found = []
    for route in app.router.routes:
        if isinstance(route, Route) and not isinstance(route, Mount):
            methods = sorted((route.methods or {"GET"}) - {"HEAD"})
            found += [(Operation(m, _template(route.path)), False) for m in methods]
        else:
            found += _walk([route], "")
    return tuple(sorted(set(found)))


def dialect_operations() -> list[Operation]:
    """Every operation of the three API dialects' sub-applications."""
    return [op for op, in_dialect in _table() if in_dialect]


def other_operations() -> list[Operation]:
    """Every other route: the probe, the contracts, the docs, the metrics, the WebView pages."""
    return [op for op, in_dialect in _table() if not in_dialect]


def concrete(path: str, values: dict[str, str]) -> str:
    """``/v1/customers/{customer}`` with ``{"customer": "cus_1"}`` -> ``/v1/customers/cus_1``."""
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
