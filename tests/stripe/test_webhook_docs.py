"""docs/webhooks.md's Stripe receiver runs, as written, against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.stripe.conftest import StripeWorld

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def receiver_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Stripe webhook endpoints and events", 1)[1]
    match = re.search(
        r"tests/stripe/test_webhook_docs.py.*?-->\n```python\n(.*?)```", section, re.DOTALL
    )
    assert match, "docs/webhooks.md lost its Stripe receiver example"
    return match.group(1)


def run_example(path: Path, world: StripeWorld) -> str:
    env = {**os.environ, "TESSERA_URL": world.url, "STRIPE_SECRET_KEY": world.keys.secret_key}
    result = subprocess.run(
        [sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_the_receiver_example_verifies_its_deliveries(
    hooks_world: StripeWorld, tmp_path: Path
) -> None:
    script = tmp_path / "receiver.py"
    script.write_text(receiver_example(), encoding="utf-8")
    assert run_example(script, hooks_world).splitlines() == [
        "verified customer.created changed: []",
        "verified customer.updated changed: ['name']",
    ]
    assert hooks_world.client.v1.webhook_endpoints.list().data == []  # it cleaned up
