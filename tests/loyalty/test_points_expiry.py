"""Points expiry, as the program file's ``points.expiry`` sets it, moved by the scheduled pass
with the clock driven by the test, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.customers.service import Customer
from tessera.kit.clock import iso_z
from tessera.loyalty import expiry, ledger, pending
from tessera.points_schedule import expire_points
from tessera.programs.configuration import PointsExpiry
from tessera.state import Tessera
from tessera.store.tables import ledger_entries
from tests.factories import SMALL_PROGRAM, Tenant, make_customer, make_tenant

START = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def expiring(mode: str, days: int) -> dict[str, object]:
    return {**SMALL_PROGRAM, "points": {"expiry": {"mode": mode, "days": days}}}


async def entry(
    db: AsyncEngine, tenant: Tenant, customer: Customer, points: int, state: str, at: datetime
) -> None:
    async with db.begin() as conn:
        await ledger.record(
            conn,
            program_id=tenant.program_id,
            customer_id=customer.id,
            points=points,
            state=state,  # type: ignore[arg-type]
            reason="test",
            at=at,
        )


async def approved(db: AsyncEngine, customer: Customer) -> int:
    async with db.connect() as conn:
        return (await ledger.balances(conn, customer.id)).approved


async def test_fixed_age_expires_the_oldest_unspent_points_once_they_are_old_enough(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db, program=expiring("fixed_age", 365))
    member = await make_customer(db, tenant, "m1")
    await entry(db, tenant, member, 100, "approved", START)
    await entry(db, tenant, member, 50, "approved", START + 200 * DAY)
    await entry(db, tenant, member, -30, "spent", START + 250 * DAY)
    assert await expire_points(tessera, START + 364 * DAY) == 0
    # The first 100 are a year old; 30 of them were spent.
    assert await expire_points(tessera, START + 366 * DAY) == 70
    assert await approved(db, member) == 50
    assert await expire_points(tessera, START + 366 * DAY) == 0
    assert await expire_points(tessera, START + 566 * DAY) == 50
    assert await approved(db, member) == 0


async def test_inactivity_expires_the_whole_balance_after_days_without_earning_or_spending(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db, program=expiring("inactivity", 90))
    member = await make_customer(db, tenant, "m1")
    await entry(db, tenant, member, 100, "approved", START)
    await entry(db, tenant, member, -20, "spent", START + 60 * DAY)
    assert await expire_points(tessera, START + 149 * DAY) == 0
    assert await expire_points(tessera, START + 151 * DAY) == 80
    assert await approved(db, member) == 0


async def test_pending_points_do_not_expire_but_count_as_activity(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db, program=expiring("inactivity", 90))
    member = await make_customer(db, tenant, "m1")
    await entry(db, tenant, member, 100, "approved", START)
    await entry(db, tenant, member, 40, "pending", START + 80 * DAY)
    assert await expire_points(tessera, START + 100 * DAY) == 0
    assert await expire_points(tessera, START + 171 * DAY) == 100
    async with db.connect() as conn:
        balances = await ledger.balances(conn, member.id)
    assert (balances.approved, balances.pending) == (0, 40)


async def test_a_program_without_expiry_keeps_its_points(db: AsyncEngine, tessera: Tessera) -> None:
    tenant = await make_tenant(db)
    member = await make_customer(db, tenant, "m1")
    await entry(db, tenant, member, 100, "approved", START)
    assert await expire_points(tessera, START + 5000 * DAY) == 0
    assert await approved(db, member) == 100


async def test_passes_run_in_batches_and_at_once_never_expire_twice(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db, program=expiring("fixed_age", 30))
    members = [await make_customer(db, tenant, f"m{n}") for n in range(7)]
    for member in members:
        await entry(db, tenant, member, 10, "approved", START)
    moment = START + 31 * DAY
    passes = await asyncio.gather(*(expire_points(tessera, moment, batch=3) for _ in range(3)))
    assert sum(passes) == 70
    assert [await approved(db, member) for member in members] == [0] * 7


def test_the_next_expiry_is_the_oldest_unspent_points_age_or_the_last_activity() -> None:
    entries = [
        (100, "approved", START),
        (50, "approved", START + 10 * DAY),
        (-120, "spent", START + 20 * DAY),
    ]
    fixed = PointsExpiry(mode="fixed_age", days=30)
    assert expiry.next_expiry(entries, fixed) == START + 40 * DAY
    inactive = PointsExpiry(mode="inactivity", days=30)
    assert expiry.next_expiry(entries, inactive) == START + 50 * DAY
    assert expiry.next_expiry([(10, "approved", START), (-10, "spent", START)], fixed) is None


async def test_the_member_view_shows_when_each_unspent_earning_expires(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, program=expiring("fixed_age", 365))
    member = await make_customer(db, tenant, "m1")
    now = datetime.now(UTC).replace(microsecond=0)
    await entry(db, tenant, member, 100, "approved", now - 100 * DAY)  # spent below
    await entry(db, tenant, member, 50, "approved", now - 10 * DAY)
    await entry(db, tenant, member, -100, "spent", now - 5 * DAY)
    response = await client.get(
        f"/headless/2025-06/{tenant.site.id}/customers/m1",
        params={"channel": "web"},
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    )
    assert response.status_code == 200, response.text
    history = response.json()["customer"]["history"]
    added = [action for action in history if action["kind"] == "points_added"]
    assert [a["points_will_expire_at"] for a in added] == [
        iso_z(now + 355 * DAY),
        None,
    ]


async def test_approving_pending_points_is_not_activity_that_postpones_inactivity_expiry(
    db: AsyncEngine, tessera: Tessera
) -> None:
    tenant = await make_tenant(db, program=expiring("inactivity", 90))
    member = await make_customer(db, tenant, "m1")
    await entry(db, tenant, member, 40, "pending", START)
    async with db.begin() as conn:
        waiting = await pending.unsettled(conn, ledger_entries.c.customer_id == member.id)
        await pending.approve(conn, waiting, START + 30 * DAY)
    assert await expire_points(tessera, START + 91 * DAY) == 40
