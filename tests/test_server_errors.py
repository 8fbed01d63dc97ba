"""An unexpected failure still answers in the caller's dialect, and never says why."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from starlette.requests import Request
from starlette.responses import Response

from tessera.api.loyaltylion_admin.app import admin_server_error
from tessera.api.loyaltylion_headless.app import headless_server_error
from tessera.api.stripe.app import stripe_server_error

Handler = Callable[[Request, Exception], Awaitable[Response]]


@pytest.mark.parametrize(
    ("handler", "shape"),
    [
        (admin_server_error, {"message"}),
        (headless_server_error, {"message"}),
        (stripe_server_error, {"type", "message"}),
    ],
)
async def test_a_500_is_in_the_dialects_envelope_without_the_cause(
    handler: Handler, shape: set[str]
) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    response = await handler(request, RuntimeError("pat_0123 leaked into a message"))
    assert response.status_code == 500
    assert response.media_type == "application/json"
    error = json.loads(bytes(response.body))["error"]
    assert shape <= set(error)
    assert "pat_0123" not in bytes(response.body).decode()
    assert "could not complete this request" in error["message"]
