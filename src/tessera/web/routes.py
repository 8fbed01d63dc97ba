"""WebView routes (placeholder until the Loyalty Page lands)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
