"""What a run found, judged against the targets, as tables: for the terminal, and in
docs/benchmarks.md between two markers. Nothing here starts a process."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.endpoints import Endpoint, Target
from bench.rows import RowCheck
from bench.setups import Setup
from bench.wrk import Measured

BEGIN = "<!-- bench:begin: written by `make bench`; edit outside these markers -->"
END = "<!-- bench:end -->"
CHART = "benchmarks.png"

# Targets beyond each endpoint's own (issue 7).
MAX_RSS_MB = 150.0
POSTGRES_VS_SQLITE = 0.70

NEW_REPORT = f"""# Benchmarks

`make bench` measures a real `tessera serve` with wrk and rewrites the results below.

{BEGIN}
{END}
"""


@dataclass(frozen=True)
class EndpointResult:
    endpoint: Endpoint
    measured: Measured
    # Answers by status over the warm-up and the measurement: what the row checks count.
    statuses: Mapping[int, int]
    rows: Sequence[RowCheck] = ()

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def missing_rows(self) -> list[RowCheck]:
        return [check for check in self.rows if check.missing]


@dataclass(frozen=True)
class SetupResult:
    setup: Setup
    ceiling: Measured
    ceiling_rss_mb: Sequence[float]
    results: Sequence[EndpointResult]
    rss_mb: Sequence[float]
    notes: Sequence[str] = ()

    def result(self, key: str) -> EndpointResult | None:
        return next((r for r in self.results if r.endpoint.key == key), None)


@dataclass(frozen=True)
class Peer:
    """Another server's answer to the same request, or a figure quoted from elsewhere."""

    label: str
    measured: Measured | None
    ceiling_per_second: float  # the ceiling the ratio is taken against
    note: str = ""
    quoted_per_second: float | None = None  # when measured is None

    @property
    def per_second(self) -> float | None:
        return self.measured.per_second if self.measured else self.quoted_per_second


@dataclass(frozen=True)
class Run:
    setups: Sequence[SetupResult]
    peers: Sequence[Peer] = ()
    settings: str = ""
    machine: Mapping[str, str] = field(default_factory=dict)
    started: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    seconds: float = 0.0


# --- judging -----------------------------------------------------------------------------------


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return value / base


def meets_throughput(target: Target | None, share: float | None) -> bool | None:
    if target is None or share is None:
        return None
    return share >= target.min_ratio


def meets_p99(target: Target | None, p99_ms: float) -> bool | None:
    if target is None or target.max_p99_ms is None:
        return None
    return p99_ms <= target.max_p99_ms


def meets_rss(rss_mb: Sequence[float]) -> bool | None:
    return max(rss_mb) <= MAX_RSS_MB if rss_mb else None


def versus_sqlite(run: Run, setup: SetupResult, key: str) -> float | None:
    """This setup's share of its ceiling over SQLite's share of its own, for one endpoint."""
    if setup.setup.database != "postgresql":
        return None
    sqlite = next((s for s in run.setups if s.setup.database == "sqlite"), None)
    if sqlite is None:
        return None
    mine, theirs = setup.result(key), sqlite.result(key)
    if mine is None or theirs is None:
        return None
    return ratio(
        ratio(mine.measured.per_second, setup.ceiling.per_second),
        ratio(theirs.measured.per_second, sqlite.ceiling.per_second),
    )


def failures(run: Run) -> list[str]:
    """What fails the run: any 5xx, and any acknowledged answer without its stored row.
    (A missed target does not: it is reported.)"""
    found = []
    for setup in run.setups:
        if setup.ceiling.server_errors:
            found.append(f"{setup.setup.title}: the ceiling answered 5xx")
        for result in setup.results:
            where = f"{setup.setup.title}, {result.endpoint.label}"
            if result.server_errors:
                counts = ", ".join(
                    f"{n} x {status}"
                    for status, n in sorted(result.statuses.items())
                    if status >= 500
                )
                found.append(f"{where}: {result.server_errors} answers with status 5xx ({counts})")
            for check in result.missing_rows:
                found.append(
                    f"{where}: {check.acknowledged} acknowledged answers but only {check.stored} "
                    f"new rows in {check.table} ({check.missing} missing)"
                )
    return found


# --- formatting --------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("pass" if ok else "**miss**")


def _r(value: float | None) -> str:
    if value is None:
        return "n/a"
    # Small shares keep a third decimal, so that 0.004 and 0.009 do not both read 0.00.
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _errors(measured: Measured) -> str:
    if not measured.errors:
        return "0"
    parts = [
        f"{n} x {status}"
        for status, n in sorted(measured.statuses.items())
        if not 200 <= status < 300
    ]
    if measured.socket_errors:
        parts.append(f"{measured.socket_errors} socket")
    return ", ".join(parts)


def _rows(result: EndpointResult) -> str:
    if not result.rows:
        return ""
    acknowledged = result.rows[0].acknowledged
    stored = ", ".join(f"{check.table} +{check.stored:,}" for check in result.rows)
    state = "ok" if not result.missing_rows else "**MISSING**"
    return f"{acknowledged:,} acked: {stored} ({state})"


def target_text(target: Target | None) -> str:
    if target is None:
        return ""
    text = f"≥ {target.min_ratio:.2f}"
    if target.max_p99_ms is not None:
        text += f", p99 ≤ {target.max_p99_ms:g} ms"
    return text


