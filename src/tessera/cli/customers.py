"""``tessera customers``: moving customers in from another program."""

from __future__ import annotations

import csv
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.cli.command import app
from tessera.cli.database import with_engine
from tessera.cli.output import console, fail, print_json, print_skipped, progress_bar

if TYPE_CHECKING:
    from tessera.customers.importing import ImportReport as CustomersReport

customers_app = typer.Typer(
    help="Move customers in from another program (docs/cli.md).", no_args_is_help=True
)
app.add_typer(customers_app, name="customers")


@customers_app.command("import")
def customers_import(
    file: Annotated[
        str, typer.Argument(help="CSV: merchant_id, email, points[, enrolled_at][, tier].")
    ],
    program: Annotated[int, typer.Option(help="Program id.")],
    site: Annotated[
        int | None, typer.Option(help="The customers' site (when the program has several).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Create or update each row's customer, with the file's figure as approved points.

    Bad rows are skipped and counted; re-running a file changes nothing."""
    from tessera.customers.import_file import (
        BadRow,
        CustomerRow,
        FileRefused,
        check_file,
        read_rows,
        tier_lookup,
    )
    from tessera.customers.importing import BATCH, ImportReport, import_batch, import_target
    from tessera.kit.clock import utcnow
    from tessera.store.transactions import write_transaction

    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            total = check_file(handle, file)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"cannot read {file}: it is not UTF-8 text")
    except (FileRefused, csv.Error) as exc:
        fail(str(exc))
    progress, advance = progress_bar("importing customers", total)

    async def work(engine: AsyncEngine, handle: TextIO) -> ImportReport:
        async with engine.connect() as conn:
            target = await import_target(conn, program, site)
        levels = target.document.tiers.levels if target.document.tiers else []
        report, now = ImportReport(), utcnow()
        batch: list[CustomerRow] = []

        async def commit() -> None:
            # One transaction per batch: a crash leaves whole batches, and a re-run does the rest.
            async with write_transaction(engine) as conn:
                await import_batch(conn, target, batch, now, report)
            advance(len(batch))
            batch.clear()

        for row in read_rows(handle, file, tier_lookup(levels), now):
            if isinstance(row, BadRow):
                report.skip(row)
                advance(1)
                continue
            batch.append(row)
            if len(batch) >= BATCH:
                await commit()
        if batch:
            await commit()
        return report

    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            report = with_engine(lambda engine: work(engine, handle))
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    except (FileRefused, csv.Error, UnicodeDecodeError) as exc:
        fail(str(exc))
    finally:
        progress.stop()
    _customers_summary(report, file, program, as_json)


def _customers_summary(report: CustomersReport, file: str, program: int, as_json: bool) -> None:
    from tessera.customers.import_file import REASONS

    if as_json:
        print_json({**asdict(report), "imported": report.imported})
        return
    console.print(
        f"[green]✓[/] imported {report.imported} customer{'s' if report.imported != 1 else ''} "
        f"into program {program}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    reasons = {f"{REASONS[why]} ({_lines(report.examples[why], count)})": count
               for why, count in report.skipped.items()}  # fmt: skip
    print_skipped(report.skipped_total, reasons)
    if report.tier_differs:
        console.print(
            f"  {report.tier_differs} imported with another tier than the file's: a tier is "
            "what the ledger gives (see docs/cli.md)"
        )
    for line, given, derived in report.tier_examples:
        console.print(f"    line {line}: {given} in the file, {derived} here", highlight=False)


def _lines(numbers: list[int], count: int) -> str:
    shown = ", ".join(str(n) for n in numbers)
    return f"line{'s' if count > 1 else ''} {shown}{', ...' if count > len(numbers) else ''}"
