"""docs/stripe.md's example runs, as written, against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.docs.blocks import blocks_of
from tests.stripe.conftest import StripeWorld

DOC = Path(__file__).resolve().parents[2] / "docs" / "stripe.md"


def example() -> str:
    blocks = [block for block in blocks_of(DOC) if block.file == "example.py"]
    assert blocks, "docs/stripe.md lost its example.py"
    return blocks[0].text


def run_example(path: Path, world: StripeWorld) -> str:
    env = {
        **os.environ,
        "TESSERA_URL": world.url,
        "STRIPE_SECRET_KEY": world.keys.secret_key,
        "STRIPE_PUBLISHABLE_KEY": world.keys.publishable_key,
    }
    result = subprocess.run(
        [sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_the_docs_example_runs(world: StripeWorld, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(example(), encoding="utf-8")
    output = run_example(script, world)
    assert "client secret for the front end: cuss_secret_" in output
    assert "as Stripe would say: resource_missing customer No such customer: 'cus_missing'" in (
        output
    )
    assert "saved cards shown: ['4242']" in output
