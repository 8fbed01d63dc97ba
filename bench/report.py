"""Results as tables: for the terminal, and in docs/benchmarks.md between two markers."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.setups import RunSpec
from bench.wrk import Result

BEGIN = "<!-- bench:begin: written by `make bench`; edit outside these markers -->"
END = "<!-- bench:end -->"

HEADER = (
    "| endpoint | req/s | x baseline | p50 ms | x baseline | p99 ms | x baseline | errors |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)

NEW_REPORT = f"""# Benchmarks

`make bench` measures a real `tessera serve` with wrk and rewrites the results below.

{BEGIN}
{END}
"""


@dataclass(frozen=True)
class RunResult:
    spec: RunSpec
    results: list[Result]

    def rows(self) -> list[tuple[str, ...]]:
        base = self.results[0]
        return [
            (
                result.endpoint.label,
                f"{result.per_second:,.0f}",
                _ratio(result.per_second, base.per_second),
                f"{result.p50_ms:.2f}",
                _ratio(result.p50_ms, base.p50_ms),
                f"{result.p99_ms:.2f}",
                _ratio(result.p99_ms, base.p99_ms),
                _errors(result),
            )
            for result in self.results
        ]


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def _errors(result: Result) -> str:
    if not result.socket_errors and not result.http_errors:
        return "0"
    parts = []
    if result.http_errors:
        parts.append(f"{result.http_errors} status ≥ 400")
    if result.socket_errors:
        parts.append(f"{result.socket_errors} socket")
    return ", ".join(parts)


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def render(
    results: list[RunResult], *, machine: dict[str, str], started: dt.datetime, settings: str
) -> str:
    lines = [
        "## Latest results",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC at commit `{_commit()}`. {settings}. Errors are "
        "wrk's: answers with status ≥ 400, and connect/read/write/timeout errors.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in machine.items()),
    ]
    for run in results:
        lines += ["", f"### {run.spec.title}", "", HEADER]
        lines += ["| " + " | ".join(row) + " |" for row in run.rows()]
    return "\n".join(lines)


def write_report(
    path: Path,
    results: list[RunResult],
    *,
    machine: dict[str, str],
    started: dt.datetime,
    settings: str,
) -> None:
    """Replace what lies between the markers; everything else in the file is kept."""
    text = path.read_text() if path.exists() else NEW_REPORT
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    body = render(results, machine=machine, started=started, settings=settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
