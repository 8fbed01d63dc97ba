"""The ``tessera`` command: serve, migrate, demo, keys, sites, program, rewards, customers,
transactions."""

from __future__ import annotations

import asyncio
import csv
import json
import shlex
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO, TypeVar

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tessera.auth.keys import create_key, list_keys, revoke_key, validate_rate_limit
from tessera.auth.revocations import CHECK_SECONDS
from tessera.auth.scopes import SCOPES, parse_scopes
from tessera.config import Settings
from tessera.kit.errors import DomainError
from tessera.store.engine import create_engine
from tessera.store.migrate import migrate as run_migrations

if TYPE_CHECKING:
    from rich.progress import Progress

    from tessera.customers.importing import ImportReport as CustomersReport
    from tessera.loyalty.code_pool import ImportReport, PoolSize

app = typer.Typer(
    help="Tessera: short-lived, scoped customer sessions (LoyaltyLion- and Stripe-compatible).",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
sites_app = typer.Typer(help="Manage a program's sites.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(sites_app, name="sites")
program_app = typer.Typer(
    help="Apply and show program files (docs/program-file.md).", no_args_is_help=True
)
app.add_typer(program_app, name="program")
rewards_app = typer.Typer(
    help="Rewards' pools of pre-generated codes (docs/cli.md).", no_args_is_help=True
)
app.add_typer(rewards_app, name="rewards")
customers_app = typer.Typer(
    help="Move customers in from another program (docs/cli.md).", no_args_is_help=True
)
app.add_typer(customers_app, name="customers")
transactions_app = typer.Typer(
    help="A program's points ledger (docs/cli.md).", no_args_is_help=True
)
app.add_typer(transactions_app, name="transactions")

console = Console()
err = Console(stderr=True)
T = TypeVar("T")


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        fail(str(exc))


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def with_engine(work: Callable[[AsyncEngine], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run ``work`` with an engine on a migrated database (it opens its own transactions);
    domain errors become messages."""
    config = settings()

    async def run() -> T:
        if migrate:
            await run_migrations(config)
        engine = create_engine(config)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        details = getattr(exc, "details", {}) or {}
        extra = "".join(f"\n  {field}: {message}" for field, message in details.items())
        fail(exc.message + extra)
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")


def in_transaction(work: Callable[[AsyncConnection], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run ``work`` in one transaction on a migrated database; domain errors become messages."""

    async def run(engine: AsyncEngine) -> T:
        async with engine.begin() as conn:
            return await work(conn)

    return with_engine(run, migrate=migrate)


def progress_bar(label: str, total: int | None) -> tuple[Progress, Callable[[int], None]]:
    """A bar on standard error and the function that advances it. The bar shows from the first
    advance: an error found before any work is one line, with no bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=err)
    task = progress.add_task(label, total=total)

    def advance(count: int) -> None:
        if not progress.live.is_started:
            progress.start()
        progress.advance(task, count)

    return progress, advance


def print_skipped(total: int, reasons: dict[str, int]) -> None:
    """The summary's skipped rows: how many, then how many for each reason."""
    if total:
        console.print(f"  skipped {total}:")
    for why, count in reasons.items():
        if count:
            console.print(f"    {count} {why}", markup=False, highlight=False)


def print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2))


@app.command()
def migrate() -> None:
    """Apply database migrations (also done by `serve` on start)."""
    config = settings()
    asyncio.run(run_migrations(config))
    console.print(f"[green]✓[/] database is up to date ({_safe_url(config.database_url)})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Apply migrations, then serve the API and pages."""
    import uvicorn

    from tessera.connections import uvicorn_options

    config = settings()
    if workers > 1 and config.redis_url is None:
        err.print(
            "[yellow]note:[/] with several workers and no TESSERA_REDIS_URL, "
            "each worker keeps its own rate-limit counters"
        )
    asyncio.run(run_migrations(config))
    console.print(
        f"[green]✓[/] Tessera on [bold]http://{host}:{port}[/] "
        f"({workers} worker{'s' if workers > 1 else ''}, {_safe_url(config.database_url)})"
    )
    uvicorn.run(
        "tessera.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Our own access log names route templates; uvicorn's would print WebView tokens.
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        # Header and body deadlines, keep-alive timeout, a bound on connections per worker.
        **uvicorn_options(config),
    )


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    rate_limit: Annotated[
        str | None, typer.Option(help="Rate limit for the demo key, e.g. 5000/second.")
    ] = None,
) -> None:
    """Set up (once) the demo program "Tessera Rewards" and print a fresh demo API key."""
    from tessera.demo.setup import set_up_demo

    if rate_limit is not None:
        try:
            validate_rate_limit(rate_limit)
        except ValueError as exc:
            fail(str(exc))
    from tessera.sealing import server_key

    config = settings()
    # The site's secret is also kept sealed, so that its LoyaltyLion webhooks can be signed.
    key = server_key(config)
    result = in_transaction(lambda conn: set_up_demo(conn, rate_limit=rate_limit, server_key=key))
    if as_json:
        print_json(
            {
                "program_id": result.program_id,
                "site_id": result.site_id,
                "api_key": result.api_key,
                "stripe_secret_key": result.stripe_secret_key,
                "stripe_publishable_key": result.stripe_publishable_key,
            }
        )
        return
    body = json.dumps(
        {
            "channel": "tessera-demo-app",
            "language": "en",
            "currency": "usd",
            "customer": {"merchant_id": "1000001", "email": "alice@example.com"},
        }
    )
    curl = (
        f"curl -s -X POST {config.public_url}/v2/sites/{result.site_id}/webviews/sessions \\\n"
        f"  -H 'Authorization: Bearer {result.api_key}' \\\n"
        f"  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )
    state = "created" if result.created else "already set up"
    console.print(
        Panel.fit(
            f"Program [bold]Tessera Rewards[/] (id {result.program_id}, {state}), "
            f"site {result.site_id}\n"
            f"API key (every scope; shown once, the previous demo key is revoked):\n"
            f"  [bold green]{result.api_key}[/]\n"
            f"Stripe test keys (docs/stripe.md): {result.stripe_secret_key}\n"
            f"  and publishable {result.stripe_publishable_key}",
            title="Tessera demo",
        )
    )
    console.print("Mint a WebView session for customer 1000001, then open its url in a browser:\n")
    # Outside the panel and unwrapped, so that it copies and pastes as one working command.
    console.print(curl, soft_wrap=True, highlight=False, markup=False)


@keys_app.command("create")
def keys_create(
    program: Annotated[int, typer.Option(help="Program id.")],
    scopes: Annotated[str, typer.Option(help=f"Comma-separated: {','.join(SCOPES)}.")] = "",
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    rate_limit: Annotated[
        str | None, typer.Option(help="Override the rate limits for this key, e.g. 5000/second.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    stripe: Annotated[
        bool, typer.Option("--stripe", help="Create Stripe keys: a secret and a publishable key.")
    ] = False,
    live: Annotated[bool, typer.Option("--live", help="Stripe keys for live mode.")] = False,
    restricted: Annotated[
        bool, typer.Option("--restricted", help="A restricted Stripe key (rk_) with --permissions.")
    ] = False,
    permissions: Annotated[
        str, typer.Option(help="Restricted key permissions, e.g. customer_sessions:write.")
    ] = "",
) -> None:
    """Create an API key. It is printed once and stored only as a hash."""
    if stripe or live or restricted:
        _create_stripe_keys(program, name, rate_limit, as_json, live, restricted, permissions)
        return
    try:
        scope_list = parse_scopes(scopes)
        validate_rate_limit(rate_limit)
    except ValueError as exc:
        fail(str(exc))
    if not scope_list:
        # A key without scopes is refused by every endpoint: almost surely not what was meant.
        fail(f"name the key's scopes with --scopes, from: {','.join(SCOPES)}")
    created = in_transaction(
        lambda conn: create_key(conn, program, scope_list, name=name, rate_limit=rate_limit)
    )
    if as_json:
        print_json({"api_key": created.secret, "id": created.key.id, "scopes": scope_list})
        return
    console.print(f"[green]✓[/] API key {created.key.id} for program {program}:")
    console.print(f"  [bold]{created.secret}[/]")
    console.print("  Store it now: Tessera keeps only its hash and cannot show it again.")


def _create_stripe_keys(
    program: int,
    name: str,
    rate_limit: str | None,
    as_json: bool,
    live: bool,
    restricted: bool,
    permissions: str,
) -> None:
    from tessera.auth.stripe_keys import create_stripe_keys, parse_permissions

    try:
        validate_rate_limit(rate_limit)
        granted = parse_permissions(permissions) if restricted else None
    except ValueError as exc:
        fail(str(exc))
    if restricted and not granted:
        fail("a restricted key needs --permissions, e.g. customer_sessions:write")
    created = in_transaction(
        lambda conn: create_stripe_keys(
            conn,
            program,
            livemode=live,
            restricted_permissions=granted,
            name=name,
            rate_limit=rate_limit,
        )
    )
    if as_json:
        print_json({"secret_key": created.secret_key, "publishable_key": created.publishable_key})
        return
    mode = "live" if live else "test"
    console.print(f"[green]✓[/] Stripe {mode}-mode keys for program {program}:")
    console.print(f"  secret:      [bold]{created.secret_key}[/]")
    console.print(f"  publishable: [bold]{created.publishable_key}[/]")
    console.print("  Store them now: Tessera keeps only their hashes and cannot show them again.")


@keys_app.command("list")
def keys_list(
    program: Annotated[int | None, typer.Option(help="Only this program's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    stripe: Annotated[bool, typer.Option("--stripe", help="List Stripe keys instead.")] = False,
) -> None:
    """List API keys (never their secrets)."""
    if stripe:
        _list_stripe_keys(program, as_json)
        return
    found = in_transaction(lambda conn: list_keys(conn, program))
    if as_json:
        print_json(
            [
                {
                    "id": k.id,
                    "program_id": k.program_id,
                    "name": k.name,
                    "prefix": k.display_prefix,
                    "scopes": sorted(k.scopes),
                    "rate_limit": k.rate_limit,
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                }
                for k in found
            ]
        )
        return
    table = Table("id", "program", "name", "key", "scopes", "rate limit", "state")
    for k in found:
        state = "[red]revoked[/]" if k.revoked_at else "[green]active[/]"
        table.add_row(
            str(k.id),
            str(k.program_id),
            k.name,
            k.display_prefix + "…",
            ", ".join(sorted(k.scopes)),
            k.rate_limit or "default",
            state,
        )
    console.print(table)


def _list_stripe_keys(program: int | None, as_json: bool) -> None:
    from tessera.auth.stripe_keys import list_stripe_keys

    found = in_transaction(lambda conn: list_stripe_keys(conn, program))
    rows = [
        {
            "id": info.key.id,
            "program_id": info.key.program_id,
            "name": info.name,
            "kind": info.key.kind,
            "livemode": info.key.livemode,
            "key": info.key.masked,
            "permissions": None if info.key.permissions is None else sorted(info.key.permissions),
            "rate_limit": info.key.rate_limit,
            "created_at": info.created_at.isoformat(),
            "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
        }
        for info in found
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "program", "name", "key", "permissions", "rate limit", "state")
    for info in found:
        key = info.key
        table.add_row(
            str(key.id),
            str(key.program_id),
            info.name,
            key.masked,
            "all" if key.kind == "secret" else ", ".join(sorted(key.permissions or [])) or "-",
            key.rate_limit or "default",
            "[red]revoked[/]" if info.revoked_at else "[green]active[/]",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (see `keys list`).")],
    stripe: Annotated[bool, typer.Option("--stripe", help="Revoke a Stripe key.")] = False,
) -> None:
    """Revoke an API key: every worker, on every machine, refuses it within 0.1 s."""
    if stripe:
        from tessera.auth.stripe_keys import revoke_stripe_key

        info = in_transaction(lambda conn: revoke_stripe_key(conn, key_id))
        console.print(
            f"[green]✓[/] Stripe key {info.key.id} ({info.key.masked}) is revoked: "
            f"every worker refuses it within {CHECK_SECONDS:g} s"
        )
        return
    key = in_transaction(lambda conn: revoke_key(conn, key_id))
    console.print(
        f"[green]✓[/] API key {key.id} ({key.display_prefix}…) is revoked: "
        f"every worker refuses it within {CHECK_SECONDS:g} s"
    )


@sites_app.command("create")
def sites_create(
    program: Annotated[int, typer.Option(help="Program id.")],
    name: Annotated[str, typer.Option(help="Site name.")],
    url: Annotated[str, typer.Option(help="Store URL.")] = "",
    languages: Annotated[str, typer.Option(help="Comma-separated, default first.")] = "en",
    currencies: Annotated[str, typer.Option(help="Comma-separated, default first.")] = "usd",
    primary_colour: Annotated[str | None, typer.Option(help="Theme colour, e.g. #3b3b98.")] = None,
    logo_url: Annotated[str | None, typer.Option(help="Logo shown on the page.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Create a site; prints its id and its legacy token & secret (shown once)."""
    from tessera.programs.sites import create_site
    from tessera.sealing import server_key

    theme = {k: v for k, v in {"primary_colour": primary_colour, "logo_url": logo_url}.items() if v}
    # The secret is also kept sealed, so that the site's LoyaltyLion webhooks can be signed.
    key = server_key(settings())
    created = in_transaction(
        lambda conn: create_site(
            conn,
            program,
            name=name,
            url=url,
            languages=languages.split(","),
            currencies=currencies.split(","),
            theme=theme,
            server_key=key,
        )
    )
    if as_json:
        print_json({"site_id": created.site.id, "token": created.token, "secret": created.secret})
        return
    console.print(f"[green]✓[/] site {created.site.id} ({created.site.name}) in program {program}")
    console.print(f"  legacy token:  {created.token}\n  legacy secret: [bold]{created.secret}[/]")
    console.print("  The secret is shown once; prefer API keys (`tessera keys create`).")


@program_app.command("create")
def program_create(
    name: Annotated[str, typer.Option(help="The program's name, shown on its pages.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Create a program (then: `sites create`, `keys create`, `program apply`)."""
    from tessera.programs.sites import create_program

    program = in_transaction(lambda conn: create_program(conn, name))
    if as_json:
        print_json({"program_id": program.id})
        return
    console.print(f"[green]✓[/] program {program.id} ({program.name})")
    console.print(
        f"  Next: tessera sites create --program {program.id} --name ... ; "
        f"tessera keys create --program {program.id} --scopes ... ; "
        f"tessera program apply FILE --program {program.id}"
    )


@program_app.command("apply")
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
    try:
        document = load_program_file(text, file)
    except DomainError as exc:
        details = getattr(exc, "details", {}) or {}
        fail(exc.message + "".join(f"\n  {path}: {why}" for path, why in details.items()))
    version = in_transaction(lambda conn: apply_program_file(conn, program, document))
    console.print(
        f"[green]✓[/] program {program} now runs version {version} "
        f"({len(document.rules)} rules, {len(document.rewards)} rewards)"
    )


@program_app.command("show")
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


@program_app.command("schema")
def program_schema() -> None:
    """Print the JSON Schema of a program file."""
    from tessera.programs.configuration import program_file_schema

    print_json(program_file_schema())


@rewards_app.command("import-codes")
def rewards_import_codes(
    file: Annotated[str, typer.Argument(help="One code per line, or CSV with the code first.")],
    program: Annotated[int, typer.Option(help="Program id.")],
    reward: Annotated[int, typer.Option(help="Reward id, as in the program file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Add codes to a reward's pool: its redemptions then hand them out, one each, in file
    order. Codes the program already has are skipped, so re-running a file is safe."""
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
    """Create or update each row's customer and set its approved points to the file's figure.
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
    """The program's points transactions as CSV, oldest first, with the columns of the Admin
    API's GET /v2/transactions?type=csv."""
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


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def main() -> None:
    app()
