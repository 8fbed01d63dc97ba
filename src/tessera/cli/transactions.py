"""``tessera transactions``: a program's points ledger, exported."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, TextIO

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.cli.command import app
from tessera.cli.database import with_engine
from tessera.cli.output import err, fail, progress_bar

transactions_app = typer.Typer(
    help="A program's points ledger (docs/cli.md).", no_args_is_help=True
)
app.add_typer(transactions_app, name="transactions")


@transactions_app.command("export")
def transactions_export(
    program: Annotated[int, typer.Option(help="Program id.")],
    output: Annotated[
        str | None, typer.Option(help="Write to this file (default: standard output).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only transactions at or after this ISO date or time.")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="Only this merchant_id's.")] = None,
) -> None:
    """Write the program's points transactions as CSV, oldest first.

    The columns are those of the Admin API's GET /v2/transactions?type=csv."""
    from tessera.kit.clock import parse_moment
    from tessera.loyalty.ledger_export import export_scope, ledger_pages
    from tessera.loyalty.transactions_list import TransactionFilters
    from tessera.shapes.loyaltylion.transactions import (
        CSV_COLUMNS,
        transaction_csv_row,
        transaction_out,
    )

    since_at = None if since is None else parse_moment(since)
    if since is not None and since_at is None:
        fail(f"--since {since!r} is not an ISO 8601 date or timestamp")
    filters = TransactionFilters(created_at_min=since_at)

    async def work(engine: AsyncEngine) -> int:
        async with engine.connect() as conn:
            target, chosen, total = await export_scope(conn, program, filters, customer)
        progress, advance = progress_bar("exporting transactions", total)
        written = 0
        try:
            with _csv_output(output) as stream:
                writer = csv.writer(stream, lineterminator="\r\n")
                writer.writerow(CSV_COLUMNS)
                async for page in ledger_pages(engine, program, chosen):
                    writer.writerows(transaction_csv_row(transaction_out(target, t)) for t in page)
                    written += len(page)
                    if output is not None:
                        advance(len(page))
        finally:
            progress.stop()
        return written

    written = with_engine(work)
    if output is not None:
        err.print(f"[green]✓[/] {written} transactions of program {program} written to {output}")


@contextmanager
def _csv_output(output: str | None) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        return
    try:
        handle = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    with handle:
        yield handle