def columns(postgres: bool) -> list[str]:
    names = [
        "endpoint",
        "req/s",
        "÷ ceiling",
        "target",
        "met",
        "p50 ms",
        "÷ ceiling",
        "p99 ms",
        "÷ ceiling",
        "p99 met",
        "errors",
        "rows: acknowledged vs stored",
    ]
    if postgres:
        names += ["÷ SQLite's share", f"≥ {POSTGRES_VS_SQLITE:.2f}"]
    return names


def table_rows(run: Run, setup: SetupResult) -> list[list[str]]:
    postgres = setup.setup.database == "postgresql"
    base = setup.ceiling
    rows = [
        [
            "ceiling (bare ASGI app)",
            f"{base.per_second:,.0f}",
            "1.00",
            "",
            "",
            _ms(base.p50_ms),
            "1.00",
            _ms(base.p99_ms),
            "1.00",
            "",
            _errors(base),
            "",
            *(["", ""] if postgres else []),
        ]
    ]
    for result in setup.results:
        m, target = result.measured, result.endpoint.target
        share = ratio(m.per_second, base.per_second)
        row = [
            result.endpoint.label,
            f"{m.per_second:,.0f}",
            _r(share),
            target_text(target),
            verdict(meets_throughput(target, share)),
            _ms(m.p50_ms),
            _r(ratio(m.p50_ms, base.p50_ms)),
            _ms(m.p99_ms),
            _r(ratio(m.p99_ms, base.p99_ms)),
            verdict(meets_p99(target, m.p99_ms)),
            _errors(m),
            _rows(result),
        ]
        if postgres:
            against = versus_sqlite(run, setup, result.endpoint.key)
            ok = None if against is None else against >= POSTGRES_VS_SQLITE
            row += [_r(against), verdict(ok)]
        rows.append(row)
    return rows


def rss_text(setup: SetupResult) -> str:
    mine = ", ".join(f"{mb:.0f} MB" for mb in setup.rss_mb) or "not read"
    theirs = ", ".join(f"{mb:.0f} MB" for mb in setup.ceiling_rss_mb) or "not read"
    share = ratio(max(setup.rss_mb, default=None), max(setup.ceiling_rss_mb, default=None))
    ok = verdict(meets_rss(setup.rss_mb))
    return (
        f"Peak RSS per worker (VmHWM at the end of the setup): {mine}; the ceiling's {theirs} "
        f"(÷ ceiling {_r(share)}); target ≤ {MAX_RSS_MB:.0f} MB per worker: {ok}."
    )


def peer_rows(peers: Sequence[Peer]) -> list[list[str]]:
    rows = []
    for peer in peers:
        m = peer.measured
        rows.append(
            [
                peer.label,
                "n/a" if peer.per_second is None else f"{peer.per_second:,.0f}",
                f"{peer.ceiling_per_second:,.0f}",
                _r(ratio(peer.per_second, peer.ceiling_per_second)),
                "" if m is None else _ms(m.p50_ms),
                "" if m is None else _ms(m.p99_ms),
                "" if m is None else _errors(m),
                peer.note,
            ]
        )
    return rows


PEER_COLUMNS = ["server", "req/s", "ceiling req/s", "÷ ceiling", "p50 ms", "p99 ms", "errors", ""]


TEXT_COLUMNS = {"endpoint", "server", "target", "errors", "rows: acknowledged vs stored", ""}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    align = ["---" if name in TEXT_COLUMNS else "---:" for name in header]
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows),
    ]


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def render(run: Run, *, commit: str | None = None, chart: str | None = CHART) -> str:
    commit = _commit() if commit is None else commit
    lines = [
        "## Latest results",
        "",
        f"Measured {run.started:%Y-%m-%d %H:%M} UTC at commit `{commit}` in "
        f"{run.seconds / 60:.1f} minutes. {run.settings}",
        "",
        "Every figure is also given as a share of the ceiling measured in the same setup: a "
        "bare ASGI app answering a fixed 201 JSON under the same uvicorn options and worker "
        "count (a share of req/s: higher is better; of p50/p99: lower is better). "
        "Errors are answers other than 2xx, by status, and wrk's socket errors. "
        "A **miss** is reported, not a failure: the run fails only on a 5xx or on an "
        "acknowledged answer whose row is not stored.",
    ]
    if chart:
        lines += ["", f"![Each endpoint's req/s as a share of the ceiling]({chart})"]
    for setup in run.setups:
        lines += ["", f"### {setup.setup.title}", ""]
        lines += markdown_table(
            columns(setup.setup.database == "postgresql"), table_rows(run, setup)
        )
        lines += ["", rss_text(setup)]
        lines += [f"{note}" for note in setup.notes]
    if run.peers:
        lines += ["", "### Peers: `POST /v1/customers`", ""]
        lines += markdown_table(PEER_COLUMNS, peer_rows(run.peers))
    lines += ["", "| machine | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in run.machine.items()]
    return "\n".join(lines)


def write_report(path: Path, run: Run, *, commit: str | None = None) -> None:
    """Replace what lies between the markers; everything else in the file is kept."""
    text = path.read_text() if path.exists() else NEW_REPORT
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    body = render(run, commit=commit)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
