"""A real `tessera serve` per backend, shared by the Stripe tests; each test gets its own
program and Stripe keys (tenants are isolated, so tests cannot see each other's data), and
drives the server with stripe-python."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import stripe
from tessera.api.stripe import idempotency
from tessera.auth.stripe_keys import CreatedStripeKeys, create_stripe_keys
from tessera.config import Settings, normalize_database_url
from tessera.programs.sites import create_program
from tessera.store.engine import create_engine
from tests.conftest import LiveServer, _create_database, run_async, start_live_server
from tests.services import PostgresServer, find_binary
from tests.stripe.schema import ValidatingClient, assert_stripe_schema


def http(method: str, url: str, **options: Any) -> httpx.Response:
    """A plain HTTP call, for what the SDK does not let a test see or send. Blocking, like the
    SDK: the server is another process, so the test's event loop has nothing to serve."""
    return httpx.request(method, url, **options)


def sdk(key: str, url: str, **options: Any) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": url},
        max_network_retries=0,
        http_client=ValidatingClient(),
        **options,
    )


def body(obj: Any) -> Any:
    """The JSON the server sent for an SDK object."""
    response = obj.last_response
    assert response is not None
    return response.data


def error_body(exc: stripe.StripeError) -> Any:
    """The error envelope, checked against Stripe's ``error`` schema on the way."""
    assert exc.json_body is not None
    assert_stripe_schema("error", exc.json_body)
    return exc.json_body["error"]


@dataclass
class StripeWorld:
    url: str
    program_id: int
    keys: CreatedStripeKeys
    db: AsyncEngine
    database_url: str
    log_dir: Path
    started: list[LiveServer] = field(default_factory=list)

    def another_server(self, env: dict[str, str] | None = None) -> LiveServer:
        """A second server process on the same database (stopped after the test)."""
        server = start_server(self.database_url, self.log_dir, env)
        self.started.append(server)
        return server

    @property
    def client(self) -> stripe.StripeClient:
        return sdk(self.keys.secret_key, self.url)

    @property
    def server_key(self) -> bytes:
        """The key the servers seal stored answers with (their key file, found as they do)."""
        return idempotency.server_key(
            Settings(database_url=normalize_database_url(self.database_url))
        )

    def client_for(self, key: str, **options: Any) -> stripe.StripeClient:
        return sdk(key, self.url, **options)

    async def more_keys(
        self,
        *,
        livemode: bool = False,
        permissions: list[str] | None = None,
        rate_limit: str | None = None,
        program_id: int | None = None,
    ) -> CreatedStripeKeys:
        async with self.db.begin() as conn:
            return await create_stripe_keys(
                conn,
                program_id or self.program_id,
                livemode=livemode,
                restricted_permissions=permissions,
                rate_limit=rate_limit,
            )

    async def other_program(self) -> int:
        async with self.db.begin() as conn:
            return (await create_program(conn, "Another shop")).id


def start_server(database_url: str, log_dir: Path, env: dict[str, str] | None = None) -> LiveServer:
    """`tessera serve` as a real process on ``database_url`` (``env``: more settings)."""
    return start_live_server(database_url, log_dir, env=env)


@dataclass
class SharedServer:
    server: LiveServer
    database_url: str


# What the webhook tests' servers add: loopback receivers allowed, and a worker that looks
# for events to post ten times a second, retrying within a tenth of a second.
WEBHOOK_ENV = {
    "TESSERA_WEBHOOKS_ALLOW_PRIVATE": "true",
    "TESSERA_WEBHOOKS_INTERVAL": "0.1",
    "TESSERA_WEBHOOKS_RETRY_BASE": "0.1",
}


def _sqlite_server(
    template: Path, factory: pytest.TempPathFactory, env: dict[str, str] | None = None
) -> SharedServer:
    folder = factory.mktemp("stripe-sqlite")
    shutil.copyfile(template, folder / "tessera.db")
    database_url = f"sqlite:///{folder / 'tessera.db'}"
    return SharedServer(start_server(database_url, folder, env), database_url)


def _postgresql_server(
    postgres: PostgresServer, factory: pytest.TempPathFactory, env: dict[str, str] | None = None
) -> SharedServer:
    name = f"stripe_{uuid.uuid4().hex[:12]}"
    run_async(_create_database(postgres.admin_url, name, template="tessera_template"))
    database_url = postgres.url(name)
    server = start_server(database_url, factory.mktemp("stripe-postgresql"), env)
    return SharedServer(server, database_url)


@pytest.fixture(scope="session")
def stripe_server_sqlite(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedServer]:
    shared = _sqlite_server(sqlite_template, tmp_path_factory)
    yield shared
    shared.server.stop()


@pytest.fixture(scope="session")
def stripe_server_postgresql(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedServer]:
    shared = _postgresql_server(postgres, tmp_path_factory)
    yield shared
    shared.server.stop()


@pytest.fixture(scope="session")
def stripe_hooks_server_sqlite(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedServer]:
    shared = _sqlite_server(sqlite_template, tmp_path_factory, WEBHOOK_ENV)
    yield shared
    shared.server.stop()


@pytest.fixture(scope="session")
def stripe_hooks_server_postgresql(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedServer]:
    shared = _postgresql_server(postgres, tmp_path_factory, WEBHOOK_ENV)
    yield shared
    shared.server.stop()


@asynccontextmanager
async def _world(shared: SharedServer, log_dir: Path) -> AsyncIterator[StripeWorld]:
    db = create_engine(Settings(database_url=normalize_database_url(shared.database_url)))
    async with db.begin() as conn:
        program = await create_program(conn, "Stripe shop")
        keys = await create_stripe_keys(conn, program.id)
    world = StripeWorld(
        url=shared.server.url,
        program_id=program.id,
        keys=keys,
        db=db,
        database_url=shared.database_url,
        log_dir=log_dir,
    )
    try:
        yield world
    finally:
        for server in world.started:
            server.stop()
        await db.dispose()


@pytest.fixture
async def world(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StripeWorld]:
    async with _world(request.getfixturevalue(f"stripe_server_{backend}"), tmp_path) as world:
        yield world


@pytest.fixture
async def hooks_world(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StripeWorld]:
    """A world whose server delivers webhooks to loopback receivers, at once."""
    shared = request.getfixturevalue(f"stripe_hooks_server_{backend}")
    async with _world(shared, tmp_path) as world:
        yield world


NODE_PROJECT = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def node_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripts and the pinned stripe package (package-lock.json), installed once per test
    run with ``npm ci``."""
    npm = find_binary("npm", "npm")
    project = tmp_path_factory.mktemp("stripe-node")
    for path in NODE_PROJECT.iterdir():
        if path.suffix in (".js", ".json"):
            shutil.copy(path, project / path.name)
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return project


def run_node(project: Path, script: str, *args: str, stdin: str | None = None) -> Any:
    """A script's JSON output (it must exit 0)."""
    node = find_binary("node", "nodejs")
    result = subprocess.run(
        [node, script, *args],
        cwd=project,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
