"""Admin API v2 customer endpoints: decode, call one service, encode."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
