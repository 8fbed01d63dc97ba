"""The LoyaltyLion webhook tests' world: the app in-process (its own delivery worker asleep),
a worker the test runs pass by pass, a real receiver on a loopback port, and a program with
every rule the events need. What arrives is checked as a receiver would: the signature with
the site's secret, duplicates dropped by ``id``, and each body against the contract."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.api.contract import schema_validator
from tessera.app import WEBHOOK_FORMATS
from tessera.config import Settings
from tessera.kit.clock import utcnow
from tessera.loyalty import program_events as topics
from tessera.state import Tessera
from tessera.webhooks import delivery
from tessera.webhooks.worker import Deliverer
from tests.conftest import app_client
from tests.factories import Tenant, make_tenant

from .receiver import Received, Receiver, running_receiver

HEADLESS = "/headless/2025-06"
PROGRAM: dict[str, Any] = {
    "tiers": {
        "boundary_mode": "points",
        "levels": [
            {"id": 1, "name": {"en": "Bronze"}, "lower_bound": 0},
            {"id": 2, "name": {"en": "Silver"}, "lower_bound": 1000},
        ],
    },
    "rules": [
        {"id": 1, "kind": "join_program", "points": 100, "title": {"en": "Join"}},
        {"id": 2, "kind": "purchase", "points": 10, "per_currency_unit": 1, "title": {"en": "Buy"}},
        {"id": 3, "kind": "referral", "points": 500, "title": {"en": "Refer a friend"}},
        {
            "id": 4,
            "kind": "clickthrough",
            "points": 25,
            "destination_url": "https://blog.example.com/guide",
            "title": {"en": "Read the guide"},
        },
        {
            "id": 5,
            "kind": "custom",
            "name": "write_review",
            "points": 75,
            "title": {"en": "Review"},
        },
    ],
    "rewards": [
        {
            "id": 1,
            "kind": "cart_discount_voucher",
            "points": 500,
            "discount": 5,
            "title": {"en": "$5 off"},
        },
        {
            "id": 2,
            "kind": "gift_card",
            "points": 800,
            "initial_balance": 10,
            "title": {"en": "Card"},
        },
    ],
    "referee_incentive": {
        "kind": "cart_discount_voucher",
        "discount": 10,
        "text": {"en": "10% off your first order"},
    },
}
SCHEMAS = {
    topics.CUSTOMERS_UPDATE: "WebhooksEventCustomersUpdate",
    topics.UNSUBSCRIBE: "WebhooksEventUnsubscribe",
    topics.ENROLLED: "WebhooksEventEnrolled",
    topics.POINTS_EARNED: "WebhooksEventPointsEarned",
    topics.CLAIMED_REWARD: "WebhooksEventClaimedReward",
    topics.RULE_COMPLETED: "WebhooksEventRuleCompleted",
    topics.REFERRAL_COMPLETE: "WebhooksEventReferralComplete",
    topics.TIER_UPGRADED: "WebhooksEventTierChange",
    topics.TIER_DOWNGRADED: "WebhooksEventTierChange",
    topics.APPROACHING_POINTS_EXPIRATION: "WebhooksEventApproachingPointsExpiration",
}


def signed_by(received: Received, secret: str) -> bool:
    expected = base64.b64encode(hmac.digest(secret.encode(), received.body, hashlib.sha256))
    return hmac.compare_digest(received.headers["x-loyaltylion-hmac-sha256"].encode(), expected)


def contract_problems(event: dict[str, Any]) -> list[str]:
    validator = schema_validator("admin-v2", SCHEMAS[event["topic"]])
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(event)]


def subject_of(event: dict[str, Any]) -> str:
    """The customer an event is about (the referrer, for a referral)."""
    if "customer" in event:
        return str(event["customer"]["merchant_id"])
    payload = event["payload"]
    properties = payload.get("properties")
    if properties is None:  # an unsubscribe
        return str(payload["id"] or payload["email"])
    found = properties.get("customer") or properties["referring_customer"]
    return str(found["merchant_id"])


@dataclass
class Hooks:
    client: httpx.AsyncClient
    worker: Deliverer
    receiver: Receiver
    tenant: Tenant

    @property
    def auth(self) -> dict[str, str]:
        return self.tenant.auth

    async def register(self, *names: str) -> list[int]:
        """Webhooks of the tenant's site for ``names`` (every topic Tessera sends if none),
        posting to the receiver."""
        ids = []
        for topic in names or topics.SENT:
            body = {"webhook": {"topic": topic, "address": self.receiver.url}}
            response = await self.client.post("/v2/webhooks", json=body, headers=self.auth)
            assert response.status_code == 201, response.text
            ids.append(int(response.json()["webhook"]["id"]))
        return ids

    async def deliver(self, passes: int = 50) -> None:
        """Passes until nothing is due."""
        for _ in range(passes):
            if await self.worker.run_once() == 0:
                await asyncio.sleep(0.05)
                async with self.worker.tessera.engine.connect() as conn:
                    later = utcnow() + timedelta(seconds=1)
                    if not await delivery.work_waiting(conn, later):
                        return

    async def events(self) -> list[dict[str, Any]]:
        """Everything delivered so far, in the order it arrived: each signed with the site's
        secret, duplicates dropped by id, each body as the contract has it."""
        await self.deliver()
        seen: set[str] = set()
        found = []
        for received in list(self.receiver.requests):
            assert signed_by(received, self.tenant.site_secret), received.body[:200]
            event = json.loads(received.body)
            if event["id"] in seen:
                continue
            seen.add(event["id"])
            assert not contract_problems(event), (event["topic"], contract_problems(event))
            found.append(event)
        return found

    async def topics(self) -> list[str]:
        return [event["topic"] for event in await self.events()]

    async def of(self, topic: str) -> list[dict[str, Any]]:
        return [event for event in await self.events() if event["topic"] == topic]

    async def order(self, merchant_id: str, customer: str, total: str, **more: Any) -> None:
        body = {
            "merchant_id": merchant_id,
            "customer_id": customer,
            "customer_email": more.pop("email", f"{customer}@example.com"),
            "total": total,
            "total_shipping": "0",
            "payment_status": "paid",
            **more,
        }
        response = await self.client.post("/v2/orders", json=body, headers=self.auth)
        assert response.status_code == 201, response.text

    async def session(self, customer: str) -> None:
        """A Headless session start for ``customer`` (created, and enrolled: auto_enrol)."""
        path = f"{HEADLESS}/{self.tenant.site.id}/customers/{customer}/sessions"
        body = {"customer": {"email": f"{customer}@example.com"}}
        response = await self.client.post(
            path, params={"channel": "web"}, json=body, headers=self.auth
        )
        assert response.status_code == 200, response.text

    async def headless(self, path: str, body: Any) -> Any:
        response = await self.client.post(
            f"{HEADLESS}/{self.tenant.site.id}{path}",
            params={"channel": "web"},
            json=body,
            headers=self.auth,
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def admin(self, method: str, path: str, status: int, **options: Any) -> Any:
        response = await self.client.request(method, path, headers=self.auth, **options)
        assert response.status_code == status, response.text
        return response.json() if response.content else None


def hooks_settings(settings: Settings) -> Settings:
    """Private addresses allowed (the receiver is on loopback), quick retries, and the app's
    own worker asleep: the test runs the passes."""
    return settings.with_(
        webhooks_allow_private=True, webhooks_retry_base=0.01, webhooks_interval=3600
    )


@pytest.fixture(name="hooks")
async def hooks_fixture(settings: Settings, db: AsyncEngine) -> AsyncIterator[Hooks]:
    chosen = hooks_settings(settings)
    tenant = await make_tenant(db, program=PROGRAM)
    with running_receiver() as receiver:
        async with app_client(chosen) as client:
            state = Tessera.start(chosen)
            try:
                yield Hooks(client, Deliverer(state, WEBHOOK_FORMATS), receiver, tenant)
            finally:
                await state.close()
