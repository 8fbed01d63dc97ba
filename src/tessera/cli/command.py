"""The ``tessera`` application: global options, and the one place errors become a line.

Every command module registers its commands (or its group) on ``app``. An exception that
escapes a command is printed as one line by ``explain`` and the exit status is 1; with
``tessera --debug`` it is raised instead, so Python prints the traceback. (Rich's tracebacks
stay off: they show local variables, which can hold keys and passwords.)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import typer
from typer._click.core import Context  # typer's own click, which has no public name for it
from typer.core import TyperGroup

from tessera.cli.failures import explain
from tessera.cli.output import print_error


class TesseraGroup(TyperGroup):
    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exits, usage errors
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            print_error(explain(exc))
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=TesseraGroup,
    help="Tessera: short-lived, scoped customer sessions (LoyaltyLion- and Stripe-compatible).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def tessera_version() -> str:
    try:
        return version("tessera")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from tessera import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tessera {tessera_version()}")
        raise typer.Exit()


@app.callback()
def tessera(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show its traceback, not one line.")
    ] = False,
) -> None:
    """Tessera: short-lived, scoped customer sessions (LoyaltyLion- and Stripe-compatible)."""
