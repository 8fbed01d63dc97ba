"""A custom platform, end to end, written from LoyaltyLion's reference as an integrator would.

The merchant sets Tessera up with the CLI (program, program file, site, API key, a pool of
imported voucher codes) and runs ``tessera serve`` with two workers; the integration then only
speaks HTTP: a signup activity, a paid order (its points pending for the approval period), the
approval, a redemption at checkout that hands out the first imported code, an order carrying that
code, and a partial refund of the first order. At the end the balances and the history agree in
the Admin API, the Headless API and the Loyalty Page opened in Chromium. Every JSON body is
checked against the served contracts.

The approval period cannot be waited out and the server's clock cannot be moved, so the clock is
driven from the test: after the order, the approval pass that ``tessera serve`` schedules
(``tessera.points_schedule.approve_order_points``) is run in-process against the same database
with ``now`` set past the period, and the server is then asked what it sees.

Playwright's sync API runs its own event loop, so this is a plain sync test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tessera.api.contract import load_contract
from tessera.config import Settings, normalize_database_url
from tessera.kit.clock import utcnow
from tessera.points_schedule import approve_order_points
from tessera.state import Tessera
from tests.conftest import LiveServer, run_async
from tests.contract import assert_matches_contract
from tests.test_cli import tessera
from tests.web.test_webview_browser import phone

pytestmark = pytest.mark.browser

PENDING_DAYS = 14
PROGRAM_FILE = f"""\
auto_enrol: true
points:
  order_pending_days: {PENDING_DAYS}
rules:
  - id: 1
    kind: join_program
    points: 100
    limit: {{count: 1, interval: forever}}
    title: {{en: Join the club}}
  - id: 2
    kind: purchase
    points: 5
    per_currency_unit: 1
    title: {{en: Shop with us}}
rewards:
  - id: 1
    kind: cart_discount_voucher
    points: 500
    discount: {{usd: 5}}
    title: {{en: $5 off your order}}
"""
CODES = ["SHOP5-0001", "SHOP5-0002", "SHOP5-0003"]
SCOPES = (
    "read_orders,write_orders,read_customers,write_customers,read_unsubscribes,write_unsubscribes"
)
CUSTOMER = "cust-1001"
EMAIL = "ada@shop.example"
HEADLESS = "/headless/2025-06"


def template_of(contract: str, path: str) -> str:
    """The contract's path template that a concrete path matches."""
    for template in load_contract(contract)["paths"]:
        pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return str(template)
    raise AssertionError(f"{path} is not a path of {contract}")


class Integration:
    """The integrator's HTTP client: every answer's status is checked, and its JSON body
    against the contract of its API."""

    def __init__(self, server: LiveServer, api_key: str) -> None:
        self.http = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        )

    def __enter__(self) -> Integration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def call(self, method: str, path: str, status: int, **options: Any) -> Any:
        response = self.http.request(method, path, **options)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        contract = "headless-2025-06" if path.startswith(HEADLESS) else "admin-v2"
        body = response.json() if response.content else None
        template = template_of(contract, response.request.url.path)
        assert_matches_contract(contract, method, template, status, body)
        return body

    def customer(self) -> dict[str, Any]:
        """The customer's row in the Admin API's customer list."""
        body = self.call("GET", "/v2/customers", 200, params={"email": EMAIL})
        (row,) = body["customers"]
        assert row["merchant_id"] == CUSTOMER
        found: dict[str, Any] = row
        return found

    def balances(self) -> tuple[int, int, int]:
        """(approved, pending, spent) of the customer's row in the Admin API."""
        row = self.customer()
        return row["points_approved"], row["points_pending"], row["points_spent"]

    def headless_customer(self, site: int) -> dict[str, Any]:
        path = f"{HEADLESS}/{site}/customers/{CUSTOMER}"
        found: dict[str, Any] = self.call("GET", path, 200, params={"channel": "web"})["customer"]
        return found


def set_up_as_a_merchant(database_url: str, tmp_path: Path) -> tuple[int, int, str]:
    """Program, program file, site, API key and imported codes, through the CLI."""
    program = json.loads(
        tessera(database_url, "program", "create", "--name", "Shop Club", "--json").stdout
    )["program_id"]
    program_file = tmp_path / "program.yaml"
    program_file.write_text(PROGRAM_FILE, encoding="utf-8")
    tessera(database_url, "program", "apply", str(program_file), "--program", str(program))
    site = json.loads(
        tessera(
            database_url, "sites", "create", "--program", str(program), "--name", "Shop",
            "--url", "https://shop.example", "--json",
        ).stdout
    )["site_id"]  # fmt: skip
    key = json.loads(
        tessera(
            database_url, "keys", "create", "--program", str(program), "--scopes", SCOPES,
            "--json",
        ).stdout
    )["api_key"]  # fmt: skip
    codes = tmp_path / "codes.txt"
    codes.write_text("\n".join(CODES) + "\n", encoding="utf-8")
    imported = tessera(
        database_url, "rewards", "import-codes", str(codes), "--program", str(program),
        "--reward", "1", "--json",
    )  # fmt: skip
    assert json.loads(imported.stdout)["imported"] == len(CODES)
    return program, site, key


def run_the_approval_pass(database_url: str, days_later: timedelta) -> int:
    """The scheduled approval pass, run as ``tessera serve`` would, ``days_later`` from now."""

    async def approve() -> int:
        started = Tessera.start(Settings(database_url=normalize_database_url(database_url)))
        try:
            return await approve_order_points(started, utcnow() + days_later)
        finally:
            await started.close()

    approved: int = run_async(approve())
    return approved


