"""The page `make run` leads to: `tessera demo`, then the curl it prints, opened in Chromium.

The README's screenshot is this page; ``TESSERA_UPDATE_SCREENSHOTS=1`` refreshes it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer
from tests.web.test_webview_browser import assert_accessible, no_horizontal_scroll, phone

pytestmark = pytest.mark.browser

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "demo.png"
# The body of the curl `tessera demo` prints.
DEMO_SESSION = {
    "channel": "tessera-demo-app",
    "language": "en",
    "currency": "usd",
    "customer": {"merchant_id": "1000001", "email": "alice@example.com"},
}


def set_up_demo(database_url: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "tessera", "demo", "--json"],
        env={**os.environ, "TESSERA_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    demo: dict[str, object] = json.loads(result.stdout)
    return demo


def test_the_demo_customer_joins_tessera_rewards_on_a_phone(
    live_server: Callable[..., LiveServer],
    database_url: str,
    artifacts: Path,
    backend: str,
) -> None:
    demo = set_up_demo(database_url)
    server = live_server()
    session = httpx.post(
        f"{server.url}/v2/sites/{demo['site_id']}/webviews/sessions",
        headers={"Authorization": f"Bearer {demo['api_key']}"},
        json=DEMO_SESSION,
    )
    assert session.status_code == 201, session.text
    with phone() as page:
        page.goto(session.json()["webview_session"]["url"])
        assert page.title() == "Tessera Rewards"
        assert page.locator(".brand-name").inner_text() == "Tessera Rewards"
        # A new customer, enrolled by the demo's join rule.
        assert page.get_by_test_id("balance").inner_text().split() == ["100", "points"]
        assert page.get_by_test_id("tier").inner_text() == "Bronze"
        assert no_horizontal_scroll(page)
        assert_accessible(page)
        # The phone's first screen (the viewport), as the README shows it.
        path = artifacts / f"webview-demo-375-{backend}.png"
        page.screenshot(path=path)
        if os.environ.get("TESSERA_UPDATE_SCREENSHOTS") == "1" and backend == "sqlite":
            shutil.copyfile(path, README_SCREENSHOT)
