"""Stripe's webhook request: the event object as recorded, its ``pending_webhooks`` as of
this attempt, signed as Stripe signs:
``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` under the endpoint's
whole ``whsec_`` secret. stripe-python's ``stripe.Webhook.construct_event`` and stripe-node's
``stripe.webhooks.constructEvent`` check it unchanged (tests/stripe/test_webhook_delivery.py)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from tessera.customers.stripe_events import with_pending
from tessera.webhooks.delivery import Claimed


def stripe_signature(secret: bytes, body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return f"t={timestamp},v1={hmac.new(secret, signed, hashlib.sha256).hexdigest()}"


class StripeWebhookFormat:
    def request(
        self, delivery: Claimed, secret: bytes, now: datetime
    ) -> tuple[bytes, list[tuple[str, str]]]:
        body = with_pending(delivery.event_body, delivery.pending)
        return body, [("Stripe-Signature", stripe_signature(secret, body, int(now.timestamp())))]
