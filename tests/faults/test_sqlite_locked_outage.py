"""SQLite locked by another process for longer than the busy timeout is an outage, not a bug:
a 503 with Retry-After in the dialect's envelope, nothing written, and served again after."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.store.outage import RETRY_AFTER_SECONDS
from tests.factories import make_tenant
from tests.faults.test_sqlite_busy import write_lock_held_by_another_process

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

BUSY_TIMEOUT_SECONDS = 10  # PRAGMA busy_timeout in tessera.store.engine


async def test_a_lock_held_past_the_busy_timeout_is_a_503_with_retry_after(
    client: httpx.AsyncClient, db: AsyncEngine, database_url: str
) -> None:
    tenant = await make_tenant(db)
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    body = {"channel": "app", "customer": {"merchant_id": "m1", "email": "m1@example.com"}}
    database = database_url.split(":///", 1)[1]
    with write_lock_held_by_another_process(database, BUSY_TIMEOUT_SECONDS + 1.5):
        during = await client.post(path, json=body, headers=tenant.auth)
    after = await client.post(path, json=body, headers=tenant.auth)
    assert during.status_code == 503, during.text
    assert during.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert set(during.json()["error"]) == {"message", "request_id"}
    assert after.status_code == 201, after.text
