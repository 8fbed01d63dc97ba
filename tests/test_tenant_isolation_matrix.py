"""Tenant isolation, over every endpoint: with program A's credentials, program B's site,
customer, claim, customer session, client secret, ephemeral key, payment method and
idempotency key are not found (never 403, never B's data), and B's things are left as they were.

The matrix is keyed by the app's route tables: a route without an entry fails the suite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.route_table import dialect_operations, other_operations
from tests.two_programs import HEADLESS, Program, make_program, ok

Expect = Literal["not_found", "own_only"]


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    headers: dict[str, str]
    expect: Expect = "not_found"
    data: dict[str, str] | None = None
    json: Any = None
    extra_headers: dict[str, str] = field(default_factory=dict)


Cell = Callable[[Program, Program], Probe]


def headless(
    suffix: str, body: Callable[[Program], Any] | None = None, method: str = "POST"
) -> Cell:
    """A's API key on B's site (and B's member, where the body names one)."""
    return lambda a, b: Probe(
        method,
        f"{HEADLESS}/{b.site_id}{suffix.format(m=b.merchant_id)}?channel=web",
        a.api_key,
        json=None if body is None else body(b),
    )


def redeem(reward_id: int, **more: Any) -> Callable[[Program], Any]:
    return lambda b: {"reward_id": reward_id, "customer_merchant_id": b.merchant_id, **more}


def rule(rule_id: int) -> Callable[[Program], Any]:
    return lambda b: {"rule_id": rule_id, "customer_merchant_id": b.merchant_id}


def order_id(p: Program) -> str:
    return f"{p.name}-order-1"


def order_of(p: Program) -> dict[str, Any]:
    """A paid order of ``p``'s member (placed in ``two_programs``)."""
    return {
        "customer_id": p.merchant_id,
        "customer_email": p.email,
        "merchant_id": order_id(p),
        "total": "10.00",
        "total_shipping": "0",
        "payment_status": "paid",
    }


CUSTOMER = "/v1/customers/{customer}"
PM = "/v1/payment_methods/{payment_method}"
WE = "/v1/webhook_endpoints/{webhook_endpoint}"
MATRIX: dict[str, list[Cell]] = {
    # Admin API v2
    "GET /v2/identity/whoami": [
        lambda a, b: Probe("GET", "/v2/identity/whoami", a.api_key, "own_only")
    ],
    "GET /v2/sites": [lambda a, b: Probe("GET", "/v2/sites", a.api_key, "own_only")],
    "POST /v2/sites/{site_id}/webviews/sessions": [
        lambda a, b: Probe(
            "POST",
            f"/v2/sites/{b.site_id}/webviews/sessions",
            a.api_key,
            json={"channel": "web", "customer": {"merchant_id": b.merchant_id, "email": b.email}},
        ),
        lambda a, b: Probe(
            "POST",
            f"/v2/sites/{b.site_id}/webviews/sessions",
            a.site_secret,
            json={"channel": "web", "customer": {"merchant_id": b.merchant_id, "email": b.email}},
        ),
    ],
    "POST /v2/orders": [
        # B's site, B's member and B's order number
        lambda a, b: Probe(
            "POST",
            f"/v2/orders?site_id={b.site_id}",
            a.api_key,
            json=order_of(b),
        )
    ],
    "GET /v2/orders": [lambda a, b: Probe("GET", "/v2/orders", a.api_key, "own_only")],
    "GET /v2/orders/{merchant_id}": [
        lambda a, b: Probe("GET", f"/v2/orders/{order_id(b)}", a.api_key)
    ],
    "PUT /v2/orders/{merchant_id}": [
        lambda a, b: Probe(
            "PUT",
            f"/v2/orders/{order_id(b)}",
            a.api_key,
            json={
                "payment_status": "paid",
                "refund_status": "refunded",
                "cancellation_status": "cancelled",
                "total_paid": "10.00",
                "total_refunded": "10.00",
            },
        )
    ],
    "POST /v2/activities": [
        lambda a, b: Probe(
            "POST",
            f"/v2/activities?site_id={b.site_id}",
            a.api_key,
            json={"name": "write_review", "customer_id": b.merchant_id, "customer_email": b.email},
        )
    ],
    "GET /v2/activities": [lambda a, b: Probe("GET", "/v2/activities", a.api_key, "own_only")],
    "PUT /v2/activities/{name}/{merchant_id}": [
        lambda a, b: Probe(
            "PUT", f"/v2/activities/write_review/{b.name}-review", a.api_key, json={"state": "void"}
        )
    ],
    "GET /v2/customers": [
        lambda a, b: Probe("GET", "/v2/customers", a.api_key, "own_only"),
        lambda a, b: Probe("GET", f"/v2/customers?email={b.email}", a.api_key, "own_only"),
    ],
    "PATCH /v2/customers/{merchant_id}": [
        lambda a, b: Probe(
            "PATCH",
            f"/v2/customers/{b.merchant_id}",
            a.api_key,
            json={"customer": {"blocked": True, "birthday": "1990-01-01"}},
        ),
    ],
    "POST /v2/customers/{merchant_id}/points": [
        lambda a, b: Probe(
            "POST", f"/v2/customers/{b.merchant_id}/points", a.api_key, json={"points": 5}
        )
    ],
    "POST /v2/customers/{merchant_id}/remove_points": [
        lambda a, b: Probe(
            "POST", f"/v2/customers/{b.merchant_id}/remove_points", a.api_key, json={"points": 5}
        )
    ],
    "GET /v2/customers/{merchant_id}/transactions": [
        lambda a, b: Probe("GET", f"/v2/customers/{b.merchant_id}/transactions", a.api_key),
        lambda a, b: Probe(
            "GET", f"/v2/customers/{b.merchant_id}/transactions?type=csv", a.api_key
        ),
    ],
    "GET /v2/transactions": [
        lambda a, b: Probe("GET", "/v2/transactions", a.api_key, "own_only"),
        lambda a, b: Probe("GET", "/v2/transactions?type=csv", a.api_key, "own_only"),
    ],
    # Customer rewards: B's member and claim, with A's key
    "GET /v2/customers/{merchant_id}/available_rewards": [
        lambda a, b: Probe("GET", f"/v2/customers/{b.merchant_id}/available_rewards", a.api_key),
        # A's own member, seen from B's site
        lambda a, b: Probe(
            "GET",
            f"/v2/customers/{a.merchant_id}/available_rewards?site_id={b.site_id}",
            a.api_key,
        ),
    ],
    "POST /v2/customers/{merchant_id}/claimed_rewards": [
        lambda a, b: Probe(
            "POST",
            f"/v2/customers/{b.merchant_id}/claimed_rewards",
            a.api_key,
            json={"reward_id": 1},
        )
    ],
    "POST /v2/customers/{merchant_id}/claimed_rewards/{claimed_reward_id}/refund": [
        lambda a, b: Probe(
            "POST", f"/v2/customers/{b.merchant_id}/claimed_rewards/{b.claim_id}/refund", a.api_key
        ),
        # A's own member, B's claim
        lambda a, b: Probe(
            "POST", f"/v2/customers/{a.merchant_id}/claimed_rewards/{b.claim_id}/refund", a.api_key
        ),
    ],
    # The unsubscribe list: A sees and adds to its own only
    "GET /v2/loyalty_emails/unsubscribes": [
        lambda a, b: Probe("GET", "/v2/loyalty_emails/unsubscribes", a.api_key, "own_only")
    ],
    "POST /v2/loyalty_emails/unsubscribes": [
        lambda a, b: Probe(
            "POST",
            "/v2/loyalty_emails/unsubscribes",
            a.api_key,
            "own_only",
            json={"email": b.email},
        )
    ],
    # LoyaltyLion webhooks: A registers for its own site only, lists and deletes its own only
    "POST /v2/webhooks": [
        lambda a, b: Probe(
            "POST",
            f"/v2/webhooks?site_id={b.site_id}",
            a.api_key,
            json={"webhook": {"topic": "customers/update", "address": "https://a.example/hook"}},
        )
    ],
    "GET /v2/webhooks": [lambda a, b: Probe("GET", "/v2/webhooks", a.api_key, "own_only")],
    "DELETE /v2/webhooks/{webhook_id}": [
        lambda a, b: Probe("DELETE", f"/v2/webhooks/{b.webhook_id}", a.api_key)
    ],
    # Headless API: B's site, with A's key
    f"GET {HEADLESS}/{{site_id}}/configuration": [headless("/configuration", method="GET")],
    f"GET {HEADLESS}/{{site_id}}/customers/{{merchant_id}}": [
        headless("/customers/{m}", method="GET"),
        # A's own site, B's member: not A's customer
        lambda a, b: Probe(
            "GET", f"{HEADLESS}/{a.site_id}/customers/{b.merchant_id}?channel=web", a.api_key
        ),
    ],
    f"POST {HEADLESS}/{{site_id}}/customers/{{merchant_id}}/sessions": [
        headless("/customers/{m}/sessions", lambda b: {"customer": {"email": b.email}})
    ],
    f"POST {HEADLESS}/{{site_id}}/customers/{{merchant_id}}/birthday": [
        headless(
            "/customers/{m}/birthday", lambda b: {"birthday": {"month": 6, "day": 1, "year": 1990}}
        )
    ],
    f"POST {HEADLESS}/{{site_id}}/customers/{{merchant_id}}/enroll": [
        headless("/customers/{m}/enroll", lambda b: {})
    ],
    f"POST {HEADLESS}/{{site_id}}/customers/{{merchant_id}}/email_marketing/subscribe": [
        headless("/customers/{m}/email_marketing/subscribe", lambda b: {})
    ],
    f"POST {HEADLESS}/{{site_id}}/referrals/referee_incentive": [
        headless(
            "/referrals/referee_incentive",
            lambda b: {
                "referral_id": "r1",
                "ip_address": "127.0.0.1",
                "user_agent": None,
                "referee_email": b.email,
            },
        )
    ],
    f"POST {HEADLESS}/{{site_id}}/referrals/shares": [
        headless(
            "/referrals/shares",
            lambda b: {"customer_merchant_id": b.merchant_id, "channel": "email"},
        )
    ],
    **{
        f"POST {HEADLESS}/{{site_id}}/rewards/{kind}/redeem": [
            headless(f"/rewards/{kind}/redeem", redeem(1))
        ]
        for kind in (
            "cart_discount_voucher",
            "free_shipping_voucher",
            "collection_discount_voucher",
            "product_discount_voucher",
            "gift_card",
            "active_subscription_discount_voucher",
            "custom",
        )
    },
    f"POST {HEADLESS}/{{site_id}}/rewards/active_subscription_product/redeem": [
        headless("/rewards/active_subscription_product/redeem", redeem(1, variant_id="80011"))
    ],
    f"POST {HEADLESS}/{{site_id}}/rewards/product_cart/redeem": [
        headless("/rewards/product_cart/redeem", redeem(7, variant_id="80011", cart_id="cart-2"))
    ],
    f"POST {HEADLESS}/{{site_id}}/rewards/product_cart/refund": [
        headless("/rewards/product_cart/refund", lambda b: {"claimed_reward_id": b.claim_id}),
        # A's own site, B's claim
        lambda a, b: Probe(
            "POST",
            f"{HEADLESS}/{a.site_id}/rewards/product_cart/refund?channel=web",
            a.api_key,
            json={"claimed_reward_id": b.claim_id},
        ),
    ],
    **{
        f"POST {HEADLESS}/{{site_id}}/rules/{kind}/complete": [
            headless(f"/rules/{kind}/complete", rule(1))
        ]
        for kind in (
            "clickthrough",
            "facebook_like",
            "twitter_follow",
            "instagram_follow",
            "tiktok_follow",
            "custom",
        )
    },
    # Stripe: A's keys, B's objects
    "POST /v1/customers": [
        # B's Idempotency-Key: a new customer of A's, not B's answer replayed
        lambda a, b: Probe(
            "POST",
            "/v1/customers",
            a.secret_key,
            "own_only",
            data={"email": "someone@a.example"},
            extra_headers={"Idempotency-Key": b.idempotency_key},
        )
    ],
    "GET /v1/customers": [
        lambda a, b: Probe("GET", "/v1/customers", a.secret_key, "own_only"),
        lambda a, b: Probe("GET", f"/v1/customers?email={b.email}", a.secret_key, "own_only"),
    ],
    f"GET {CUSTOMER}": [lambda a, b: Probe("GET", f"/v1/customers/{b.customer}", a.secret_key)],
    f"POST {CUSTOMER}": [
        lambda a, b: Probe("POST", f"/v1/customers/{b.customer}", a.secret_key, data={"name": "x"})
    ],
    f"DELETE {CUSTOMER}": [
        lambda a, b: Probe("DELETE", f"/v1/customers/{b.customer}", a.secret_key)
    ],
    f"GET {CUSTOMER}/payment_methods": [
        lambda a, b: Probe("GET", f"/v1/customers/{b.customer}/payment_methods", a.secret_key)
    ],
    "POST /v1/customer_sessions": [
        lambda a, b: Probe(
            "POST",
            "/v1/customer_sessions",
            a.secret_key,
            data={"customer": b.customer, "components[pricing_table][enabled]": "true"},
            extra_headers={"Idempotency-Key": b.idempotency_key + "-session"},
        )
    ],
    "POST /v1/customer_sessions/claim": [
        lambda a, b: Probe(
            "POST",
            "/v1/customer_sessions/claim",
            a.publishable_key,
            data={"client_secret": b.client_secret},
        )
    ],
    "POST /v1/customer_sessions/claim/payment_methods/{payment_method}/detach": [
        lambda a, b: Probe(
            "POST",
            f"/v1/customer_sessions/claim/payment_methods/{b.claimed_payment_method}/detach",
            a.publishable_key,
            data={"ephemeral_key": b.ephemeral_key},
        ),
        # A's own ephemeral key, B's payment method
        lambda a, b: Probe(
            "POST",
            f"/v1/customer_sessions/claim/payment_methods/{b.claimed_payment_method}/detach",
            a.publishable_key,
            data={"ephemeral_key": a.ephemeral_key},
        ),
    ],
    "POST /v1/payment_methods": [
        lambda a, b: Probe(
            "POST",
            "/v1/payment_methods",
            a.secret_key,
            data={"card[token]": "tok_visa", "customer": b.customer},
        )
    ],
    "GET /v1/payment_methods": [
        lambda a, b: Probe("GET", f"/v1/payment_methods?customer={b.customer}", a.secret_key)
    ],
    f"GET {PM}": [
        lambda a, b: Probe("GET", f"/v1/payment_methods/{b.payment_method}", a.secret_key)
    ],
    f"POST {PM}": [
        lambda a, b: Probe(
            "POST",
            f"/v1/payment_methods/{b.payment_method}",
            a.secret_key,
            data={"metadata[k]": "v"},
        )
    ],
    f"POST {PM}/attach": [
        lambda a, b: Probe(
            "POST",
            f"/v1/payment_methods/{b.payment_method}/attach",
            a.secret_key,
            data={"customer": a.customer},
        ),
        lambda a, b: Probe(
            "POST",
            f"/v1/payment_methods/{a.payment_method}/attach",
            a.secret_key,
            data={"customer": b.customer},
        ),
    ],
    f"POST {PM}/detach": [
        lambda a, b: Probe("POST", f"/v1/payment_methods/{b.payment_method}/detach", a.secret_key)
    ],
    "POST /v1/webhook_endpoints": [
        lambda a, b: Probe(
            "POST",
            "/v1/webhook_endpoints",
            a.secret_key,
            "own_only",
            data={"url": "https://a.tessera.invalid/hooks", "enabled_events[]": "*"},
        )
    ],
    "GET /v1/webhook_endpoints": [
        lambda a, b: Probe("GET", "/v1/webhook_endpoints", a.secret_key, "own_only")
    ],
    f"GET {WE}": [
        lambda a, b: Probe("GET", f"/v1/webhook_endpoints/{b.webhook_endpoint}", a.secret_key)
    ],
    f"POST {WE}": [
        lambda a, b: Probe(
            "POST",
            f"/v1/webhook_endpoints/{b.webhook_endpoint}",
            a.secret_key,
            data={"disabled": "true"},
        )
    ],
    f"DELETE {WE}": [
        lambda a, b: Probe("DELETE", f"/v1/webhook_endpoints/{b.webhook_endpoint}", a.secret_key)
    ],
    "GET /v1/events": [
        lambda a, b: Probe("GET", "/v1/events", a.secret_key, "own_only"),
        lambda a, b: Probe("GET", f"/v1/events?starting_after={b.event}", a.secret_key),
    ],
    "GET /v1/events/{id}": [lambda a, b: Probe("GET", f"/v1/events/{b.event}", a.secret_key)],
}

# Routes no program's credentials address: their own token or cookie is the credential, or
# they serve no program's data at all.
NOT_ADDRESSED_BY_A_PROGRAM = {
    "GET /webview/{token}": "the URL token is the credential, and names one session",
    "GET /webview/page": "the visit cookie is the credential, and names one customer",
    "POST /webview/page/rewards/{reward_id}/redeem": "the visit's own program's reward",
    "GET /webview/static/{name}": "static files, no program's data",
}


def is_operator_route(path: str) -> bool:
    """The probe, contracts, docs and metrics: outside every dialect and the WebView."""
    return not path.startswith(("/v1/", "/v2/", "/headless/", "/webview/"))


def refusal(probe: Probe, response: httpx.Response) -> str | None:
    """Why this answer is not the dialect's "not found", or None when it is."""
    body = response.json() if response.content else None
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if probe.path.startswith("/v1/"):
        # As Stripe: an object in the path is a 404, one named by a parameter a 400; both
        # resource_missing.
        if response.status_code in (400, 404) and error.get("code") == "resource_missing":
            return None
    # Headless adds its code; the Admin API's envelope is the message alone.
    elif response.status_code == 404 and error.get("code", "not_found") == "not_found":
        return None
    return f"{response.status_code} {response.text[:200]}"


async def run_matrix(client: httpx.AsyncClient, a: Program, b: Program) -> list[str]:
    """Every cell, as ``"<operation>: <what went wrong>"`` for each one that let A reach B."""
    failures = []
    for operation, cells in MATRIX.items():
        for cell in cells:
            probe = cell(a, b)
            response = await client.request(
                probe.method,
                probe.path,
                headers={**probe.headers, **probe.extra_headers},
                data=probe.data,
                json=probe.json,
            )
            leaked = [
                value
                for value in [
                    *b.own_data,
                    b.customer,
                    b.payment_method,
                    b.webhook_endpoint,
                    b.event,
                ]
                if value in response.text
            ]
            if probe.expect == "own_only":
                wrong = (
                    None
                    if response.status_code in (200, 201)
                    else f"{response.status_code} {response.text[:200]}"
                )
                # B's site by its id (in the site list; other lists' ids are not site ids)
                listed_sites = probe.path.startswith("/v2/sites")
                if listed_sites and f'"id":{b.site_id},' in response.text.replace(" ", ""):
                    leaked.append(f"site {b.site_id}")
            else:
                wrong = refusal(probe, response)
            # The answer may echo the id the request named (Stripe's "No such customer: 'cus_…'")
            sent = f"{probe.path} {probe.data} {probe.json}"
            echoed = [value for value in leaked if value in sent]
            leaked = [value for value in leaked if value not in echoed]
            if wrong or leaked:
                failures.append(
                    f"{operation} ({probe.method} {probe.path}): {wrong or ''} leaked {leaked}"
                )
    return failures


async def two_programs(client: httpx.AsyncClient, db: AsyncEngine) -> tuple[Program, Program]:
    programs = await make_program(client, db, "Alpha"), await make_program(client, db, "Bravo")
    for p in programs:
        placed = await client.post("/v2/orders", json=order_of(p), headers=p.api_key)
        assert placed.status_code == 201, placed.text
    return programs


def test_every_route_has_a_tenant_matrix_entry() -> None:
    missing = [str(op) for op in dialect_operations() if str(op) not in MATRIX]
    missing += [
        str(op)
        for op in other_operations()
        if not is_operator_route(op.path) and str(op) not in NOT_ADDRESSED_BY_A_PROGRAM
    ]
    assert not missing, f"routes with no tenant-isolation entry: {missing}"
    stale = set(MATRIX) - {str(op) for op in dialect_operations()}
    assert not stale, f"matrix entries for routes that do not exist: {sorted(stale)}"


async def test_a_programs_credentials_find_nothing_of_another_program(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    a, b = await two_programs(client, db)
    failures = await run_matrix(client, a, b)
    assert not failures, "\n".join(failures)


async def test_another_programs_attempts_leave_a_programs_things_as_they_were(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    a, b = await two_programs(client, db)
    await run_matrix(client, a, b)
    customer = ok(await client.get(f"/v1/customers/{b.customer}", headers=b.secret_key))
    assert customer["name"] == f"{b.name} Customer" and not customer.get("deleted")
    method = ok(await client.get(f"/v1/payment_methods/{b.payment_method}", headers=b.secret_key))
    assert method["customer"] == b.customer and method["metadata"] == {}
    hook = f"/v1/webhook_endpoints/{b.webhook_endpoint}"
    assert ok(await client.get(hook, headers=b.secret_key))["status"] == "enabled"
    claim = await client.post(
        "/v1/customer_sessions/claim",
        data={"client_secret": b.client_secret},
        headers=b.publishable_key,
    )
    assert ok(claim)["customer"]["id"] == b.customer  # still unclaimed, so claimable once
    member = ok(
        await client.get(
            f"{HEADLESS}/{b.site_id}/customers/{b.merchant_id}?channel=web", headers=b.api_key
        )
    )
    assert [c["state"] for c in member["customer"]["claimed_rewards"]] == ["approved"]
    assert member["customer"]["birthday"] is None
    order = ok(await client.get(f"/v2/orders/{order_id(b)}", headers=b.api_key))["order"]
    assert (order["refund_status"], order["cancellation_status"]) == (
        "not_refunded",
        "not_cancelled",
    )
    hooks = ok(await client.get("/v2/webhooks", headers=b.api_key))["webhooks"]
    assert [hook["id"] for hook in hooks] == [b.webhook_id]
    # not blocked, and no points added or removed by A's Admin API calls
    assert member["customer"]["state"] == "enrolled"
    assert [entry["kind"] for entry in member["customer"]["history"]].count("points_added") == 1
