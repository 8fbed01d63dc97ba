"""The `stripe` npm package, unchanged but for its host, against a running Tessera."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.services import find_binary
from tests.stripe.conftest import StripeWorld
from tests.stripe.schema import assert_stripe_schema

NODE_PROJECT = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def node_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The script and the pinned stripe package, installed once per test run."""
    npm = find_binary("npm", "npm")
    project = tmp_path_factory.mktemp("stripe-node")
    for name in ("package.json", "customer_session.js"):
        shutil.copy(NODE_PROJECT / name, project / name)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return project


def run_script(project: Path, key: str, url: str) -> Any:
    node = find_binary("node", "nodejs")
    result = subprocess.run(
        [node, "customer_session.js", key, url],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_stripe_node_creates_a_customer_session(
    world: StripeWorld, node_project: Path
) -> None:
    out = run_script(node_project, world.keys.secret_key, world.url)
    assert_stripe_schema("customer_session", out["session"])
    assert out["session"]["customer"]["id"] == out["customer"]
    features = out["session"]["components"]["payment_element"]["features"]
    assert features["payment_method_allow_redisplay_filters"] == ["always", "limited"]
    assert out["error"] == {
        "type": "StripeInvalidRequestError",
        "code": "resource_missing",
        "param": "customer",
        "status": 400,
    }
