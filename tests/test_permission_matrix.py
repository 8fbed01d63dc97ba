"""Scopes and permissions, over every endpoint and every kind of key: each cell is one key on
one operation; a key the operation allows is never answered 401 or 403, a key it refuses is
answered 401 (not a key of this dialect) or 403 (a key without the scope or permission), in
the dialect's envelope.

What each operation requires is declared here, keyed by the app's route tables: a route with no
entry fails the suite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import create_key
from tessera.auth.scopes import SCOPES
from tessera.auth.stripe_keys import LEVELS, RESOURCES, create_stripe_keys
from tests.route_table import dialect_operations
from tests.two_programs import HEADLESS, RATE_LIMIT, Program, make_program

PERMISSIONS = [f"{resource}:{level}" for resource in RESOURCES for level in LEVELS]


@dataclass(frozen=True)
class Admin:
    scope: str | None = None
    site_secret: bool = False  # the deprecated site token & secret is accepted


@dataclass(frozen=True)
class Headless:
    scope: str


@dataclass(frozen=True)
class Stripe:
    permission: str | None = None  # what a restricted key needs
    publishable: bool = False  # a client-side endpoint: the publishable key, and only it


Requirement = Admin | Headless | Stripe


@dataclass(frozen=True)
class Key:
    """One kind of credential: ``pat_`` with its scopes, a site's token & secret, or a Stripe
    key (``sk_``, ``rk_`` with its permissions, ``pk_``); ``none`` sends no credentials."""

    name: str
    kind: str  # "api_key" | "site_secret" | "secret" | "restricted" | "publishable" | "none"
    authorization: str | None
    grants: frozenset[str] = frozenset()


def expected_status(key: Key, requirement: Requirement) -> int | None:
    """401 or 403 where ``key`` is refused; None where it is let through."""
    if isinstance(requirement, Admin | Headless):
        if key.kind == "site_secret" and isinstance(requirement, Admin) and requirement.site_secret:
            return None
        if key.kind != "api_key":
            return 401
        scope = requirement.scope
        granted = scope is None or scope in key.grants
        # A write_ scope is "read and write access" (LoyaltyLion's scopes table).
        granted = granted or (scope or "").replace("read_", "write_", 1) in key.grants
        return None if granted else 403
    if key.kind == "publishable":
        return None if requirement.publishable else 401
    if key.kind not in ("secret", "restricted") or requirement.publishable:
        return 401
    if key.kind == "secret" or requirement.permission is None:
        return None
    resource, _, level = requirement.permission.partition(":")
    granted = requirement.permission in key.grants or (
        level == "read" and f"{resource}:write" in key.grants
    )
    return None if granted else 403


READ, WRITE = Headless("read_customers"), Headless("write_customers")
REQUIRES: dict[str, Requirement] = {
    "GET /v2/identity/whoami": Admin(),
    "GET /v2/sites": Admin(),
    "POST /v2/sites/{site_id}/webviews/sessions": Admin("write_customers", site_secret=True),
    "POST /v2/orders": Admin("write_orders"),
    "GET /v2/orders": Admin("read_orders"),
    "GET /v2/orders/{merchant_id}": Admin("read_orders"),
    "PUT /v2/orders/{merchant_id}": Admin("write_orders"),
    "POST /v2/activities": Admin("write_customers"),
    "GET /v2/activities": Admin("read_customers"),
    "PUT /v2/activities/{name}/{merchant_id}": Admin("write_customers"),
    "GET /v2/customers": Admin("read_customers"),
    "PATCH /v2/customers/{merchant_id}": Admin("write_customers"),
    "POST /v2/customers/{merchant_id}/points": Admin("write_customers"),
    "POST /v2/customers/{merchant_id}/remove_points": Admin("write_customers"),
    "GET /v2/customers/{merchant_id}/transactions": Admin("read_customers"),
    "GET /v2/transactions": Admin("read_customers"),
    # Customer rewards and the unsubscribe list
    "GET /v2/customers/{merchant_id}/available_rewards": Admin("read_customers"),
    "POST /v2/customers/{merchant_id}/claimed_rewards": Admin("write_customers"),
    "POST /v2/customers/{merchant_id}/claimed_rewards/{claimed_reward_id}/refund": Admin(
        "write_customers"
    ),
    "GET /v2/loyalty_emails/unsubscribes": Admin("read_unsubscribes"),
    "POST /v2/loyalty_emails/unsubscribes": Admin("write_unsubscribes"),
    # Any key of the program; registering needs the scopes of the topic (this matrix's body
    # registers customers/update: read_customers).
    "POST /v2/webhooks": Admin("read_customers"),
    "GET /v2/webhooks": Admin(),
    "DELETE /v2/webhooks/{webhook_id}": Admin(),
    "GET /v1/customers": Stripe("customers:read"),
    "POST /v1/customers": Stripe("customers:write"),
    "GET /v1/customers/{customer}": Stripe("customers:read"),
    "POST /v1/customers/{customer}": Stripe("customers:write"),
    "GET /v1/customers/{customer}/payment_methods": Stripe("payment_methods:read"),
    "POST /v1/customer_sessions": Stripe("customer_sessions:write"),
    "POST /v1/customer_sessions/claim": Stripe(publishable=True),
    "POST /v1/customer_sessions/claim/payment_methods/{payment_method}/detach": Stripe(
        publishable=True
    ),
    "POST /v1/payment_methods": Stripe("payment_methods:write"),
    "GET /v1/payment_methods": Stripe("payment_methods:read"),
    "GET /v1/payment_methods/{payment_method}": Stripe("payment_methods:read"),
    "POST /v1/payment_methods/{payment_method}": Stripe("payment_methods:write"),
    "POST /v1/payment_methods/{payment_method}/attach": Stripe("payment_methods:write"),
    "POST /v1/payment_methods/{payment_method}/detach": Stripe("payment_methods:write"),
    "POST /v1/webhook_endpoints": Stripe("webhook_endpoints:write"),
    "GET /v1/webhook_endpoints": Stripe("webhook_endpoints:read"),
    "GET /v1/webhook_endpoints/{webhook_endpoint}": Stripe("webhook_endpoints:read"),
    "POST /v1/webhook_endpoints/{webhook_endpoint}": Stripe("webhook_endpoints:write"),
    "DELETE /v1/webhook_endpoints/{webhook_endpoint}": Stripe("webhook_endpoints:write"),
    "GET /v1/events": Stripe("events:read"),
    "GET /v1/events/{id}": Stripe("events:read"),
    f"GET {HEADLESS}/{{site_id}}/configuration": READ,
    f"GET {HEADLESS}/{{site_id}}/customers/{{merchant_id}}": READ,
    **{
        str(op): WRITE
        for op in dialect_operations()
        if op.path.startswith(HEADLESS) and op.method == "POST"
    },
    # Last: every cell after it would find the customer deleted.
    "DELETE /v1/customers/{customer}": Stripe("customers:write"),
}

Request = tuple[str, dict[str, Any]]  # (path, httpx options)


def headless_body(p: Program, path: str) -> Any:
    member = {"customer_merchant_id": p.merchant_id}
    if path.endswith("/sessions"):
        return {"customer": {"email": p.email}}
    if path.endswith("/birthday"):
        return {"birthday": {"month": 6, "day": 1, "year": 1990}}
    if path.endswith(("/enroll", "/subscribe")):
        return {}
    if path.endswith("/referee_incentive"):
        return {"referral_id": "r1", "ip_address": "127.0.0.1", "user_agent": None}
    if path.endswith("/shares"):
        return {**member, "channel": "email"}
    if path.endswith("/refund"):
        return {"claimed_reward_id": p.claim_id}
    if "/rules/" in path:
        return {**member, "rule_id": 1}
    if path.endswith("/product_cart/redeem"):
        return {**member, "reward_id": 7, "variant_id": "80011", "cart_id": "cart-9"}
    if path.endswith("/active_subscription_product/redeem"):
        return {**member, "reward_id": 1, "variant_id": "80011"}
    return {**member, "reward_id": 1}


ADMIN_BODIES: dict[str, Any] = {
    "/v2/customers/{merchant_id}/claimed_rewards": {"reward_id": 1},
    "/v2/customers/{merchant_id}/claimed_rewards/{claimed_reward_id}/refund": {},
    "/v2/loyalty_emails/unsubscribes": {"email": "someone@example.com"},
    "/v2/webhooks": {"webhook": {"topic": "customers/update", "address": "https://a.example/h"}},
}


def request_for(operation: str, p: Program) -> Request:
    """A well-formed request of ``operation`` on program ``p``'s own things."""
    method, template = operation.split(" ", 1)
    values = {
        "site_id": str(p.site_id),
        "name": "write_review",
        "merchant_id": f"{p.name}-review"
        if template.startswith("/v2/activities")
        else p.merchant_id,
        "customer": p.customer,
        "claimed_reward_id": str(p.claim_id),
        "payment_method": p.claimed_payment_method if "/claim/" in template else p.payment_method,
        "webhook_endpoint": p.webhook_endpoint,
        "id": p.event,
        "webhook_id": str(p.webhook_id),
    }
    path = template.format(**values)
    if path.startswith(HEADLESS):
        options: dict[str, Any] = {"params": {"channel": "web"}}
        if method == "POST":
            options["json"] = headless_body(p, path)
        return path, options
    if path.startswith("/v2/"):
        return path, (
            {"json": ADMIN_BODIES.get(template, {"channel": "web"})} if method == "POST" else {}
        )
    forms: dict[str, dict[str, str]] = {
        "POST /v1/customers": {"email": "new@example.com"},
        "POST /v1/customers/{customer}": {"description": "updated"},
        "POST /v1/customer_sessions": {
            "customer": p.customer,
            "components[pricing_table][enabled]": "true",
        },
        "POST /v1/customer_sessions/claim": {"client_secret": p.client_secret},
        "POST /v1/customer_sessions/claim/payment_methods/{payment_method}/detach": {
            "ephemeral_key": p.ephemeral_key
        },
        "POST /v1/payment_methods": {"card[token]": "tok_visa"},
        "POST /v1/payment_methods/{payment_method}": {"metadata[k]": "v"},
        "POST /v1/payment_methods/{payment_method}/attach": {"customer": p.customer},
        "POST /v1/webhook_endpoints": {
            "url": "https://hooks.tessera.invalid/stripe",
            "enabled_events[]": "customer.created",
        },
        "POST /v1/webhook_endpoints/{webhook_endpoint}": {"description": "updated"},
    }
    if operation == "GET /v1/payment_methods":
        return path, {"params": {"customer": p.customer}}
    return path, ({"data": forms.get(operation, {})} if method == "POST" else {})