def test_a_custom_platform_flow_keeps_balance_and_history_right_everywhere(
    database_url: str,
    tmp_path: Path,
    live_server: Callable[..., LiveServer],
    artifacts: Path,
    backend: str,
) -> None:
    _, site, key = set_up_as_a_merchant(database_url, tmp_path)
    server = live_server(workers=2)
    with Integration(server, key) as shop:
        # Sign-up: the customer joins and earns the join rule.
        shop.call("POST", "/v2/activities", 201, json={
            "name": "$signup", "merchant_id": "signup-1", "customer_id": CUSTOMER,
            "customer_email": EMAIL,
        })  # fmt: skip
        assert shop.customer()["enrolled"] is True
        assert shop.balances() == (100, 0, 0)

        # A paid order: $120 of goods earn 600 points, pending for the approval period.
        shop.call("POST", "/v2/orders", 201, json={
            "merchant_id": "order-1", "customer_id": CUSTOMER, "customer_email": EMAIL,
            "total": "130.00", "total_shipping": "10.00", "payment_status": "paid",
        })  # fmt: skip
        assert shop.balances() == (100, 600, 0)

        # The approval period passes (the clock is driven: see the module's docstring).
        assert run_the_approval_pass(database_url, timedelta(days=PENDING_DAYS, minutes=1)) == 600
        assert shop.balances() == (700, 0, 0)

        # At checkout the customer redeems the voucher: the first imported code is handed out.
        claimed = shop.call(
            "POST", f"/v2/customers/{CUSTOMER}/claimed_rewards", 201, json={"reward_id": 1}
        )["claimed_reward"]
        code = claimed["redeemable"]["code"]
        assert code == CODES[0]
        assert shop.balances() == (200, 0, 500)

        # The order that used it: $40 of goods earn 200 more points (pending); the claim is used.
        shop.call("POST", "/v2/orders", 201, json={
            "merchant_id": "order-2", "customer_id": CUSTOMER, "customer_email": EMAIL,
            "total": "40.00", "total_shipping": "0.00", "payment_status": "paid",
            "discount_codes": [{"code": code, "amount": "5.00"}],
            "claimed_reward_ids": [claimed["id"]],
        })  # fmt: skip
        (claim,) = shop.headless_customer(site)["claimed_rewards"]
        assert (claim["redeemable"]["code"], claim["redeemable"]["usage_status"]) == (code, "used")

        # $30 of the first order is refunded: floor(600 * 30 / 130) = 138 points are taken back.
        shop.call("PUT", "/v2/orders/order-1", 204, json={
            "payment_status": "paid", "refund_status": "partially_refunded",
            "cancellation_status": "not_cancelled", "total_paid": "130.00",
            "total_refunded": "30.00",
        })  # fmt: skip
        order = shop.call("GET", "/v2/orders/order-1", 200)["order"]
        assert (order["points_earned"], order["points_taken_back"]) == (600, 138)

        approved, pending, spent = 100 + 600 - 500 - 138, 200, 500
        # Admin: the customer's row, and the transactions that add up to it.
        assert shop.balances() == (approved, pending, spent)
        transactions = shop.call("GET", f"/v2/customers/{CUSTOMER}/transactions", 200)
        moves = [
            (t["resource"], t["points_approved"], t["points_pending"])
            for t in reversed(transactions["transactions"])
        ]
        assert moves == [
            ("activity", 100, 0),  # joined
            ("activity", 0, 600),  # order-1, pending
            ("activity", 0, -600),  # ... approved
            ("activity", 600, 0),
            ("claimed_reward", -500, 0),
            ("activity", 0, 200),  # order-2, pending
            ("adjustment", -138, 0),  # order-1's partial refund
        ]
        assert sum(t[1] for t in moves) == approved and sum(t[2] for t in moves) == pending
        # The pending earning and its approval are transactions of one activity, approved now.
        order_1 = [
            (t["activity"]["id"], t["activity"]["state"], t["activity"]["rule"]["id"])
            for t in transactions["transactions"][-4:-1]
        ]
        assert order_1 == [(order_1[0][0], "approved", 2)] * 3

        # Headless: the same balances, and the history.
        customer = shop.headless_customer(site)
        assert (customer["points_approved"], customer["points_pending"]) == (approved, pending)
        assert customer["points_spent"] == spent
        history = [(h["kind"], h["points"], h["state"]) for h in customer["history"]]
        assert history == [
            ("points_removed", -138, "applied"),
            ("earned_points_from_rule", 200, "pending"),
            ("redeemed_points_for_reward", -500, "approved"),
            ("earned_points_from_rule", 600, "approved"),
            ("earned_points_from_rule", 100, "approved"),
        ]

        # The Loyalty Page, opened in Chromium from a WebView session.
        url = shop.call("POST", f"/v2/sites/{site}/webviews/sessions", 201, json={
            "channel": "app", "customer": {"merchant_id": CUSTOMER, "email": EMAIL},
        })["webview_session"]["url"]  # fmt: skip
    with phone() as page:
        page.goto(url)
        assert page.get_by_test_id("balance").inner_text().split() == [str(approved), "points"]
        assert page.get_by_test_id("pending").inner_text() == f"{pending} points pending"
        items = page.get_by_test_id("history").locator("li")
        seen = [" ".join(items.nth(i).inner_text().split()) for i in range(items.count())]
        day = page.locator(".history .status").first.inner_text()
        assert seen == [
            f"Order order-1 {day} -138",
            f"Shop with us {day} · Pending +200",
            f"$5 off your order {day} -500",
            f"Shop with us {day} +600",
            f"Join the club {day} +100",
        ]
        assert code in page.get_by_test_id("claims").inner_text()
        page.screenshot(path=artifacts / f"e2e-custom-platform-{backend}.png", full_page=True)
