"""What a benchmark run measures against: throwaway databases, live servers, their workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from tests.services import (
    PostgresServer,
    RedisServer,
    free_port,
    start_postgres,
    start_redis,
    wait_for_port,
)

from bench.endpoints import Demo, stripe_create_customer

ROOT = Path(__file__).resolve().parent.parent
# High enough never to refuse, so the limiter's full cost is measured without 429s.
RAISED_LIMIT = "1000000/second"


@dataclass(frozen=True)
class Setup:
    name: str
    title: str
    database: str  # "sqlite" or "postgresql"
    workers: int
    redis: bool


SETUPS = {
    setup.name: setup
    for setup in (
        Setup("sqlite", "SQLite (default), 2 workers", "sqlite", 2, redis=False),
        Setup("postgresql", "PostgreSQL (durable) + Redis, 2 workers", "postgresql", 2, redis=True),
    )
}


def sync_url(database_url: str) -> str:
    """The same database for SQLAlchemy's sync engine (psycopg for PostgreSQL)."""
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def postgres_settings(database_url: str) -> dict[str, str]:
    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return {
                name: str(conn.execute(sa.text(f"SHOW {name}")).scalar_one())
                for name in ("fsync", "synchronous_commit", "full_page_writes")
            }
    finally:
        engine.dispose()


@dataclass
class Services:
    """PostgreSQL and Redis, started on first use and stopped at the end of the whole bench."""

    workdir: Path
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None
    databases: int = 0

    def postgres_url(self) -> str:
        if self.postgres is None:
            self.postgres = start_postgres(self.workdir / "postgres", durable=True)
        self.databases += 1
        name = f"bench_{self.databases}"
        engine = sa.create_engine(
            sync_url(self.postgres.url("postgres")), isolation_level="AUTOCOMMIT"
        )
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
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


@contextmanager
def services() -> Iterator[Services]:
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as workdir:
        os.chmod(workdir, 0o755)  # PostgreSQL runs as its own user below it
        started = Services(Path(workdir))
        try:
            yield started
        finally:
            started.stop()


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Process:
    """A server started by the bench, and how to find its uvicorn workers."""

    url: str
    popen: subprocess.Popen[bytes]
    log: Path
    workers: int

    def worker_pids(self) -> list[int]:
        """With several workers uvicorn's supervisor spawns them (multiprocessing "spawn"); with
        one, the process itself serves."""
        if self.workers == 1:
            return [self.popen.pid]
        return [pid for pid, cmdline in children(self.popen.pid) if "spawn_main" in cmdline]

    def peak_rss_mb(self) -> list[float]:
        """Each worker's peak resident set (VmHWM), in MB."""
        return [kb / 1024 for kb in (read_vmhwm_kb(pid) for pid in self.worker_pids()) if kb]

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def children(parent: int) -> list[tuple[int, str]]:
    """The processes whose parent is ``parent``, with their command lines."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != parent:
                continue
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        found.append((int(stat.parent.name), cmdline))
    return sorted(found)


def parse_vmhwm_kb(status: str) -> int | None:
    """VmHWM (peak resident set) from the text of /proc/<pid>/status, in kB."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def read_vmhwm_kb(pid: int) -> int | None:
    try:
        return parse_vmhwm_kb(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return None


def start_process(
    command: Sequence[str], *, port: int, workers: int, log: Path, env: dict[str, str]
) -> Process:
    with log.open("wb") as output:
        popen = subprocess.Popen(
            list(command), env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    server = Process(f"http://127.0.0.1:{port}", popen, log, workers)
    try:
        wait_for_port(port, timeout=60)
        wait_workers(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_workers(server: Process) -> None:
    """Every worker started (so that none of them is still importing under the load)."""
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < server.workers:
        if time.monotonic() > deadline or server.popen.poll() is not None:
            raise RuntimeError(f"the server's workers did not start; see {server.log.name}")
        time.sleep(0.1)
    time.sleep(1.0 if server.workers > 1 else 0.2)


@contextmanager
def running(server: Process) -> Iterator[Process]:
    try:
        yield server
    finally:
        server.stop()


def ceiling(workdir: Path, workers: int) -> Process:
    port = free_port()
    command = [sys.executable, "-m", "bench.ceiling", "--port", str(port)]
    return start_process(
        [*command, "--workers", str(workers)],
        port=port,
        workers=workers,
        log=workdir / "ceiling.log",
        env=dict(os.environ),
    )


def localstripe(workdir: Path) -> Process:
    port = free_port()
    return start_process(
        [sys.executable, "-m", "bench.peer_localstripe", "--port", str(port)],
        port=port,
        workers=1,
        log=workdir / "localstripe.log",
        env={**os.environ, "BENCH_LOCALSTRIPE_STORE": str(workdir / "localstripe.pickle")},
    )


@dataclass
class Tessera:
    process: Process
    demo: Demo
    database_url: str
    postgres_settings: dict[str, str] = field(default_factory=dict)


def tessera(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tessera", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )


def start_tessera(setup: Setup, shared: Services) -> Tessera:
    """A fresh database set up through the CLI, and `tessera serve` on a free loopback port."""
    run_dir = shared.workdir / setup.name
    run_dir.mkdir()
    if setup.database == "sqlite":
        database_url = f"sqlite:///{run_dir / 'tessera.db'}"
    else:
        database_url = shared.postgres_url()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TESSERA_DATABASE_URL": database_url, "TESSERA_PUBLIC_URL": url}
    env.pop("TESSERA_REDIS_URL", None)
    if setup.redis:
        env["TESSERA_REDIS_URL"] = shared.redis_url()
    made = tessera("demo", "--json", "--rate-limit", RAISED_LIMIT, env=env)
    if made.returncode != 0:
        raise RuntimeError(f"tessera demo failed:\n{made.stdout}\n{made.stderr}")
    created = json.loads(made.stdout)
    command = [sys.executable, "-m", "tessera", "serve", "--port", str(port)]
    process = start_process(
        [*command, "--workers", str(setup.workers)],
        port=port,
        workers=setup.workers,
        log=run_dir / "server.log",
        env=env,
    )
    try:
        wait_healthy(url)
        customer = create_stripe_customer(url, created["stripe_secret_key"])
    except BaseException:
        process.stop()
        raise
    demo = Demo(
        site_id=int(created["site_id"]),
        api_key=str(created["api_key"]),
        stripe_secret_key=str(created["stripe_secret_key"]),
        stripe_customer=customer,
    )
    pg = postgres_settings(database_url) if setup.database == "postgresql" else {}
    return Tessera(process, demo, database_url, pg)


def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def create_stripe_customer(url: str, secret_key: str) -> str:
    """The customer every customer session of the load is for (made as stripe-python would)."""
    request = stripe_create_customer(secret_key)
    headers = {**request.headers, "Idempotency-Key": "bench-setup-customer"}
    call = urllib.request.Request(
        url + request.path, data=request.body.encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(call, timeout=10) as answer:
        return str(json.loads(answer.read())["id"])
