"""`tessera transactions export`, run as a user runs it, against both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.loyalty.ledger import record
from tessera.loyalty.ledger_export import ledger_pages
from tessera.loyalty.transactions_list import TransactionFilters
from tests.factories import Tenant, make_customer, make_tenant
from tests.headless.helpers import demo_tenant, member
from tests.test_cli import problem, tessera

HEADER = [
    "id",
    "created_at",
    "resource",
    "points_approved",
    "points_pending",
    "customer_id",
    "customer_merchant_id",
    "customer_email",
    "resource_id",
    "description",
]


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def export(database_url: str, tenant: Tenant, *args: str) -> list[list[str]]:
    result = tessera(
        database_url, "transactions", "export", "--program", str(tenant.program_id), *args
    )
    return rows_of(result.stdout)


async def add_entry(
    db: AsyncEngine, tenant: Tenant, customer_id: int, points: int, at: datetime, label: str
) -> int:
    async with db.begin() as conn:
        return await record(
            conn,
            program_id=tenant.program_id,
            customer_id=customer_id,
            points=points,
            state="approved",
            reason="test",
            label=label,
            at=at,
        )


async def test_the_export_has_the_admin_apis_csv_rows_oldest_first(
    database_url: str, db: AsyncEngine, client: httpx.AsyncClient
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "m1", points=700)  # joining: an activity; an adjustment
    for path, body in (
        ("points", {"points": 7, "reason": "=Goodwill"}),
        ("remove_points", {"points": 3}),
    ):
        response = await client.post(f"/v2/customers/m1/{path}", json=body, headers=tenant.auth)
        assert response.status_code in (201, 204), response.text
    api = await client.get("/v2/transactions?type=csv&limit=100", headers=tenant.auth)
    assert api.status_code == 200
    served = rows_of(api.text)
    exported = export(database_url, tenant)
    assert exported[0] == served[0] == HEADER
    assert len(exported) > 3 and exported[1:] == list(reversed(served[1:]))
    assert "'=Goodwill" in {row[-1] for row in exported}  # the API's CSV-injection guard


async def test_since_and_customer_filter_the_export(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    alice, bob = await make_customer(db, tenant, "alice"), await make_customer(db, tenant, "bob")
    day = datetime(2024, 3, 1, tzinfo=UTC)
    old = await add_entry(db, tenant, alice.id, 5, day - timedelta(days=1), "old")
    new = await add_entry(db, tenant, alice.id, 6, day, "new")
    bobs = await add_entry(db, tenant, bob.id, 7, day + timedelta(days=1), "bob's")
    ids = [int(row[0]) for row in export(database_url, tenant)[1:]]
    assert ids == [old, new, bobs]
    assert [int(r[0]) for r in export(database_url, tenant, "--since", "2024-03-01")[1:]] == [
        new,
        bobs,
    ]
    only_alice = export(database_url, tenant, "--customer", "alice", "--since", "2024-02-01")
    assert [int(row[0]) for row in only_alice[1:]] == [old, new]
    assert {row[6] for row in only_alice[1:]} == {"alice"}


async def test_an_export_to_a_file_shows_progress_and_writes_nothing_to_stdout(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "alice", points=40)
    output = tmp_path / "ledger.csv"
    result = tessera(
        database_url, "transactions", "export", "--program", str(tenant.program_id),
        "--output", str(output),
    )  # fmt: skip
    assert result.stdout == ""
    assert "exporting transactions" in result.stderr and "1/1" in result.stderr
    assert f"1 transactions of program {tenant.program_id} written to" in result.stderr
    rows = rows_of(output.read_text(encoding="utf-8"))
    assert rows[0] == HEADER and rows[1][3] == "40"


async def test_bad_options_fail_in_one_line(database_url: str, db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    program = str(tenant.program_id)
    for args, message in (
        (["--program", program, "--since", "last week"], "--since 'last week' is not an ISO"),
        (["--program", program, "--customer", "nobody"], "Customer with merchant ID `nobody`"),
        (["--program", "999999"], "No program with id 999999"),
    ):
        result = tessera(database_url, "transactions", "export", *args, check=False)
        assert result.returncode == 1 and result.stdout == ""
        assert problem(result).startswith("error: ") and message in problem(result), result.stderr


async def test_pages_follow_one_another_by_id_with_nothing_left_out(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    alice = await make_customer(db, tenant, "alice")
    at = datetime(2024, 1, 1, tzinfo=UTC)
    ids = [await add_entry(db, tenant, alice.id, n + 1, at, "x") for n in range(5)]
    pages = [
        [t.entry.id for t in page]
        async for page in ledger_pages(db, tenant.program_id, TransactionFilters(), page_size=2)
    ]
    assert pages == [ids[:2], ids[2:4], ids[4:]]
