"""The delivery worker inside `tessera serve`: every worker of every machine runs one.

A pass (:meth:`Deliverer.run_once`) first reads, without the write lock, whether anything is
waiting; if so it fans new events out, leases what is due, posts it (all leased deliveries at
once, each within 5 s), and records the outcomes (tessera.webhooks.delivery). Passes repeat
every ``TESSERA_WEBHOOKS_INTERVAL`` seconds, at once while work remains.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime

import structlog

from tessera.kit.clock import utcnow
from tessera.metrics import Metrics
from tessera.sealing import server_key, unseal
from tessera.state import Tessera
from tessera.store.transactions import write_transaction
from tessera.webhooks import delivery
from tessera.webhooks.delivery import Claimed, Format, Policy
from tessera.webhooks.history import oldest_undelivered
from tessera.webhooks.outbound import Outcome, post

log = structlog.get_logger("tessera.webhooks")

CLAIM_BATCH = 50
FAN_OUT_BATCH = 500
_METRIC = {delivery.SUCCEEDED: "succeeded", delivery.PENDING: "retrying", delivery.FAILED: "failed"}


class Deliverer:
    def __init__(
        self, tessera: Tessera, formats: Mapping[str, Format], metrics: Metrics | None = None
    ) -> None:
        self.tessera = tessera
        self.formats = formats
        self.metrics = metrics
        self.policy = Policy.from_settings(tessera.settings)
        self.server_key = server_key(tessera.settings)

    async def run_once(self) -> int:
        """One pass; how many deliveries it attempted."""
        engine = self.tessera.engine
        async with engine.connect() as conn:
            waiting = await delivery.work_waiting(conn, utcnow())
        if not waiting:
            await self._observe_age()
            return 0
        while True:
            async with write_transaction(engine) as conn:
                if await delivery.fan_out(conn, FAN_OUT_BATCH) < FAN_OUT_BATCH:
                    break
        async with write_transaction(engine) as conn:
            claimed = await delivery.claim(conn, utcnow(), CLAIM_BATCH)
        outcomes = await asyncio.gather(*(self._post(item) for item in claimed))
        now = utcnow()
        async with write_transaction(engine) as conn:
            states = [
                await delivery.finish(conn, item, outcome, now, self.policy)
                for item, outcome in zip(claimed, outcomes, strict=True)
            ]
        for state in states:
            if self.metrics is not None:
                self.metrics.webhook_deliveries.labels(_METRIC[state]).inc()
        await self._observe_age()
        return len(claimed)

    async def _post(self, item: Claimed) -> Outcome:
        if item.secret_sealed is None:
            return Outcome(
                status=None,
                error="no signing secret: the site's secret predates signed webhooks; "
                "rotate it with `tessera sites rotate-secret`",
                excerpt="",
                duration_ms=0,
            )
        try:
            secret = unseal(self.server_key, item.sealed_as, item.secret_sealed)
            body, headers = self.formats[item.dialect].request(item, secret, utcnow())
        except Exception as exc:  # a delivery that cannot be made must not stop the others
            return Outcome(
                status=None,
                error=f"could not sign the request: {type(exc).__name__}",
                excerpt="",
                duration_ms=0,
            )
        return await post(item.url, body, headers, allow_private=self.policy.allow_private)

    async def _observe_age(self) -> None:
        if self.metrics is None:
            return
        async with self.tessera.engine.connect() as conn:
            oldest: datetime | None = await oldest_undelivered(conn)
        age = 0.0 if oldest is None else max((utcnow() - oldest).total_seconds(), 0.0)
        self.metrics.webhook_outbox_age.set(age)

    async def forever(self) -> None:
        """Passes until cancelled; a failed pass is logged and retried after the interval."""
        interval = self.tessera.settings.webhooks_interval
        while True:
            try:
                attempted = await self.run_once()
            except Exception as exc:
                log.warning("webhook pass failed; retrying", error=type(exc).__name__)
                attempted = 0
            if attempted < CLAIM_BATCH:
                await asyncio.sleep(interval)
