"""Fixtures: real SQLite and PostgreSQL databases, real Redis, the app in-process or served live."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.app import create_app
from tessera.config import Settings, normalize_database_url
from tessera.state import Tessera
from tessera.store.engine import create_engine
from tessera.store.migrate import migrate
from tests.services import (
    PostgresServer,
    RedisServer,
    free_port,
    start_postgres,
    start_redis,
    wait_for_port,
)


def run_async(coroutine: Any) -> Any:
    """Run a coroutine to completion from sync code, even when a loop is already running
    (session fixtures are first requested from inside async tests)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    # Not under pytest's tmp dir: that is private to root, and PostgreSQL runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="tessera-pg-"))
    server = start_postgres(base)
    try:
        run_async(_create_database(server.admin_url, "tessera_template"))
        template_url = normalize_database_url(server.url("tessera_template"))
        run_async(migrate(Settings(database_url=template_url)))
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    run_async(migrate(Settings(database_url=normalize_database_url(f"sqlite:///{path}"))))
    return path


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


async def _create_database(admin_url: str, name: str, template: str | None = None) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        suffix = f" TEMPLATE {template}" if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tessera.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:16]}"
    await _create_database(server.admin_url, name, template="tessera_template")
    return server.url(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=normalize_database_url(database_url),
        public_url="http://testserver",
        auth_cache_ttl=0.0,
        # Every in-process request comes from one address, and the matrices present thousands
        # of refused keys: tests/test_auth_failures.py sets the failure budget it tests.
        rate_limit_auth_failures="1000000/second",
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine for factories and assertions, beside the app's own."""
    engine = create_engine(settings)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def tessera(settings: Settings) -> AsyncIterator[Tessera]:
    """The state a worker of `tessera serve` runs on (engine, group commit, caches), for tests
    that call the scheduled work (purge, points) directly."""
    started = Tessera.start(settings)
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process, with its lifespan run as a server would."""
    async with app_client(settings) as http:
        yield http


class app_client:
    """``async with app_client(settings) as client``: for tests that need custom settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __aenter__(self) -> httpx.AsyncClient:
        app = create_app(self.settings)
        self._lifespan = app.router.lifespan_context(app)
        state: dict[str, Any] = await self._lifespan.__aenter__() or {}

        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = dict(state)
            await app(scope, receive, send)

        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=with_state), base_url="http://testserver"
        )
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_live_server(
    database_url: str, log_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> LiveServer:
    """`tessera serve` as a real process on ``database_url``, its output in ``log_dir``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = log_dir / f"server-{port}.log"
    environment = {
        **os.environ,
        "TESSERA_DATABASE_URL": database_url,
        "TESSERA_PUBLIC_URL": url,
        **(env or {}),
    }
    command = [sys.executable, "-m", "tessera", "serve", "--port", str(port)]
    # The server writes to its own copy of the file descriptor; ours closes at once.
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=url, process=process, log=log)
    try:
        wait_for_port(port, timeout=30)
    except TimeoutError:
        server.stop()
        pytest.fail(f"tessera serve did not start:\n{log.read_text()}")
    return server


@pytest.fixture
def live_server_on(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start `tessera serve` on a given database: ``live_server_on(url, workers=2, env={...})``."""
    started: list[LiveServer] = []

    def start(database_url: str, workers: int = 1, env: dict[str, str] | None = None) -> LiveServer:
        server = start_live_server(database_url, tmp_path, workers=workers, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_server(
    database_url: str, live_server_on: Callable[..., LiveServer]
) -> Callable[..., LiveServer]:
    """Start `tessera serve` on the test's database: ``live_server(workers=2, env={...})``."""

    def start(workers: int = 1, env: dict[str, str] | None = None) -> LiveServer:
        return live_server_on(database_url, workers=workers, env=env)

    return start


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
