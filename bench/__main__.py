"""``python -m bench``: measure Tessera with wrk and write the results into docs/benchmarks.md."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bench.machine import machine_facts
from bench.report import RunResult, write_report
from bench.setups import RUNS, RunSpec, Server, serve, services
from bench.wrk import Endpoint, Result, run_wrk, wrk_binary

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUNS = ("sqlite", "postgresql", "postgresql-2w-redis")

# Wide enough for the tables when the output is a log file rather than a terminal.
console = Console(width=None if sys.stdout.isatty() else 100)


@dataclass(frozen=True)
class Options:
    runs: tuple[RunSpec, ...]
    seconds: int
    warmup: int
    connections: int
    threads: int
    output: Path | None


def endpoints(server: Server) -> list[Endpoint]:
    auth = f"Bearer {server.demo.api_key}"
    body = json.dumps(
        {
            "channel": "bench",
            "language": "en",
            "currency": "usd",
            "customer": {"merchant_id": "1000001", "email": "alice@example.com"},
        }
    )
    return [
        Endpoint("GET /healthz (baseline)", "healthz (baseline)", "GET", "/healthz"),
        Endpoint(
            "POST /v2/sites/{id}/webviews/sessions",
            "POST webview session",
            "POST",
            f"/v2/sites/{server.demo.site_id}/webviews/sessions",
            body=body,
            authorization=auth,
        ),
        Endpoint(
            "GET /v2/identity/whoami",
            "GET whoami",
            "GET",
            "/v2/identity/whoami",
            authorization=auth,
        ),
    ]


def parse_options() -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--runs",
        default=",".join(DEFAULT_RUNS),
        help=f"comma-separated, from: {', '.join(RUNS)} (default: %(default)s)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint (default: 10)")
    parser.add_argument("--warmup", type=int, default=2, help="per endpoint (default: 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--output",
        default="docs/benchmarks.md",
        help="report to update, relative to the repository (default: %(default)s); '-' for none",
    )
    args = parser.parse_args()
    names = [name.strip() for name in args.runs.split(",") if name.strip()]
    unknown = [name for name in names if name not in RUNS]
    if unknown:
        parser.error(f"unknown runs: {', '.join(unknown)} (known: {', '.join(RUNS)})")
    if args.seconds < 1 or args.seconds > 60:
        parser.error("--seconds must be between 1 and 60")
    return Options(
        runs=tuple(RUNS[name] for name in names),
        seconds=args.seconds,
        warmup=max(0, args.warmup),
        connections=args.connections,
        threads=args.threads,
        output=None if args.output == "-" else ROOT / args.output,
    )


class Bar:
    """One progress bar over every wrk run of the bench, advancing while wrk runs."""

    def __init__(self, progress: Progress, total: float) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=total)
        self.done = 0.0

    def say(self, description: str) -> None:
        self.progress.update(self.task, description=description)

    def load(self, server: Server, endpoint: Endpoint, seconds: int, options: Options) -> Result:
        start = self.done

        def tick(elapsed: float) -> None:
            self.progress.update(self.task, completed=start + min(elapsed, seconds))

        result = run_wrk(
            server.url,
            endpoint,
            seconds=seconds,
            connections=options.connections,
            threads=options.threads,
            tick=tick,
        )
        self.done = start + seconds
        self.progress.update(self.task, completed=self.done)
        return result


def measure(options: Options) -> list[RunResult]:
    total = len(options.runs) * 3 * (options.seconds + options.warmup)
    results: list[RunResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
    )
    with services() as shared, Progress(*columns, console=console) as progress:
        bar = Bar(progress, total)
        for spec in options.runs:
            bar.say(f"{spec.title}: setting up")
            with serve(spec, shared) as server:
                measured: list[Result] = []
                for endpoint in endpoints(server):
                    if options.warmup:
                        bar.say(f"{spec.title}: {endpoint.short} (warming up)")
                        bar.load(server, endpoint, options.warmup, options)
                    bar.say(f"{spec.title}: {endpoint.short}")
                    measured.append(bar.load(server, endpoint, options.seconds, options))
                results.append(RunResult(spec, measured))
        bar.say("done")
    return results


def print_results(results: list[RunResult]) -> None:
    for run in results:
        table = Table(title=run.spec.title, title_justify="left")
        for column in ("endpoint", "req/s", "x base", "p50 ms", "x base", "p99 ms", "x base"):
            table.add_column(column, justify="left" if column == "endpoint" else "right")
        table.add_column("errors", justify="right")
        for result, row in zip(run.results, run.rows(), strict=True):
            table.add_row(result.endpoint.short, *row[1:])
        console.print(table)


def main() -> None:
    options = parse_options()
    wrk_binary()
    started = dt.datetime.now(dt.UTC)
    # Other work on the machine moves every figure; the report says how busy it was.
    load = os.getloadavg()[0]
    results = measure(options)
    print_results(results)
    if options.output is not None:
        write_report(
            options.output,
            results,
            machine=machine_facts(),
            started=started,
            settings=(
                f"wrk: {options.threads} thread(s), {options.connections} connections, "
                f"{options.warmup} s warm-up then {options.seconds} s per endpoint; "
                f"load average {load:.1f} when it started"
            ),
        )
        shown = options.output
        if shown.is_relative_to(ROOT):
            shown = shown.relative_to(ROOT)
        console.print(f"wrote {shown}")


main()
