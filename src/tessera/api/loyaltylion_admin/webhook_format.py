"""LoyaltyLion's webhook request: ``{"id", "topic", "created_at", ...}`` and the
``x-loyaltylion-hmac-sha256`` header, the base64 HMAC-SHA256 of the raw body keyed by the
site's secret (the reference's "Verifying" section; docs/webhooks.md has a receiver's check).

The core records what follows the first three fields (tessera.shapes.loyaltylion.events);
``id`` is the event's (the same on every attempt, so a receiver deduplicates by it) and
``created_at`` when the webhook is sent, as the reference says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import msgspec

from tessera.kit.clock import iso_z
from tessera.webhooks.delivery import Claimed

SIGNATURE_HEADER = "x-loyaltylion-hmac-sha256"


class _Head(msgspec.Struct):
    id: str
    topic: str
    created_at: str


def signature(body: bytes, secret: bytes) -> str:
    return base64.b64encode(hmac.digest(secret, body, hashlib.sha256)).decode()


class LoyaltyLionFormat:
    def request(
        self, delivery: Claimed, secret: bytes, now: datetime
    ) -> tuple[bytes, list[tuple[str, str]]]:
        head = msgspec.json.encode(
            _Head(delivery.event_public_id, delivery.event_type, iso_z(now, millis=True))
        )
        rest = delivery.event_body.strip()[1:]  # the recorded object without its "{"
        body = head[:-1] + (b"," + rest if rest.strip() != b"}" else b"}")
        return body, [(SIGNATURE_HEADER, signature(body, secret))]