async def every_key(db: AsyncEngine, p: Program) -> list[Key]:
    keys = [
        Key("no credentials", "none", None),
        Key("pat_ with every scope", "api_key", f"Bearer {p.tenant.api_key}", frozenset(SCOPES)),
        Key("site token & secret", "site_secret", p.site_secret["Authorization"]),
        Key("sk_test_", "secret", f"Bearer {p.stripe.secret_key}"),
        Key("pk_test_", "publishable", f"Bearer {p.stripe.publishable_key}"),
    ]
    async with db.begin() as conn:
        for scopes in [[], *([scope] for scope in SCOPES)]:
            key = await create_key(conn, p.tenant.program_id, scopes, rate_limit=RATE_LIMIT)
            keys.append(
                Key(
                    f"pat_ with {scopes or 'no scope'}",
                    "api_key",
                    f"Bearer {key.secret}",
                    frozenset(scopes),
                )
            )
        for permission in PERMISSIONS:
            stripe_keys = await create_stripe_keys(
                conn,
                p.tenant.program_id,
                restricted_permissions=[permission],
                rate_limit=RATE_LIMIT,
            )
            assert stripe_keys.secret_key.startswith("rk_test_")
            keys.append(
                Key(
                    f"rk_test_ with {permission}",
                    "restricted",
                    f"Bearer {stripe_keys.secret_key}",
                    frozenset([permission]),
                )
            )
    return keys


