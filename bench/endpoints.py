"""What is measured: each endpoint's request as a real client sends it, its target, and the
rows that must exist for every answer it acknowledged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.wrk import Request

# stripe-python as the Stripe tests drive it (its version and default API version).
STRIPE_PYTHON = "16.1.0"
STRIPE_VERSION = "2026-10-28.endive"
HEADLESS = "/headless/2025-06"
EXISTING_MEMBER = "1001"  # a demo member with orders, rewards and a tier (tessera.demo.members)
FRESH = "{fresh}"


@dataclass(frozen=True)
class Target:
    """A share of the ceiling's req/s to reach, and a p99 to stay under (None: no p99 target)."""

    min_ratio: float
    max_p99_ms: float | None = None


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str  # for the report
    request: Request
    target: Target | None
    # Tables that must gain at least one row per acknowledged (2xx) answer.
    rows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Demo:
    """What ``tessera demo --json`` printed, plus a Stripe customer made before the load."""

    site_id: int
    api_key: str
    stripe_secret_key: str
    stripe_customer: str = ""


def stripe_form(params: dict[str, object]) -> str:
    """Form-encode as stripe-python does (``stripe._encode._api_encode``, then ``urlencode``):
    nested dicts as ``a[b][c]``, booleans as ``true``/``false``; stripe-python then turns the
    ``%5B``/``%5D`` that urlencode makes back into literal brackets, and so do we."""
    pairs: list[tuple[str, str]] = []

    def add(key: str, value: object) -> None:
        if isinstance(value, dict):
            for sub, item in value.items():
                add(f"{key}[{sub}]", item)
        elif isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                add(f"{key}[{index}]", item)
        else:
            pairs.append((key, str(value)))

    for key, value in params.items():
        add(key, value)
    return urlencode(pairs).replace("%5B", "[").replace("%5D", "]")


def stripe_headers(secret_key: str) -> dict[str, str]:
    """The headers stripe-python sends with a POST (its telemetry's machine details left out);
    a fresh Idempotency-Key per request, as stripe-python makes one for every POST."""
    client = {
        "bindings_version": STRIPE_PYTHON,
        "lang": "python",
        "httplib": "requests",
        "lang_version": "3.11",
    }
    return {
        "User-Agent": f"Stripe/v1 PythonBindings/{STRIPE_PYTHON}",
        "Accept-Encoding": "gzip, deflate",
        "Accept": "*/*",
        "X-Stripe-Client-User-Agent": json.dumps(client),
        "Authorization": f"Bearer {secret_key}",
        "Idempotency-Key": FRESH,
        "Content-Type": "application/x-www-form-urlencoded",
        "Stripe-Version": STRIPE_VERSION,
    }


STRIPE_CUSTOMER_PARAMS: dict[str, object] = {"email": "shopper@example.com"}


def stripe_create_customer(secret_key: str) -> Request:
    return Request(
        "POST", "/v1/customers", stripe_headers(secret_key), stripe_form(STRIPE_CUSTOMER_PARAMS)
    )


def webview_body() -> str:
    return json.dumps(
        {
            "channel": "bench",
            "language": "en",
            "currency": "usd",
            "customer": {"merchant_id": "1000001", "email": "alice@example.com"},
        }
    )


def ceiling_request() -> Request:
    """The ceiling gets a request of the size of a WebView session's."""
    headers = {"Authorization": "Bearer pat_" + "0" * 32, "Content-Type": "application/json"}
    return Request("POST", "/ceiling", headers, webview_body())


def endpoints(demo: Demo) -> list[Endpoint]:
    bearer = {"Authorization": f"Bearer {demo.api_key}"}
    as_json = {**bearer, "Content-Type": "application/json"}
    site = demo.site_id
    session_body = json.dumps({"customer": {"email": "alice@demo.tessera.example"}})
    # A new customer needs an email of its own too: the program refuses one already in use.
    new_body = json.dumps({"customer": {"email": f"new-{FRESH}@example.com"}})
    customer_session: dict[str, object] = {
        "customer": demo.stripe_customer,
        "components": {"pricing_table": {"enabled": True}},
    }
    return [
        Endpoint(
            "healthz",
            "GET /healthz",
            Request("GET", "/healthz"),
            Target(0.60),
        ),
        Endpoint(
            "webview",
            "POST /v2/sites/{id}/webviews/sessions",
            Request("POST", f"/v2/sites/{site}/webviews/sessions", as_json, webview_body()),
            Target(0.40, 20),
            rows=("webview_sessions",),
        ),
        Endpoint(
            "headless-member",
            "POST headless session, existing member",
            Request(
                "POST",
                f"{HEADLESS}/{site}/customers/{EXISTING_MEMBER}/sessions?channel=web",
                as_json,
                session_body,
            ),
            Target(0.15, 50),
        ),
        Endpoint(
            "headless-new",
            "POST headless session, new customer",
            Request(
                "POST",
                f"{HEADLESS}/{site}/customers/bench-{FRESH}/sessions?channel=web",
                as_json,
                new_body,
            ),
            Target(0.08, 50),
            rows=("customers",),
        ),
        Endpoint(
            "headless-configuration",
            "GET headless configuration",
            Request("GET", f"{HEADLESS}/{site}/configuration?channel=web", bearer),
            Target(0.30, 50),
        ),
        Endpoint(
            "stripe-customer-session",
            "POST /v1/customer_sessions",
            Request(
                "POST",
                "/v1/customer_sessions",
                stripe_headers(demo.stripe_secret_key),
                stripe_form(customer_session),
            ),
            Target(0.40, 20),
            rows=("stripe_customer_sessions", "stripe_idempotency"),
        ),
        Endpoint(
            "stripe-customer",
            "POST /v1/customers",
            stripe_create_customer(demo.stripe_secret_key),
            Target(0.35),
            rows=("stripe_customers", "stripe_idempotency"),
        ),
    ]
