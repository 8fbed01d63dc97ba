"""``/readyz`` tells a load balancer whether a worker can serve: database and Redis reachable,
migrations current; otherwise 503 naming the check that failed."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tessera.config import Settings, normalize_database_url
from tessera.readiness import code_heads
from tessera.store.engine import create_engine
from tessera.store.migrate import migrate
from tests.conftest import _create_database, app_client, run_async
from tests.services import PostgresServer, RedisServer, start_postgres, start_redis


async def test_ready_when_the_database_answers_and_migrations_are_current(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "failed": [],
        "checks": {"database": "ok", "migrations": "ok", "redis": "not configured"},
    }


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_ready_checks_redis_when_it_is_configured(
    settings: Settings, redis_server: RedisServer
) -> None:
    async with app_client(settings.with_(redis_url=redis_server.url)) as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "ok"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_not_ready_when_redis_is_stopped(settings: Settings) -> None:
    redis = start_redis()
    try:
        async with app_client(settings.with_(redis_url=redis.url)) as http:
            assert (await http.get("/readyz")).status_code == 200
            redis.stop()
            response = await http.get("/readyz")
    finally:
        if redis.process.poll() is None:
            redis.stop()
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith(("unreachable", "no answer"))


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A cluster of this test's own, since it stops it (durable: what was committed before the
    stop is there after it)."""
    base = Path(tempfile.mkdtemp(prefix="tessera-pg-readyz-"))
    server = start_postgres(base, durable=True)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


async def test_not_ready_when_postgresql_is_stopped(own_postgres: PostgresServer) -> None:
    name = f"t_{uuid.uuid4().hex[:16]}"
    run_async(_create_database(own_postgres.admin_url, name))
    settings = Settings(database_url=normalize_database_url(own_postgres.url(name)))
    await migrate(settings)
    async with app_client(settings) as http:
        assert (await http.get("/readyz")).status_code == 200
        own_postgres.stop()
        response = await http.get("/readyz")
        own_postgres.start()
        recovered = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["checks"]["database"].startswith(("unreachable", "no answer"))
    assert own_postgres.url(name) not in response.text
    assert recovered.status_code == 200


async def test_not_ready_when_the_database_was_never_migrated(tmp_path: Path) -> None:
    settings = Settings(database_url=normalize_database_url(f"sqlite:///{tmp_path / 'new.db'}"))
    async with app_client(settings) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]


async def test_not_ready_when_the_database_is_a_migration_behind(tmp_path: Path) -> None:
    settings = Settings(database_url=normalize_database_url(f"sqlite:///{tmp_path / 'old.db'}"))
    *applied, missing = sorted(code_heads())
    for head in applied:
        await migrate(settings, head)
    async with app_client(settings) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert missing in body["checks"]["migrations"]
    assert "tessera migrate" in body["checks"]["migrations"]


async def test_ready_when_a_newer_release_migrated_the_database(tmp_path: Path) -> None:
    settings = Settings(database_url=normalize_database_url(f"sqlite:///{tmp_path / 'new.db'}"))
    await migrate(settings)
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "UPDATE alembic_version SET version_num = '9999_newer' WHERE version_num = :v"
                ),
                {"v": max(code_heads())},
            )
    finally:
        await engine.dispose()
    async with app_client(settings) as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert "9999_newer" in response.json()["checks"]["migrations"]
