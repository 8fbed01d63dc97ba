"""Encoding answers: every dialect's JSON goes out through msgspec."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(payload), status, media_type="application/json")
