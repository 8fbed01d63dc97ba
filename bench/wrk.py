"""Run wrk against one request shape and read its summary line (see wrk.lua)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")
PREFIX = "BENCH_JSON "


@dataclass(frozen=True)
class Request:
    """What wrk sends. ``{fresh}`` in the path, a header or the body is replaced per request."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass(frozen=True)
class Measured:
    """One wrk run: its figures, and every answer counted by status in wrk's ``response()``."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    statuses: Mapping[int, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def acknowledged(self) -> int:
        """Answers with a 2xx status: what a client takes as done."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def refused(self) -> int:
        """Answers that are not 2xx (4xx and 5xx alike)."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def errors(self) -> int:
        return self.refused + self.socket_errors


def parse_summary(output: str) -> Measured:
    """The last ``BENCH_JSON`` line of wrk's output, as wrk.lua's ``done()`` writes it."""
    lines = [line for line in output.splitlines() if line.startswith(PREFIX)]
    if not lines:
        raise ValueError("wrk printed no BENCH_JSON summary line")
    summary = json.loads(lines[-1].removeprefix(PREFIX))
    return Measured(
        requests=int(summary["requests"]),
        seconds=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        socket_errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
        statuses={int(status): int(n) for status, n in summary["statuses"].items()},
    )


def combine(runs: list[Measured]) -> dict[int, int]:
    """Answers by status over several runs (a warm-up and its measurement)."""
    total: dict[int, int] = {}
    for run in runs:
        for status, n in run.statuses.items():
            total[status] = total.get(status, 0) + n
    return total


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
    request: Request,
    *,
    seconds: int,
    connections: int,
    threads: int,
    tick: Callable[[float], None] | None = None,
) -> Measured:
    """Load ``request`` for ``seconds``; ``tick(elapsed)`` is called while it runs."""
    env = {
        **os.environ,
        "BENCH_METHOD": request.method,
        "BENCH_PATH": request.path,
        "BENCH_BODY": request.body,
        "BENCH_HEADERS": "\n".join(f"{name}: {value}" for name, value in request.headers.items()),
        "BENCH_NONCE": secrets.token_hex(8),
    }
    command = [
        wrk_binary(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        f"--script={SCRIPT}",
        base_url + "/",
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while process.poll() is None:
        if tick is not None:
            tick(time.monotonic() - started)
        time.sleep(0.2)
    out, err = process.communicate()
    try:
        if process.returncode != 0:
            raise ValueError(f"exit status {process.returncode}")
        return parse_summary(out.decode())
    except ValueError as exc:
        raise RuntimeError(f"wrk failed ({exc}):\n{out.decode()}\n{err.decode()}") from exc
