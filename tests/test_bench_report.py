"""The bench harness rewrites only its own section of docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bench.report import BEGIN, END, RunResult, write_report
from bench.setups import RUNS
from bench.wrk import Endpoint, Result


def result(label: str, requests: int, p50_ms: float) -> Result:
    return Result(
        endpoint=Endpoint(label, label, "GET", "/"),
        requests=requests,
        seconds=10.0,
        p50_ms=p50_ms,
        p99_ms=p50_ms * 4,
        socket_errors=0,
        http_errors=3 if label == "slow" else 0,
    )


def write(path: Path, requests: int) -> None:
    run = RunResult(RUNS["sqlite"], [result("base", 70_000, 2.0), result("slow", requests, 8.0)])
    write_report(
        path,
        [run],
        machine={"CPU": "test"},
        started=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        settings="wrk: test",
    )


def test_the_report_replaces_its_section_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(f"# Benchmarks\n\nWritten by hand.\n\n{BEGIN}\nold\n{END}\n\nAlso by hand.\n")
    write(path, 10_000)
    write(path, 20_000)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nWritten by hand.\n")
    assert text.endswith(f"{END}\n\nAlso by hand.\n")
    assert "old" not in text
    assert text.count(BEGIN) == 1
    assert "| slow | 2,000 | 0.29x | 8.00 | 4.00x | 32.00 | 4.00x | 3 status ≥ 400 |" in text
