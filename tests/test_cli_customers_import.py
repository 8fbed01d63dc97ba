"""`tessera customers import`, run as a user runs it, against both databases."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.customers.blocking import set_blocked
from tessera.customers.import_file import MAX_ROWS, FileRefused, check_file
from tessera.customers.service import Customer, find_customer
from tessera.loyalty import ledger
from tessera.programs.sites import create_site
from tessera.store.tables import ledger_entries
from tests.factories import Tenant, make_customer, make_tenant
from tests.headless.helpers import demo_tenant
from tests.test_cli import problem, tessera

HEADER = "merchant_id,email,points,enrolled_at,tier\n"


def customers_file(tmp_path: Path, text: str, name: str = "customers.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_import(database_url: str, tenant: Tenant, file: str, *extra: str) -> Any:
    result = tessera(
        database_url, "customers", "import", file, "--program", str(tenant.program_id), *extra,
        "--json",
    )  # fmt: skip
    return json.loads(result.stdout)


async def customer_of(db: AsyncEngine, tenant: Tenant, merchant_id: str) -> Customer:
    async with db.connect() as conn:
        found = await find_customer(conn, tenant.program_id, merchant_id)
    assert found is not None, merchant_id
    return found


async def balance_of(db: AsyncEngine, customer: Customer) -> int:
    async with db.connect() as conn:
        return await ledger.approved_balance(conn, customer.id)


async def entries_of(db: AsyncEngine, tenant: Tenant) -> list[tuple[str, int, str]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.select(ledger_entries.c.kind, ledger_entries.c.points, ledger_entries.c.label)
            .where(ledger_entries.c.program_id == tenant.program_id)
            .order_by(ledger_entries.c.id)
        )
        return [(str(kind), int(points), str(label)) for kind, points, label in rows]


async def test_an_import_creates_members_and_guests_with_their_points_and_a_summary(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    file = customers_file(
        tmp_path,
        HEADER + "m1,m1@example.com,120,2023-05-01,\n"
        "m2,M2@Example.com,0,,\n"
        'm3,m3@example.com,7,"2024-02-03T10:20:30+02:00",\n',
    )
    args = ["customers", "import", file, "--program", str(tenant.program_id)]
    result = tessera(database_url, *args)
    assert "importing customers" in result.stderr and "3/3" in result.stderr
    assert "imported 3 customers into program" in result.stdout
    assert "3 created, 0 updated, 0 unchanged" in result.stdout
    m1, m2, m3 = [await customer_of(db, tenant, m) for m in ("m1", "m2", "m3")]
    assert (m1.state, m1.enrolled_at) == ("enrolled", datetime(2023, 5, 1, tzinfo=UTC))
    assert (m2.state, m2.enrolled_at, m2.email) == ("guest", None, "M2@Example.com")
    assert m3.enrolled_at == datetime(2024, 2, 3, 8, 20, 30, tzinfo=UTC)
    assert [await balance_of(db, c) for c in (m1, m2, m3)] == [120, 0, 7]
    assert await entries_of(db, tenant) == [
        ("points_added", 120, "imported"),
        ("points_added", 7, "imported"),
    ]


async def test_each_kind_of_bad_row_is_skipped_with_its_reason_and_lines(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "taken", email="taken@example.com")
    blocked = await make_customer(db, tenant, "blocked")
    async with db.begin() as conn:
        await set_blocked(conn, blocked, True)
    rows = [
        "ok,ok@example.com,1,,",  # line 2
        "short,short@example.com,1",
        f"{'x' * 256},long@example.com,1,,",
        ",nobody@example.com,1,,",
        "nul\x01,nul@example.com,1,,",
        "e1,not-an-email,1,,",
        "p1,p1@example.com,-1,,",
        "p2,p2@example.com,1.5,,",
        "p3,p3@example.com,1000000001,,",
        "d1,d1@example.com,1,yesterday,",
        "d2,d2@example.com,1,2999-01-01,",
        "t1,t1@example.com,1,2023-01-01,Platinum",
        "ok,again@example.com,1,,",
        "u1,taken@example.com,1,,",
        "blocked,blocked@example.com,1,,",
    ]
    file = customers_file(tmp_path, HEADER + "\n".join(rows) + "\n")
    summary = run_import(database_url, tenant, file)
    assert (summary["imported"], summary["created"]) == (1, 1)
    assert summary["examples"] == {
        "columns": [3],
        "merchant_id": [4, 5, 6],
        "email": [7],
        "points": [8, 9, 10],
        "enrolled_at": [11, 12],
        "tier": [13],  # SMALL_PROGRAM has no tiers
        "repeated": [14],
        "email_in_use": [15],
        "blocked": [16],
    }
    assert summary["skipped"]["points"] == 3
    text = tessera(
        database_url, "customers", "import", file, "--program", str(tenant.program_id)
    ).stdout
    assert "skipped 14:" in text
    assert "3 has points that are not a whole number from 0 to 1,000,000,000 (lines 8, 9, 10)" in (
        text
    )
    assert "1 is a customer blocked from the program (line 16)" in text
    assert await balance_of(db, blocked) == 0


def demo_tier(points: int) -> str:
    return "Gold" if points >= 3000 else "Silver" if points >= 1000 else "Bronze"


async def test_reimporting_the_same_file_changes_nothing(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await demo_tenant(db)
    # More than two batches of 500 rows, with tiers and enrolment dates.
    lines = [
        f"c{n},c{n}@example.com,{n * 3},2022-03-0{1 + n % 9}T12:00:00Z,{demo_tier(n * 3)}"
        for n in range(1001)
    ]
    file = customers_file(tmp_path, HEADER + "\n".join(lines) + "\n")
    first = run_import(database_url, tenant, file)
    assert (first["created"], first["skipped"], first["tier_differs"]) == (1001, {}, 0)
    before = await entries_of(db, tenant)
    again = run_import(database_url, tenant, file)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1001)
    assert await entries_of(db, tenant) == before
    assert await balance_of(db, await customer_of(db, tenant, "c1000")) == 3000


async def test_a_changed_file_moves_points_up_and_down_by_one_entry_each(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "had", points=50)
    first = customers_file(tmp_path, HEADER + "up,up@example.com,100,,\ndown,down@x.example,80,,\n")
    run_import(database_url, tenant, first)
    changed = customers_file(
        tmp_path,
        HEADER + "up,up@example.com,130,,\ndown,down@y.example,30,,\nhad,had@example.com,50,,\n",
        name="changed.csv",
    )
    summary = run_import(database_url, tenant, changed)
    assert (summary["updated"], summary["unchanged"]) == (2, 1)
    entries = await entries_of(db, tenant)
    assert entries[-2:] == [("points_added", 30, "imported"), ("points_removed", -50, "imported")]
    up, down = await customer_of(db, tenant, "up"), await customer_of(db, tenant, "down")
    assert (await balance_of(db, up), await balance_of(db, down)) == (130, 30)
    assert down.email == "down@y.example"


async def test_a_guest_with_an_enrolment_date_becomes_a_member_and_a_member_stays_one(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    run_import(database_url, tenant, customers_file(tmp_path, HEADER + "g,g@example.com,1,,\n"))
    enrolled = customers_file(tmp_path, HEADER + "g,g@example.com,1,2021-06-01,\n", "b.csv")
    assert run_import(database_url, tenant, enrolled)["updated"] == 1
    member = await customer_of(db, tenant, "g")
    assert (member.state, member.enrolled_at) == ("enrolled", datetime(2021, 6, 1, tzinfo=UTC))
    blank = customers_file(tmp_path, HEADER + "g,g@example.com,1,,\n", "c.csv")
    assert run_import(database_url, tenant, blank)["unchanged"] == 1
    assert (await customer_of(db, tenant, "g")).state == "enrolled"


async def test_tiers_are_derived_and_a_different_tier_in_the_file_is_reported(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await demo_tenant(db)
    file = customers_file(
        tmp_path,
        HEADER + "s,s@example.com,1500,2023-01-01,2\ng,g@example.com,100,2023-01-01,gold\n"
        "x,x@example.com,1,,Bronze\n",
    )
    summary = run_import(database_url, tenant, file)
    assert summary["imported"] == 2 and summary["examples"] == {"tier_of_guest": [4]}
    assert (summary["tier_differs"], summary["tier_examples"]) == (1, [[3, "Gold", "Bronze"]])
    tiers = [entry for entry in await entries_of(db, tenant) if entry[0] == "entered_tier"]
    assert sorted(label for _, _, label in tiers) == ["Bronze", "Silver"]
    text = tessera(
        database_url, "customers", "import", file, "--program", str(tenant.program_id)
    ).stdout
    assert "line 3: Gold in the file, Bronze here" in text


async def test_a_program_with_several_sites_needs_the_site(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        other = await create_site(
            conn, tenant.program_id, name="EU", languages=["en"], currencies=["eur"]
        )
    file = customers_file(tmp_path, HEADER + "eu1,eu1@example.com,5,,\n")
    args = ["customers", "import", file, "--program", str(tenant.program_id)]
    refused = tessera(database_url, *args, check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"Program {tenant.program_id} has several sites" in refused.stderr
    assert f"site: is required, one of {tenant.site.id}, {other.site.id}" in refused.stderr
    tessera(database_url, *args, "--site", str(other.site.id))
    assert (await customer_of(db, tenant, "eu1")).site_id == other.site.id


async def test_bad_files_and_programs_fail_in_one_line_and_write_nothing(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    program = str(tenant.program_id)
    long_line = customers_file(tmp_path, HEADER + f"a,a@example.com,1,,{'x' * 10_001}\n", "l.csv")
    for file, args, message in (
        (long_line, ["--program", program], f"{long_line}: line 2 is longer than 10,000"),
        (
            customers_file(tmp_path, "merchant_id,mail,points\nb,b@example.com,1\n", "h.csv"),
            ["--program", program],
            "unknown column 'mail'; no email column",
        ),
        (customers_file(tmp_path, HEADER, "e.csv"), ["--program", program], "has no rows"),
        (str(tmp_path / "missing.csv"), ["--program", program], "cannot read"),
        (
            customers_file(tmp_path, HEADER + "c,c@example.com,1,,\n", "p.csv"),
            ["--program", "999999"],
            "No program with id 999999",
        ),
    ):
        result = tessera(database_url, "customers", "import", file, *args, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert problem(result).startswith("error: ") and message in problem(result)
        assert len(problem(result).splitlines()) == 1
    assert await entries_of(db, tenant) == []


def test_a_file_of_more_than_a_million_rows_is_refused_before_any_write() -> None:
    big = io.StringIO(HEADER + "m,m@example.com,1,,\n" * (MAX_ROWS + 1))
    with pytest.raises(FileRefused, match="more than 1,000,000 rows"):
        check_file(big, "big.csv")