def in_envelope(path: str, response: httpx.Response) -> bool:
    error = response.json().get("error")
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return False
    return not path.startswith("/v1/") or error.get("type") == "invalid_request_error"


def test_every_route_declares_what_it_requires() -> None:
    served = {str(op) for op in dialect_operations()}
    assert not served - set(REQUIRES), (
        f"routes with no permission entry: {sorted(served - set(REQUIRES))}"
    )
    assert not set(REQUIRES) - served, f"entries for no route: {sorted(set(REQUIRES) - served)}"


def test_a_refused_key_is_refused_and_an_allowed_key_never_is() -> None:
    """The expectations themselves: every kind of key is refused somewhere and allowed somewhere
    (so no column of the matrix is vacuous)."""
    sample = [
        Key("pat_", "api_key", "", frozenset(["read_customers"])),
        Key("rk_", "restricted", "", frozenset(["customers:write"])),
        Key("pk_", "publishable", ""),
        Key("site", "site_secret", ""),
        Key("sk_", "secret", ""),
    ]
    for key in sample:
        outcomes = {expected_status(key, requirement) for requirement in REQUIRES.values()}
        assert None in outcomes and outcomes - {None}, key.name


async def test_every_key_kind_on_every_endpoint(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    program = await make_program(client, db, "Alpha")
    wrong = []
    for key in await every_key(db, program):
        for operation, requirement in REQUIRES.items():
            path, options = request_for(operation, program)
            headers = {} if key.authorization is None else {"Authorization": key.authorization}
            response = await client.request(
                operation.split(" ")[0], path, headers=headers, **options
            )
            refused = expected_status(key, requirement)
            if refused is None and response.status_code in (401, 403):
                answer = f"{response.status_code} {response.text[:150]}"
                wrong.append(f"{key.name} on {operation}: refused {answer}")
            elif refused is not None and (
                response.status_code != refused or not in_envelope(path, response)
            ):
                answer = f"{response.status_code} {response.text[:150]}"
                wrong.append(f"{key.name} on {operation}: expected {refused}, got {answer}")
    assert not wrong, "\n".join(wrong)
