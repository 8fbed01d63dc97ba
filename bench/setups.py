"""What a benchmark run measures against: a throwaway database, a demo key, a live server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from tests.services import (
    PostgresServer,
    RedisServer,
    free_port,
    start_postgres,
    start_redis,
    wait_for_port,
)

TESSERA = (sys.executable, "-m", "tessera")
# High enough never to refuse, so the limiter's full cost is measured without 429s.
UNREFUSING_LIMIT = "1000000/second"


@dataclass(frozen=True)
class RunSpec:
    name: str
    title: str
    database: str  # "sqlite" or "postgresql"
    workers: int
    redis: bool


RUNS = {
    spec.name: spec
    for spec in (
        RunSpec("sqlite", "SQLite, 1 worker", "sqlite", 1, redis=False),
        RunSpec("postgresql", "PostgreSQL, 1 worker", "postgresql", 1, redis=False),
        RunSpec(
            "postgresql-2w-redis", "PostgreSQL, 2 workers + Redis", "postgresql", 2, redis=True
        ),
        RunSpec("sqlite-2w-redis", "SQLite, 2 workers + Redis", "sqlite", 2, redis=True),
    )
}


@dataclass(frozen=True)
class Demo:
    program_id: int
    site_id: int
    api_key: str


@dataclass
class Services:
    """PostgreSQL and Redis, started on first use and stopped at the end of the whole bench."""

    workdir: Path
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None
    databases: int = 0

    def postgres_url(self) -> str:
        if self.postgres is None:
            base = Path(tempfile.mkdtemp(prefix="tessera-bench-pg-"))
            self.postgres = start_postgres(base)
        self.databases += 1
        name = f"bench_{self.databases}"
        asyncio.run(_create_database(self.postgres.admin_url, name))
        return self.postgres.url(name)

    def redis_url(self) -> str:
        if self.redis is None:
            self.redis = start_redis()
        return self.redis.url

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
            shutil.rmtree(self.postgres.data_dir.parent, ignore_errors=True)


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@contextmanager
def services() -> Iterator[Services]:
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as workdir:
        started = Services(Path(workdir))
        try:
            yield started
        finally:
            started.stop()


@dataclass(frozen=True)
class Server:
    url: str
    demo: Demo
    log: Path


def tessera(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TESSERA, *args], env=env, capture_output=True, text=True)


@contextmanager
def serve(spec: RunSpec, shared: Services) -> Iterator[Server]:
    """A fresh database set up through the CLI, and `tessera serve` on a free loopback port."""
    run_dir = shared.workdir / spec.name
    run_dir.mkdir()
    if spec.database == "sqlite":
        database_url = f"sqlite:///{run_dir / 'tessera.db'}"
    else:
        database_url = shared.postgres_url()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "TESSERA_DATABASE_URL": database_url,
        "TESSERA_PUBLIC_URL": url,
    }
    env.pop("TESSERA_REDIS_URL", None)
    if spec.redis:
        env["TESSERA_REDIS_URL"] = shared.redis_url()
    made = tessera("demo", "--json", "--rate-limit", UNREFUSING_LIMIT, env=env)
    if made.returncode != 0:
        raise RuntimeError(f"tessera demo failed:\n{made.stdout}\n{made.stderr}")
    created = json.loads(made.stdout)
    demo = Demo(created["program_id"], created["site_id"], created["api_key"])
    log = run_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*TESSERA, "serve", "--port", str(port), "--workers", str(spec.workers)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, timeout=60)
        wait_healthy(url, workers=spec.workers)
        yield Server(url=url, demo=demo, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(url: str, *, workers: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)
    # The port opens with the first worker; give the others a moment to start their apps.
    if workers > 1:
        time.sleep(1.5)
