"""What the custom-platform flow found, pinned in-process on both databases: the approval of an
order's pending points is a transaction of the order's activity (not an adjustment), and the
Loyalty Page shows pending points as pending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.clock import utcnow
from tessera.points_schedule import approve_order_points
from tessera.state import Tessera
from tests.api.order_helpers import PROGRAM, create, update
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_customer, make_tenant
from tests.web.test_webview_pages import open_page

DAYS = 14
TRANSACTIONS = "/v2/customers/{merchant_id}/transactions"


async def pending_shop(db: AsyncEngine) -> Tenant:
    program: dict[str, Any] = {**PROGRAM, "points": {"order_pending_days": DAYS}}
    tenant = await make_tenant(db, program=program)
    await make_customer(db, tenant, "c1")
    return tenant


async def order_transactions(client: httpx.AsyncClient, tenant: Tenant) -> list[Any]:
    """(resource, points_approved, points_pending, activity id, activity state), oldest first,
    of the transactions of the purchase rule or of no activity."""
    response = await client.get(TRANSACTIONS.format(merchant_id="c1"), headers=tenant.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_matches_contract("admin-v2", "GET", TRANSACTIONS, 200, body)
    found = []
    for t in reversed(body["transactions"]):
        activity = t["activity"] or {}
        if activity and activity["rule"]["id"] != 2:
            continue
        found.append(
            (
                t["resource"],
                t["points_approved"],
                t["points_pending"],
                activity.get("id"),
                activity.get("state"),
            )
        )
    return found


async def test_an_approval_is_two_transactions_of_the_orders_activity_which_shows_approved(
    client: httpx.AsyncClient, db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)  # $100: 50 points, pending
    assert await approve_order_points(tessera, utcnow() + timedelta(days=DAYS, minutes=1)) == 50
    moves = await order_transactions(client, tenant)
    activity = moves[0][3]
    assert moves == [
        ("activity", 0, 50, activity, "approved"),
        ("activity", 0, -50, activity, "approved"),
        ("activity", 50, 0, activity, "approved"),
    ]


async def test_points_voided_in_the_approval_period_are_a_transaction_of_a_void_activity(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)
    await update(client, tenant, cancellation_status="cancelled")
    moves = await order_transactions(client, tenant)
    activity = moves[0][3]
    assert moves == [
        ("activity", 0, 50, activity, "void"),
        ("activity", 0, -50, activity, "void"),
    ]


async def test_a_still_pending_orders_activity_shows_pending(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)
    assert [m[4] for m in await order_transactions(client, tenant)] == ["pending"]


async def test_the_loyalty_page_shows_pending_points_and_marks_pending_and_cancelled_entries(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await pending_shop(db)
    await create(client, tenant)  # 50 points pending
    await create(client, tenant, merchant_id="o2", total="40.00")  # 20 points pending...
    await update(client, tenant, "o2", cancellation_status="cancelled")  # ... then voided
    page = await open_page(
        client, tenant, customer={"merchant_id": "c1", "email": "c1@example.com"}
    )
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="pending">50 points pending</p>' in html
    assert html.count("· Pending</p>") == 1 and html.count("· Cancelled</p>") == 1


async def test_the_loyalty_page_says_nothing_of_pending_points_when_there_are_none(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, program=PROGRAM)
    await make_customer(db, tenant, "c1", points=30)
    page = await open_page(
        client, tenant, customer={"merchant_id": "c1", "email": "c1@example.com"}
    )
    assert 'data-testid="pending"' not in page.text and "· Pending" not in page.text
