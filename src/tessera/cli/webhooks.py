"""``tessera webhooks list|deliveries|retry``: the operator's view of webhook delivery."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.cli.command import app
from tessera.cli.database import in_transaction
from tessera.cli.output import console, fail, print_json, table
from tessera.webhooks.history import (
    STATES,
    Delivery,
    EndpointSummary,
    endpoint_summaries,
    recent_deliveries,
    retry_delivery,
)

webhooks_app = typer.Typer(
    help="Webhook endpoints, their deliveries and attempts (docs/webhooks.md).",
    no_args_is_help=True,
)
app.add_typer(webhooks_app, name="webhooks")

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@webhooks_app.command("list")
def webhooks_list(
    program: Annotated[int | None, typer.Option(help="Only this program's endpoints.")] = None,
    as_json: AsJson = False,
) -> None:
    """Every webhook endpoint (both dialects), its status and its deliveries by state."""

    async def work(conn: AsyncConnection) -> list[EndpointSummary]:
        return await endpoint_summaries(conn, program)

    found = in_transaction(work)
    if as_json:
        print_json(
            [
                {
                    "id": e.id,
                    "public_id": e.public_id,
                    "program": e.program_id,
                    "dialect": e.dialect,
                    "livemode": e.livemode,
                    "url": e.url,
                    "topics": e.topics,
                    "status": e.status,
                    "disabled_reason": e.disabled_reason,
                    "deliveries": e.deliveries,
                }
                for e in found
            ]
        )
        return
    if not found:
        console.print("No webhook endpoints.")
        return
    shown = table("id", "program", "dialect", "url", "topics", "state", "deliveries")
    for e in found:
        status = e.status if e.disabled_reason is None else f"{e.status}: {e.disabled_reason}"
        counts = ", ".join(f"{n} {state}" for state, n in e.deliveries.items() if n)
        mode = "" if e.dialect != "stripe" else (" live" if e.livemode else " test")
        shown.add_row(
            str(e.id),
            str(e.program_id),
            e.dialect + mode,
            escape(e.url),
            escape(", ".join(e.topics)),
            escape(status),
            counts or "none yet",
        )
    console.print(shown)


def _delivery_json(d: Delivery) -> dict[str, object]:
    return {
        "id": d.id,
        "endpoint": d.endpoint_id,
        "event": d.event_public_id,
        "type": d.event_type,
        "subject": d.subject,
        "state": d.state,
        "next_attempt_at": None if d.next_attempt_at is None else d.next_attempt_at.isoformat(),
        "attempts": [
            {
                "at": a.at.isoformat(),
                "duration_ms": a.duration_ms,
                "status": a.status,
                "error": a.error,
            }
            for a in d.attempts
        ],
    }


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    endpoint: Annotated[int | None, typer.Option(help="Only this endpoint's (its id).")] = None,
    state: Annotated[
        str | None, typer.Option(help=f"Only deliveries in this state: {', '.join(STATES)}.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Recent deliveries, newest first, each with every attempt."""
    if state is not None and state not in STATES:
        fail(f"--state must be one of {', '.join(STATES)}, not {state!r}")

    async def work(conn: AsyncConnection) -> list[Delivery]:
        return await recent_deliveries(conn, endpoint_id=endpoint, state=state, limit=limit)

    found = in_transaction(work)
    if as_json:
        print_json([_delivery_json(d) for d in found])
        return
    if not found:
        console.print("No deliveries.")
        return
    for d in found:
        then = "" if d.next_attempt_at is None else f", next attempt {d.next_attempt_at:%H:%M:%S}"
        console.print(
            f"[bold]{d.id}[/] {escape(d.event_type)} to endpoint {d.endpoint_id}, "
            f"customer {escape(d.subject)}: [bold]{d.state}[/]{then} (event {d.event_public_id})"
        )
        for a in d.attempts:
            outcome = str(a.status) if a.error is None else escape(a.error)
            console.print(f"    {a.at:%Y-%m-%d %H:%M:%S}  {a.duration_ms:>5} ms  {outcome}")


@webhooks_app.command("retry")
def webhooks_retry(
    delivery_id: Annotated[int, typer.Argument(help="The delivery's id (webhooks deliveries).")],
) -> None:
    """Send a delivery again at the workers' next pass, with a fresh 3-day retry period."""

    retried = in_transaction(lambda conn: retry_delivery(conn, delivery_id))
    console.print(
        f"[green]✓[/] delivery {retried.delivery_id} ({retried.was} until now) is queued: a "
        "running `tessera serve` posts it within a second"
    )
    if retried.endpoint_reenabled:
        console.print(f"  endpoint {retried.endpoint_id} was disabled and is enabled again")
