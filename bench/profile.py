"""Where each session endpoint's CPU goes: ``python -m bench.profile``.

The bench's SQLite setup (the demo, ``tessera serve --workers 2``), each endpoint loaded by wrk
as ``make bench`` loads it while py-spy samples both workers (``--format raw``, active samples
only). Each sample is put in one bucket by its innermost frame that names a library or a
Tessera package, and the report gives each bucket's µs of worker CPU per acknowledged request
(samples ÷ rate ÷ requests), event loop and writer threads together.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.endpoints import endpoints
from bench.setups import SETUPS, running, services, start_tessera
from bench.wrk import run_wrk

RATE = 250
PY_SPY = Path(sys.executable).with_name("py-spy")
# (bucket, pattern of a frame's file): the first bucket whose pattern matches, scanning the
# stack from its innermost frame outwards, takes the sample.
BUCKETS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("SQLite (sqlite3 module)", r"/sqlite3/|sqlite_inline"),
        ("SQLAlchemy", r"/sqlalchemy/"),
        ("asyncpg", r"/asyncpg/"),
        ("JSON Schema validation", r"/jsonschema|/referencing/"),
        ("form decoding (qs-codec)", r"/qs_codec/"),
        ("crypto (AES-GCM, HMAC, hashes)", r"/cryptography/|hmac\.py|hashlib|secrets\.py"),
        ("Babel", r"/babel/"),
        ("msgspec", r"msgspec"),
        ("uvicorn and httptools", r"/uvicorn/|httptools"),
        ("Starlette", r"/starlette/"),
        ("group commit (writer)", r"tessera/store/group_commit"),
        ("store (other)", r"tessera/store/"),
        ("auth and rate limits", r"tessera/(auth|ratelimit)"),
        ("observability, logs, metrics", r"tessera/(observability|logs|metrics)"),
        ("dialect adapters", r"tessera/api/"),
        ("loyalty, sessions, customers (core)", r"tessera/(loyalty|sessions|customers|programs)"),
        ("Tessera (other)", r"tessera/"),
        ("asyncio and uvloop", r"asyncio/|uvloop"),
    )
)
FRAME = re.compile(r"\((?P<file>[^():]+)(?::\d+)?\)$")


def bucket_of(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        found = FRAME.search(frame)
        where = found["file"] if found else frame
        for name, pattern in BUCKETS:
            if pattern.search(where):
                return name
    return "other (interpreter, C)"


def innermost(stack: str) -> str:
    """The innermost frame's function and file (for ``--detail``)."""
    frame = stack.split(";")[-1]
    return re.sub(r"\(.*/(site-packages|src)/", "(", frame)


def read_raw(path: Path, detail: Counter[str] | None = None) -> Counter[str]:
    buckets: Counter[str] = Counter()
    if not path.exists():
        return buckets
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            buckets[bucket_of(stack)] += int(count)
            if detail is not None:
                detail[innermost(stack)] += int(count)
    return buckets


@dataclass
class Profiled:
    label: str
    requests: int
    buckets: Counter[str]
    detail: Counter[str]

    def us_per_request(self, samples: int) -> float:
        return samples / RATE / max(self.requests, 1) * 1e6


def profile(setup_name: str, seconds: int, keys: list[str]) -> list[Profiled]:
    found = []
    with services() as shared:
        server = start_tessera(SETUPS[setup_name], shared)
        with running(server.process):
            for endpoint in endpoints(server.demo):
                if keys and endpoint.key not in keys:
                    continue
                print(f"profiling {endpoint.label} ...", file=sys.stderr)
                with tempfile.TemporaryDirectory() as scratch:
                    spies = []
                    outputs = []
                    for pid in server.process.worker_pids():
                        output = Path(scratch) / f"{pid}.txt"
                        outputs.append(output)
                        command = [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw"]
                        command += ["--rate", str(RATE), "--duration", str(seconds)]
                        command += ["--gil", "--nonblocking", "--output", str(output)]
                        spies.append(
                            subprocess.Popen(
                                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                            )
                        )
                    measured = run_wrk(
                        server.process.url,
                        endpoint.request,
                        seconds=seconds,
                        connections=64,
                        threads=1,
                    )
                    for spy in spies:
                        spy.wait(timeout=seconds + 30)
                    buckets: Counter[str] = Counter()
                    detail: Counter[str] = Counter()
                    for output in outputs:
                        buckets.update(read_raw(output, detail))
                found.append(Profiled(endpoint.label, measured.acknowledged, buckets, detail))
    return found


def print_report(found: list[Profiled], detail: int) -> None:
    for item in found:
        total = sum(item.buckets.values())
        print(f"\n{item.label}: {item.requests:,} answers, ", end="")
        print(f"{item.us_per_request(total):,.0f} µs of worker CPU per request")
        print("| where | µs per request | share |")
        print("|---|---:|---:|")
        for name, samples in item.buckets.most_common():
            share = samples / total if total else 0.0
            if share >= 0.01:
                print(f"| {name} | {item.us_per_request(samples):,.0f} | {share:.0%} |")
        for frame, samples in item.detail.most_common(detail):
            print(f"  {item.us_per_request(samples):6.1f} µs  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--setup", choices=sorted(SETUPS), default="sqlite")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--detail", type=int, default=0, help="also the N hottest frames")
    parser.add_argument("endpoint", nargs="*", help="endpoint keys (default: every one)")
    options = parser.parse_args()
    print_report(profile(options.setup, options.seconds, options.endpoint), options.detail)


if __name__ == "__main__":
    main()
