"""``tessera demo``: the demo program, its members and keys, and a command to try them."""

from __future__ import annotations

import json
import shlex
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel

from tessera.auth.keys import validate_rate_limit
from tessera.cli.command import app
from tessera.cli.database import in_transaction, sealing_key, settings
from tessera.cli.output import console, fail, print_json
from tessera.demo.setup import Demo, DemoKey

DEMO_CUSTOMER = {"merchant_id": "1000001", "email": "alice@example.com"}


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    rate_limit: Annotated[
        str | None, typer.Option(help="Rate limit for new demo keys, e.g. 5000/second.")
    ] = None,
    rotate_keys: Annotated[
        bool,
        typer.Option("--rotate-keys", help="Revoke the demo's keys and print new ones."),
    ] = False,
) -> None:
    """Set up (once) the demo program "Tessera Rewards" and show its keys.

    The keys are made on the first run and kept on later ones (Tessera cannot show their
    secrets again); --rotate-keys replaces them."""
    from tessera.demo.setup import set_up_demo

    try:
        validate_rate_limit(rate_limit)
    except ValueError as exc:
        fail(str(exc))
    key = sealing_key()
    result = in_transaction(
        lambda conn: set_up_demo(
            conn, rate_limit=rate_limit, rotate_keys=rotate_keys, server_key=key
        )
    )
    if as_json:
        print_json(demo_json(result))
        return
    _print_demo(result, rotate_keys)


def demo_json(result: Demo) -> dict[str, object]:
    """Each key's secret, or null when the key was kept from an earlier run."""
    stripe_kept = result.stripe_secret_key.kept and result.stripe_publishable_key.kept
    return {
        "program_id": result.program_id,
        "site_id": result.site_id,
        "created": result.created,
        "api_key": result.api_key.secret,
        "api_key_id": result.api_key.id,
        "api_key_prefix": result.api_key.shown.rstrip("…"),
        "api_key_kept": result.api_key.kept,
        "stripe_secret_key": result.stripe_secret_key.secret,
        "stripe_secret_key_id": result.stripe_secret_key.id,
        "stripe_secret_key_masked": result.stripe_secret_key.shown,
        "stripe_publishable_key": result.stripe_publishable_key.secret,
        "stripe_publishable_key_id": result.stripe_publishable_key.id,
        "stripe_publishable_key_masked": result.stripe_publishable_key.shown,
        "stripe_keys_kept": stripe_kept,
    }


def _key_line(key: DemoKey) -> str:
    return escape(key.shown) if key.secret is None else f"[bold green]{escape(key.secret)}[/]"


def _print_demo(result: Demo, rotated: bool) -> None:
    api, secret, publishable = (
        result.api_key,
        result.stripe_secret_key,
        result.stripe_publishable_key,
    )
    state = "created" if result.created else "already set up"
    lines = [
        f"Program [bold]Tessera Rewards[/] (id {result.program_id}, {state}), site {result.site_id}"
    ]
    if api.kept:
        lines.append(f"API key {api.id} ({escape(api.shown)}, every scope) is kept: Tessera")
        lines.append("  cannot show it again; `tessera demo --rotate-keys` replaces it.")
    else:
        revoked = "; the previous demo key is revoked" if rotated else ""
        lines.append(f"API key {api.id} (every scope; shown once{revoked}):")
        lines.append(f"  {_key_line(api)}")
    kept = ", kept" if secret.kept else ""
    lines.append(f"Stripe test keys (docs/stripe.md{kept}):")
    lines.append(f"  secret      {_key_line(secret)}")
    lines.append(f"  publishable {_key_line(publishable)}")
    console.print(Panel.fit("\n".join(lines), title="Tessera demo"))
    key = "$TESSERA_API_KEY" if api.secret is None else api.secret
    body = json.dumps(
        {
            "channel": "tessera-demo-app",
            "language": "en",
            "currency": "usd",
            "customer": DEMO_CUSTOMER,
        }
    )
    curl = (
        f"curl -s -X POST {settings().public_url}/v2/sites/{result.site_id}/webviews/sessions \\\n"
        f'  -H "Authorization: Bearer {key}" \\\n'
        f"  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )
    with_key = " with the demo key in TESSERA_API_KEY" if api.secret is None else ""
    console.print(
        f"Mint a WebView session for customer {DEMO_CUSTOMER['merchant_id']}{with_key}, "
        "then open its url in a browser:\n"
    )
    # Outside the panel and unwrapped, so that it copies and pastes as one working command.
    console.print(curl, soft_wrap=True, highlight=False, markup=False)
