"""The `stripe` npm package, unchanged but for its host, against a running Tessera."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.stripe.conftest import StripeWorld, run_node
from tests.stripe.schema import assert_stripe_schema


def run_script(project: Path, key: str, url: str) -> Any:
    return run_node(project, "customer_session.js", key, url)


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
