"""Human-readable API docs (placeholder)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response


async def index(request: Request) -> Response:
    return HTMLResponse("<h1>Tessera API</h1>")


async def contract_page(request: Request) -> Response:
    return HTMLResponse("<h1>Tessera API</h1>")
