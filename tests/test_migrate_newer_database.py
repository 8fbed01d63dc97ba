"""A release started on a database that a newer release has migrated runs on it as it is
(docs/upgrading.md): the rolling upgrade's old workers may restart, and rolling back is
deploying the older release. Alembic alone refuses such a database ("Can't locate revision")."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from tessera.config import Settings
from tessera.readiness import code_heads
from tessera.store.engine import create_engine
from tessera.store.migrate import migrate
from tests.conftest import LiveServer

NEWER = "9999_newer"


async def migrated_by_a_newer_release(settings: Settings) -> None:
    """What a newer release's migration leaves: its revision recorded in place of our head."""
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE alembic_version SET version_num = :newer WHERE version_num = :v"),
                {"newer": NEWER, "v": max(code_heads())},
            )
    finally:
        await engine.dispose()


async def recorded_versions(settings: Settings) -> set[str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            return set(rows.scalars())
    finally:
        await engine.dispose()


async def test_migrating_a_database_a_newer_release_migrated_applies_nothing(
    settings: Settings,
) -> None:
    await migrated_by_a_newer_release(settings)
    before = await recorded_versions(settings)

    newer = await migrate(settings)

    assert newer == {NEWER}
    assert await recorded_versions(settings) == before


async def test_migrating_a_current_database_reports_no_newer_revision(settings: Settings) -> None:
    assert await migrate(settings) == frozenset()
    assert await recorded_versions(settings) == set(code_heads())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_tessera_serve_starts_and_is_ready_on_a_database_a_newer_release_migrated(
    settings: Settings, live_server: Callable[..., LiveServer]
) -> None:
    await migrated_by_a_newer_release(settings)
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200, server.log.read_text()
    assert f"migrated by a newer release ({NEWER})" in ready.json()["checks"]["migrations"]
