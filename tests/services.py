"""Throwaway PostgreSQL and Redis servers started from the installed binaries.

Nothing here skips: a missing binary is a test failure naming the package to install
(`make test` installs them where it can).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


def find_binary(name: str, package: str, extra_globs: tuple[str, ...] = ()) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_globs:
        matches = sorted(glob.glob(pattern))
        if matches:
            return matches[-1]
    pytest.fail(f"{name} is not installed: install the Debian package {package} (make test does)")


@dataclass
class PostgresServer:
    port: int
    data_dir: Path
    pg_ctl: list[str]
    options: str = ""
    log: Path | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            [*self.pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )

    def start(self) -> None:
        """Start it again on the same data and port (after :meth:`stop`)."""
        command = [*self.pg_ctl, "-D", str(self.data_dir), "-o", self.options, "-w", "start"]
        if self.log is not None:
            command[-2:-2] = ["-l", str(self.log)]
        subprocess.run(command, check=True, capture_output=True)


# The suite's cluster: nothing it writes has to survive a power cut.
THROWAWAY = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
# PostgreSQL as production runs it, every acknowledged commit on disk: the bench's.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


def start_postgres(base: Path, *, durable: bool = False) -> PostgresServer:
    initdb = find_binary("initdb", "postgresql", ("/usr/lib/postgresql/*/bin/initdb",))
    pg_ctl = str(Path(initdb).resolve().parent / "pg_ctl")
    base.mkdir(parents=True, exist_ok=True)
    data_dir = base / "pgdata"
    run_as: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root; Debian's package creates the postgres user.
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root and there is no 'postgres' user to run PostgreSQL as")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run_as,
            initdb,
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            *([] if durable else ["--no-sync"]),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    settings = {**(DURABLE if durable else THROWAWAY), "max_connections": "200"}
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 " + " ".join(
        f"-c {name}={value}" for name, value in settings.items()
    )
    subprocess.run(
        [
            *run_as,
            pg_ctl,
            "-D",
            str(data_dir),
            "-o",
            options,
            "-l",
            str(base / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return PostgresServer(
        port=port, data_dir=data_dir, pg_ctl=[*run_as, pg_ctl], options=options, log=base / "log"
    )


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_redis() -> RedisServer:
    binary = find_binary("redis-server", "redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return RedisServer(port=port, process=process)
