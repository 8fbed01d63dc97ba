"""Another process holding SQLite's write lock (a backup, the CLI, a script) makes writers wait,
within the busy bound, and then succeed: none is lost and none is a 500."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.store.tables import webview_sessions
from tests.factories import make_tenant

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

HELD_SECONDS = 1.5
REQUESTS = 24


@contextmanager
def write_lock_held_by_another_process(database: str, seconds: float) -> Iterator[None]:
    """Holds SQLite's write lock (BEGIN IMMEDIATE) from a plain sqlite3 connection, as any other
    program on the machine could, for ``seconds``; yields once it is held."""
    held = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(database, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            held.set()
            threading.Event().wait(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        yield
    finally:
        holder.join()


async def test_writers_wait_for_another_process_and_then_all_succeed(
    db: AsyncEngine, database_url: str, live_server: Callable[..., Any]
) -> None:
    tenant = await make_tenant(db, rate_limit="100000/second")
    server = live_server(workers=2)
    database = database_url.split(":///", 1)[1]
    path = f"/v2/sites/{tenant.site.id}/webviews/sessions"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:

        async def create(n: int) -> int:
            body = {"channel": "app", "customer": {"merchant_id": f"m{n}", "email": f"{n}@x.io"}}
            response = await http.post(path, json=body, headers=tenant.auth)
            return response.status_code

        with write_lock_held_by_another_process(database, HELD_SECONDS):
            statuses = await asyncio.gather(*(create(n) for n in range(REQUESTS)))
    assert statuses == [201] * REQUESTS
    async with db.connect() as conn:
        stored = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(webview_sessions)
            .where(webview_sessions.c.program_id == tenant.program_id)
        )
    assert stored == REQUESTS
