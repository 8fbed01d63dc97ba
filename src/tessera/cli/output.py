"""What the commands print: results on standard output, everything else on standard error.

Standard output carries only what a script may read (a JSON object, a CSV, a table); notes,
progress bars, the database in use and errors go to standard error. Errors and notes are never
wrapped: a long line stays one line, so it neither breaks mid-word nor splits when grepped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console()
err = Console(stderr=True)


def print_error(message: str) -> None:
    """``error: message`` on standard error, on one line, the message as written (no markup)."""
    err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def note(message: str, style: str = "dim") -> None:
    """A line on standard error for the person at the terminal, never for a script."""
    err.print(Text(message, style=style), soft_wrap=True)


def print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2))


# Columns whose values are short and read as one piece: never broken across lines.
WHOLE = frozenset({"id", "program", "key", "limit", "created", "state", "sites"})


def table(*headers: str) -> Table:
    """A table whose cells fold onto more lines in a narrow terminal, never cut off with an
    ellipsis: an id, URL or key shown in part would be worse than a tall table."""
    shown = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
    for header in headers:
        shown.add_column(header, overflow="fold", no_wrap=header in WHOLE)
    return shown


class ProgressBar:
    """A bar on standard error that shows from the first advance: an error found before any
    work is one line, with no bar (and no blank line where the bar would have been)."""

    def __init__(self, label: str, total: int | None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress: Progress = Progress(
            TextColumn(label), BarColumn(), MofNCompleteColumn(), console=err
        )
        self._task = self._progress.add_task(label, total=total)

    def advance(self, count: int) -> None:
        if not self._progress.live.is_started:
            self._progress.start()
        self._progress.advance(self._task, count)

    def stop(self) -> None:
        if self._progress.live.is_started:
            self._progress.stop()


def progress_bar(label: str, total: int | None) -> tuple[ProgressBar, Callable[[int], None]]:
    """A bar on standard error and the function that advances it."""
    bar = ProgressBar(label, total)
    return bar, bar.advance


def print_skipped(total: int, reasons: dict[str, int]) -> None:
    """The summary's skipped rows: how many, then how many for each reason."""
    if total:
        console.print(f"  skipped {total}:")
    for why, count in reasons.items():
        if count:
            console.print(f"    {count} {why}", markup=False, highlight=False)
