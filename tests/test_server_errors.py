"""An unexpected failure still answers in the caller's dialect, and never says why."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from starlette.requests import Request
from starlette.responses import Response

from tessera.api.dialect_app import Failure
from tessera.api.loyaltylion_admin.app import admin_failure
from tessera.api.loyaltylion_headless.app import headless_failure
from tessera.api.stripe.app import stripe_failure
from tessera.kit.errors import INTERNAL_ERROR
from tessera.web.pages import page_failure

Handler = Callable[[Request, Failure], Response]


@pytest.mark.parametrize(
    ("handler", "shape"),
    [
        (admin_failure, {"message", "request_id"}),
        (headless_failure, {"message", "request_id"}),
        (stripe_failure, {"type", "message", "request_id"}),
    ],
)
def test_a_500_is_in_the_dialects_envelope_with_the_request_id(
    handler: Handler, shape: set[str]
) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    response = handler(request, Failure(500, INTERNAL_ERROR, "req_abc"))
    assert response.status_code == 500
    assert response.media_type == "application/json"
    error = json.loads(bytes(response.body))["error"]
    assert shape <= set(error)
    assert error["request_id"] == "req_abc"
    assert "could not complete this request" in error["message"]


def test_a_page_failure_is_the_translated_error_page_with_the_request_id() -> None:
    request = Request(
        {"type": "http", "method": "GET", "path": "/webview/page", "headers": [], "state": {}}
    )
    response = page_failure(request, Failure(500, INTERNAL_ERROR, "req_abc"))
    html = bytes(response.body).decode()
    assert response.status_code == 500
    assert response.media_type == "text/html"
    assert "req_abc" in html and "Something went wrong" in html
