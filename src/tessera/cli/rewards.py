"""``tessera rewards``: rewards' pools of pre-generated codes."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.cli.command import app
from tessera.cli.database import in_transaction
from tessera.cli.output import console, fail, print_json, print_skipped, progress_bar

if TYPE_CHECKING:
    from tessera.loyalty.code_pool import ImportReport, PoolSize

rewards_app = typer.Typer(
    help="Rewards' pools of pre-generated codes (docs/cli.md).", no_args_is_help=True
)
app.add_typer(rewards_app, name="rewards")


@rewards_app.command("import-codes")
def rewards_import_codes(
    file: Annotated[str, typer.Argument(help="One code per line, or CSV with the code first.")],
    program: Annotated[int, typer.Option(help="Program id.")],
    reward: Annotated[int, typer.Option(help="Reward id, as in the program file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Add codes to a reward's pool; its redemptions hand them out in file order.

    Codes the program already has are skipped, so re-running a file is safe."""
    from tessera.kit.clock import utcnow
    from tessera.loyalty.code_pool import import_reward_codes, pool_size, read_codes

    try:
        with open(file, encoding="utf-8-sig") as handle:
            lines = read_codes(handle.read())
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    except (UnicodeDecodeError, ValueError):
        fail(f"cannot read {file}: it is not UTF-8 text")
    if not lines:
        fail(f"{file} has no codes")
    progress, advance = progress_bar("importing codes", len(lines))

    async def work(conn: AsyncConnection) -> tuple[ImportReport, PoolSize]:
        report = await import_reward_codes(conn, program, reward, lines, utcnow(), advance)
        return report, await pool_size(conn, program, reward)

    try:
        report, size = in_transaction(work)
    finally:
        progress.stop()
    if as_json:
        print_json({**asdict(report), "pool_total": size.total, "pool_unused": size.unused})
        return
    console.print(
        f"[green]✓[/] imported {report.imported} code{'s' if report.imported != 1 else ''} "
        f"into reward {reward} of program {program} "
        f"(its pool: {size.total} codes, {size.unused} unused)"
    )
    print_skipped(
        report.skipped,
        {
            "already in this reward's pool": report.already_in_pool,
            "in another reward's pool": report.in_another_reward,
            "already on a claimed reward": report.already_claimed,
            "repeated in the file": report.repeated_in_file,
            "invalid": report.invalid,
        },
    )
    for number, code, problem in report.examples:
        console.print(f"    line {number}: {code!r} {problem}", markup=False, highlight=False)
