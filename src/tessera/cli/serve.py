"""``tessera serve`` and ``tessera migrate``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from tessera.cli.command import app
from tessera.cli.database import checked_settings
from tessera.cli.output import console, err
from tessera.store.migrate import migrate as run_migrations


@app.command()
def migrate() -> None:
    """Apply database migrations (also done by `serve` on start)."""
    config = checked_settings()
    asyncio.run(run_migrations(config))
    console.print("[green]✓[/] database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Apply migrations, then serve the API and pages."""
    import uvicorn

    from tessera.connections import uvicorn_options

    config = checked_settings()
    if workers > 1 and config.redis_url is None:
        err.print(
            "[yellow]note:[/] with several workers and no TESSERA_REDIS_URL, "
            "each worker keeps its own rate-limit counters",
            soft_wrap=True,
        )
    asyncio.run(run_migrations(config))
    console.print(
        f"[green]✓[/] Tessera on [bold]http://{host}:{port}[/] "
        f"({workers} worker{'s' if workers > 1 else ''})"
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
