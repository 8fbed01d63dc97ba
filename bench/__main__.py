"""``python -m bench``: measure Tessera against a bare ASGI ceiling with wrk, check that every
acknowledged answer was stored, and write docs/benchmarks.md and docs/benchmarks.png."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from bench.chart import write_chart
from bench.endpoints import Demo, Endpoint, ceiling_request, endpoints, stripe_create_customer
from bench.machine import machine_facts
from bench.report import (
    CHART,
    PEER_COLUMNS,
    EndpointResult,
    Peer,
    Run,
    SetupResult,
    columns,
    failures,
    peer_rows,
    rss_text,
    table_rows,
    write_report,
)
from bench.rows import check_rows, count_rows
from bench.setups import (
    ROOT,
    SETUPS,
    Process,
    Services,
    Setup,
    ceiling,
    localstripe,
    running,
    services,
    start_tessera,
)
from bench.wrk import Measured, Request, combine, run_wrk, wrk_binary

DEFAULT_SETUPS = ("sqlite", "postgresql")
# stripe-mock (Stripe's Go fake) is not installable here; issue 7 measured it on this machine.
STRIPE_MOCK_PER_SECOND = 19_600.0
STRIPE_MOCK_CEILING = 55_000.0

# Wide enough for the tables when the output is a log file rather than a terminal.
console = Console(width=None if sys.stdout.isatty() else 200)


@dataclass(frozen=True)
class Options:
    setups: tuple[Setup, ...]
    seconds: int
    warmup: int
    connections: int
    threads: int
    peers: bool
    output: Path | None


def parse_options() -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--setups",
        default=",".join(DEFAULT_SETUPS),
        help=f"comma-separated, from: {', '.join(SETUPS)} (default: %(default)s)",
    )
    parser.add_argument("--seconds", type=int, default=5, help="per endpoint (default: 5)")
    parser.add_argument("--warmup", type=int, default=1, help="per endpoint (default: 1)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--no-peers", action="store_true", help="skip localstripe")
    parser.add_argument(
        "--output",
        default="docs/benchmarks.md",
        help="report to update, relative to the repository (default: %(default)s); '-' for "
        "none. The chart goes beside it.",
    )
    args = parser.parse_args()
    names = [name.strip() for name in args.setups.split(",") if name.strip()]
    unknown = [name for name in names if name not in SETUPS]
    if unknown:
        parser.error(f"unknown setups: {', '.join(unknown)} (known: {', '.join(SETUPS)})")
    if not 1 <= args.seconds <= 60:
        parser.error("--seconds must be between 1 and 60")
    return Options(
        setups=tuple(SETUPS[name] for name in names),
        seconds=args.seconds,
        warmup=max(0, args.warmup),
        connections=args.connections,
        threads=args.threads,
        peers=not args.no_peers,
        output=None if args.output == "-" else ROOT / args.output,
    )


class Bench:
    """One progress bar over every wrk run, advancing while wrk runs."""

    def __init__(self, progress: Progress, options: Options, loads: int) -> None:
        self.progress = progress
        self.options = options
        self.per_load = options.warmup + options.seconds
        self.task = progress.add_task("starting", total=loads * self.per_load)
        self.done = 0.0

    def say(self, description: str) -> None:
        self.progress.update(self.task, description=description)

    def _wrk(self, server: Process, request: Request, seconds: int) -> Measured:
        start = self.done

        def tick(elapsed: float) -> None:
            self.progress.update(self.task, completed=start + min(elapsed, seconds))

        measured = run_wrk(
            server.url,
            request,
            seconds=seconds,
            connections=self.options.connections,
            threads=self.options.threads,
            tick=tick,
        )
        self.done = start + seconds
        self.progress.update(self.task, completed=self.done)
        return measured

    def load(
        self, title: str, server: Process, request: Request
    ) -> tuple[Measured, list[Measured]]:
        """A warm-up, then the measurement; returns the measurement and both runs."""
        runs = []
        if self.options.warmup:
            self.say(f"{title} (warming up)")
            runs.append(self._wrk(server, request, self.options.warmup))
        self.say(title)
        measured = self._wrk(server, request, self.options.seconds)
        runs.append(measured)
        return measured, runs

    def measure_setup(self, setup: Setup, shared: Services) -> SetupResult:
        self.say(f"{setup.title}: ceiling starting")
        with running(ceiling(shared.workdir, setup.workers)) as bare:
            top, _ = self.load(f"{setup.title}: ceiling", bare, ceiling_request())
            ceiling_rss = bare.peak_rss_mb()
        self.say(f"{setup.title}: Tessera starting")
        server = start_tessera(setup, shared)
        results = []
        with running(server.process):
            for endpoint in endpoints(server.demo):
                results.append(
                    self.measure_endpoint(setup, server.database_url, endpoint, server.process)
                )
            rss = server.process.peak_rss_mb()
        notes = []
        if server.postgres_settings:
            shown = ", ".join(f"{k}={v}" for k, v in server.postgres_settings.items())
            notes.append(f"PostgreSQL as it ran: {shown}.")
        return SetupResult(setup, top, ceiling_rss, results, rss, notes)

    def measure_endpoint(
        self, setup: Setup, database_url: str, endpoint: Endpoint, server: Process
    ) -> EndpointResult:
        before = count_rows(database_url, endpoint.rows) if endpoint.rows else {}
        measured, runs = self.load(f"{setup.title}: {endpoint.label}", server, endpoint.request)
        statuses = combine(runs)
        checks = []
        if endpoint.rows:
            # Let the requests wrk left in flight finish, so the next endpoint starts clean.
            time.sleep(0.5)
            after = count_rows(database_url, endpoint.rows)
            acknowledged = sum(n for status, n in statuses.items() if 200 <= status < 300)
            checks = check_rows(endpoint.rows, acknowledged, before, after)
        result = EndpointResult(endpoint, measured, statuses, checks)
        for check in result.missing_rows:
            console.print(
                f"[bold red]{setup.title}, {endpoint.label}:[/] {check.missing} of "
                f"{check.acknowledged} acknowledged answers have no row in {check.table}"
            )
        if result.server_errors:
            console.print(
                f"[bold red]{setup.title}, {endpoint.label}:[/] "
                f"{result.server_errors} answers with status 5xx"
            )
        return result

    def measure_localstripe(self, shared: Services, ceiling_per_second: float) -> Peer:
        self.say("localstripe starting")
        with running(localstripe(shared.workdir)) as peer:
            request = stripe_create_customer("sk_test_bench")
            measured, _ = self.load("localstripe: POST /v1/customers", peer, request)
        return Peer(
            f"localstripe {version('localstripe')} (1 process, aiohttp)",
            measured,
            ceiling_per_second,
            note="the same request; ratio to the first setup's ceiling",
        )


def measure(options: Options) -> tuple[list[SetupResult], list[Peer]]:
    per_setup = 1 + len(endpoints(Demo(0, "", "")))  # the ceiling, then each endpoint
    loads = len(options.setups) * per_setup + (1 if options.peers else 0)
    columns_ = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    setups: list[SetupResult] = []
    local: list[Peer] = []
    with services() as shared, Progress(*columns_, console=console) as progress:
        bench = Bench(progress, options, loads)
        for setup in options.setups:
            setups.append(bench.measure_setup(setup, shared))
        if options.peers and setups:
            local.append(bench.measure_localstripe(shared, setups[0].ceiling.per_second))
        bench.say("done")
    peers = [
        Peer(f"Tessera, {s.setup.title}", found.measured, s.ceiling.per_second)
        for s in setups
        if (found := s.result("stripe-customer")) is not None
    ]
    peers += local
    peers.append(
        Peer(
            "stripe-mock (Stripe's Go fake)",
            None,
            STRIPE_MOCK_CEILING,
            note="not installable here; issue 7's figure on this machine, for reference",
            quoted_per_second=STRIPE_MOCK_PER_SECOND,
        )
    )
    return setups, peers


def print_run(run: Run) -> None:
    for setup in run.setups:
        table = Table(title=setup.setup.title, title_justify="left")
        header = columns(setup.setup.database == "postgresql")
        for index, column in enumerate(header):
            table.add_column(column, justify="left" if index == 0 else "right")
        for row in table_rows(run, setup):
            table.add_row(*(cell.replace("**", "") for cell in row))
        console.print(table)
        console.print(rss_text(setup).replace("**", ""))
    if run.peers:
        table = Table(title="Peers: POST /v1/customers", title_justify="left")
        for column in PEER_COLUMNS:
            table.add_column(column)
        for row in peer_rows(run.peers):
            table.add_row(*row)
        console.print(table)


def main() -> None:
    options = parse_options()
    wrk_binary()
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    # Other work on the machine moves every figure; the report says how busy it was.
    load = os.getloadavg()[0]
    setups, peers = measure(options)
    run = Run(
        setups=setups,
        peers=peers,
        settings=(
            f"wrk {options.threads} thread(s), {options.connections} connections, "
            f"{options.warmup} s warm-up then {options.seconds} s per endpoint, loopback; "
            f"load average {load:.1f} when it started."
        ),
        machine=machine_facts(),
        started=started,
        seconds=time.monotonic() - clock,
    )
    print_run(run)
    if options.output is not None:
        write_report(options.output, run)
        write_chart(options.output.with_name(CHART), run)
        shown = (
            options.output.relative_to(ROOT)
            if options.output.is_relative_to(ROOT)
            else options.output
        )
        console.print(f"wrote {shown} and {shown.with_name(CHART)}")
    console.print(f"took {run.seconds:.0f} s")
    problems = failures(run)
    if problems:
        console.print("[bold red]FAILED:[/]")
        for problem in problems:
            console.print(f"  {problem}")
        raise SystemExit(1)


main()
