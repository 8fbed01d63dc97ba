"""Two programs, each with one of every credential and every resource an endpoint can address:
for the suites that try one program's credentials on the other's things (tenant isolation,
permissions, secrets at rest). Built through the served endpoints, as an integration would."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.stripe_keys import CreatedStripeKeys, create_stripe_keys
from tests.factories import Tenant, make_customer
from tests.headless.helpers import demo_tenant

HEADLESS = "/headless/2025-06"
# The suites send every request in a burst; the rate limits have their own tests.
RATE_LIMIT = "10000/second"
CART: dict[str, Any] = {"variant_id": "80011", "cart_id": "cart-1"}


@dataclass(frozen=True)
class Program:
    """One program's credentials and resources; ``email`` and ``name`` are its own data, which
    no answer to another program may carry."""

    name: str
    tenant: Tenant
    stripe: CreatedStripeKeys
    merchant_id: str
    email: str
    claim_id: int  # a product_cart claim of the member (refundable)
    webview_url: str
    customer: str  # cus_
    payment_method: str  # pm_, attached to the customer
    client_secret: str  # an unclaimed customer session's
    claimed_payment_method: str  # pm_ shown by the claimed session below
    ephemeral_key: str  # a claimed customer session's
    idempotency_key: str  # used for this program's POST /v1/customers
    webhook_endpoint: str  # we_
    webhook_secret: str  # its whsec_ secret, shown at its creation only
    event: str  # evt_, the customer's customer.created
    webhook_id: int  # a LoyaltyLion webhook (customers/update) of the program

    @property
    def site_id(self) -> int:
        return self.tenant.site.id

    @property
    def api_key(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant.api_key}"}

    @property
    def site_secret(self) -> dict[str, str]:
        pair = f"{self.tenant.site_token}:{self.tenant.site_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    @property
    def secret_key(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stripe.secret_key}"}

    @property
    def publishable_key(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stripe.publishable_key}"}

    @property
    def own_data(self) -> list[str]:
        return [self.email, f"{self.name} Store", f"{self.name} Customer"]


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


async def _customer_session(client: httpx.AsyncClient, headers: dict[str, str], cus: str) -> str:
    form = {
        "customer": cus,
        "components[payment_element][enabled]": "true",
        "components[payment_element][features][payment_method_redisplay]": "enabled",
        "components[payment_element][features][payment_method_remove]": "enabled",
        "components[payment_element][features][payment_method_allow_redisplay_filters][0]": (
            "always"
        ),
    }
    session = ok(await client.post("/v1/customer_sessions", data=form, headers=headers))
    return str(session["client_secret"])


async def make_program(client: httpx.AsyncClient, db: AsyncEngine, name: str) -> Program:
    tenant = await demo_tenant(db, name=name, rate_limit=RATE_LIMIT)
    async with db.begin() as conn:
        keys = await create_stripe_keys(conn, tenant.program_id, rate_limit=RATE_LIMIT)
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    merchant_id, email = f"{name}-member", f"{name.lower()}@{name.lower()}.example"
    site = f"{HEADLESS}/{tenant.site.id}"
    body = {"customer": {"email": email}}
    ok(
        await client.post(
            f"{site}/customers/{merchant_id}/sessions?channel=web", json=body, headers=auth
        )
    )
    await make_customer(db, tenant, merchant_id, points=5000)
    redeemed = await client.post(
        f"{site}/rewards/product_cart/redeem?channel=web",
        json={"reward_id": 7, "customer_merchant_id": merchant_id, **CART},
        headers=auth,
    )
    claim_id = int(ok(redeemed, 201)["claimed_reward"]["id"])
    webview = await client.post(
        f"/v2/sites/{tenant.site.id}/webviews/sessions",
        json={"channel": "mobile", "customer": {"merchant_id": merchant_id, "email": email}},
        headers=auth,
    )
    webview_url = str(ok(webview, 201)["webview_session"]["url"])
    # An activity to address by name and merchant_id (``f"{name}-review"``).
    activity = {"name": "write_review", "merchant_id": f"{name}-review"}
    tracked = await client.post(
        "/v2/activities",
        json={**activity, "customer_id": merchant_id, "customer_email": email},
        headers=auth,
    )
    assert tracked.status_code == 201, tracked.text
    secret = {"Authorization": f"Bearer {keys.secret_key}"}
    idempotency_key = f"order-{name}"
    customer = ok(
        await client.post(
            "/v1/customers",
            data={"email": email, "name": f"{name} Customer"},
            headers={**secret, "Idempotency-Key": idempotency_key},
        )
    )
    cus = str(customer["id"])
    method = ok(
        await client.post(
            "/v1/payment_methods",
            data={"card[token]": "tok_visa", "customer": cus, "allow_redisplay": "always"},
            headers=secret,
        )
    )
    client_secret = await _customer_session(client, secret, cus)
    webhook_endpoint = ok(
        await client.post(
            "/v1/webhook_endpoints",
            data={"url": f"https://{name.lower()}.tessera.invalid/hooks", "enabled_events[]": "*"},
            headers={**secret, "Idempotency-Key": f"hooks-{name}"},
        )
    )
    [created_event] = ok(
        await client.get("/v1/events", params={"type": "customer.created"}, headers=secret)
    )["data"]
    to_claim = await _customer_session(client, secret, cus)
    publishable = {"Authorization": f"Bearer {keys.publishable_key}"}
    claim = ok(
        await client.post(
            "/v1/customer_sessions/claim", data={"client_secret": to_claim}, headers=publishable
        )
    )
    webhook = await client.post(
        "/v2/webhooks",
        json={"webhook": {"topic": "customers/update", "address": f"https://{name}.example/hook"}},
        headers=auth,
    )
    webhook_id = int(ok(webhook, 201)["webhook"]["id"])
    return Program(
        name=name,
        tenant=tenant,
        stripe=keys,
        merchant_id=merchant_id,
        email=email,
        claim_id=claim_id,
        webview_url=webview_url,
        customer=cus,
        payment_method=str(method["id"]),
        client_secret=client_secret,
        claimed_payment_method=str(claim["payment_methods"][0]["id"]),
        ephemeral_key=str(claim["ephemeral_key"]["secret"]),
        idempotency_key=idempotency_key,
        webhook_endpoint=str(webhook_endpoint["id"]),
        webhook_secret=str(webhook_endpoint["secret"]),
        event=str(created_event["id"]),
        webhook_id=webhook_id,
    )
