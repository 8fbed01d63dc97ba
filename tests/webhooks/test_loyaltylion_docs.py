"""The receiver's signature check in docs/webhooks.md, run as written against a real delivery."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tessera.loyalty import program_events as topics

from .loyaltylion import Hooks, hooks_fixture  # noqa: F401

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify() -> Callable[[bytes, str, str], bool]:
    """``verify`` from the LoyaltyLion section's Python block, after the block's own checks."""
    section = DOCS.read_text(encoding="utf-8").split("## LoyaltyLion webhooks", 1)[1]
    section = section.split("\n## ", 1)[0]
    [code] = [block for block in re.findall(r"```python\n(.*?)```", section, re.S)]
    scope: dict[str, Any] = {}
    exec(compile(code, str(DOCS), "exec"), scope)  # the block asserts its own example
    verify: Callable[[bytes, str, str], bool] = scope["verify"]
    return verify


async def test_the_documented_check_accepts_a_delivery_signed_with_the_site_secret(
    hooks: Hooks,
) -> None:
    verify = documented_verify()
    await hooks.register(topics.CUSTOMERS_UPDATE)
    await hooks.session("ada")
    await hooks.deliver()

    [received] = hooks.receiver.requests
    header = received.headers["x-loyaltylion-hmac-sha256"]

    assert verify(received.body, header, hooks.tenant.site_secret)
    assert not verify(received.body, header, hooks.tenant.site_token)
    assert not verify(received.body + b" ", header, hooks.tenant.site_secret)
