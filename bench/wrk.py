"""Run wrk against one endpoint and read its summary (see wrk.lua)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")


@dataclass(frozen=True)
class Endpoint:
    label: str
    short: str  # for the terminal
    method: str
    path: str
    body: str = ""
    authorization: str = ""


@dataclass(frozen=True)
class Result:
    endpoint: Endpoint
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    http_errors: int  # answers with a status of 400 or more (wrk counts those, not 2xx/3xx)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is not installed: run `make bench` (scripts/ensure-system-packages installs it) "
            "or `apt-get install wrk`"
        )
    return found


def run_wrk(
    base_url: str,
    endpoint: Endpoint,
    *,
    seconds: int,
    connections: int,
    threads: int,
    tick: Callable[[float], None] | None = None,
) -> Result:
    """Load ``endpoint`` for ``seconds``; ``tick(elapsed)`` is called while it runs."""
    env = {
        **os.environ,
        "BENCH_METHOD": endpoint.method,
        "BENCH_BODY": endpoint.body,
        "BENCH_AUTHORIZATION": endpoint.authorization,
    }
    command = [
        wrk_binary(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        f"--script={SCRIPT}",
        base_url + endpoint.path,
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while process.poll() is None:
        if tick is not None:
            tick(time.monotonic() - started)
        time.sleep(0.2)
    out, err = process.communicate()
    lines = [line for line in out.decode().splitlines() if line.startswith("BENCH_JSON ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{out.decode()}\n{err.decode()}")
    summary = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    return Result(
        endpoint=endpoint,
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        socket_errors=summary["connect"] + summary["read"] + summary["write"] + summary["timeout"],
        http_errors=summary["status"],
    )
