"""``tessera programs``: programs, and the program files that configure them.

Registered twice: as ``programs`` (like ``keys`` and ``sites``) and, hidden, as ``program``,
the name these commands had first, so that scripts written for it keep working.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tessera.cli.command import app
from tessera.cli.database import in_transaction
from tessera.cli.failures import domain_message
from tessera.cli.output import console, fail, print_json, table
from tessera.kit.errors import DomainError
from tessera.programs.overview import ProgramSummary, list_programs

programs_app = typer.Typer(
    help="Create and list programs; apply and show program files (docs/program-file.md).",
    no_args_is_help=True,
)
app.add_typer(programs_app, name="programs")
app.add_typer(programs_app, name="program", hidden=True)


@programs_app.command("create")
def program_create(
    name: Annotated[str, typer.Option(help="The program's name, shown on its pages.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Create a program (then: `sites create`, `keys create`, `programs apply`)."""
    from tessera.programs.sites import create_program

    program = in_transaction(lambda conn: create_program(conn, name))
    if as_json:
        print_json({"program_id": program.id})
        return
    console.print(f"[green]✓[/] program {program.id} ({escape(program.name)})")
    console.print(
        f"  Next: tessera sites create --program {program.id} --name ... ; "
        f"tessera keys create --program {program.id} --scopes ... ; "
        f"tessera programs apply FILE --program {program.id}"
    )


def _program_json(program: ProgramSummary) -> dict[str, object]:
    created = program.created_at.isoformat()
    return {"id": program.id, "name": program.name, "sites": program.sites, "created_at": created}


@programs_app.command("list")
def programs_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every program, oldest first, with how many sites it has."""
    found = in_transaction(list_programs)
    if as_json:
        print_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "sites": p.sites,
                    "created_at": p.created_at.isoformat(),
                }
                for p in found
            ]
        )
        return
    shown = table("id", "name", "sites", "created")
    for p in found:
        shown.add_row(str(p.id), escape(p.name), str(p.sites), f"{p.created_at:%Y-%m-%d %H:%M}")
    console.print(shown)


@programs_app.command("apply")
def program_apply(
    file: Annotated[str, typer.Argument(help="Program file, YAML or JSON.")],
    program: Annotated[int, typer.Option(help="Program id.")],
) -> None:
    """Validate a program file and make it the program's configuration (a new version)."""
    from tessera.programs.configuration import apply_program_file, load_program_file

    try:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"cannot read {file}: it is not UTF-8 text")
    try:
        document = load_program_file(text, file)
    except DomainError as exc:
        fail(domain_message(exc))
    version = in_transaction(lambda conn: apply_program_file(conn, program, document))
    console.print(
        f"[green]✓[/] program {program} now runs version {version} "
        f"({len(document.rules)} rules, {len(document.rewards)} rewards)"
    )


@programs_app.command("show")
def program_show(
    program: Annotated[int, typer.Option(help="Program id.")],
    version: Annotated[int | None, typer.Option(help="An earlier version.")] = None,
) -> None:
    """Print the program's configuration (the newest version unless told) as YAML."""
    import yaml

    from tessera.programs.configuration import program_file_version

    number, data = in_transaction(lambda conn: program_file_version(conn, program, version))
    typer.echo(f"# program {program}, version {number}")
    typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), nl=False)


@programs_app.command("schema")
def program_schema() -> None:
    """Print the JSON Schema of a program file."""
    from tessera.programs.configuration import program_file_schema

    print_json(program_file_schema())
