"""`tessera rewards import-codes`, run as a user runs it, against both databases."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import Tenant, make_tenant
from tests.test_cli import problem, tessera


def codes_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


async def tenant_of(db: AsyncEngine) -> Tenant:
    return await make_tenant(db)


async def test_an_import_shows_its_progress_and_a_summary_and_a_rerun_adds_nothing(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await tenant_of(db)
    file = codes_file(tmp_path, "code\nSHOP-1\nSHOP-2\nSHOP-3\n")
    args = ["rewards", "import-codes", file, "--program", str(tenant.program_id), "--reward", "1"]
    first = tessera(database_url, *args)
    assert "importing codes" in first.stderr and "3/3" in first.stderr
    assert "imported 3 codes into reward 1" in first.stdout
    assert "3 codes, 3 unused" in first.stdout
    again = tessera(database_url, *args)
    assert "imported 0 codes" in again.stdout
    assert "3 already in this reward's pool" in again.stdout
    summary = json.loads(tessera(database_url, *args, "--json").stdout)
    assert (summary["imported"], summary["already_in_pool"], summary["pool_total"]) == (0, 3, 3)


async def test_repeated_invalid_and_already_pooled_codes_are_skipped_and_counted(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await tenant_of(db)
    program = str(tenant.program_id)
    other = codes_file(tmp_path, "TAKEN\n")
    tessera(database_url, "rewards", "import-codes", other, "--program", program, "--reward", "2")
    file = codes_file(tmp_path, 'A-1,first\nA-1\n"has space"\n\n# a comment\nTAKEN\nB-2\n')
    result = tessera(
        database_url, "rewards", "import-codes", file, "--program", program, "--reward", "1",
        "--json",
    )  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["imported"] == 2  # A-1 and B-2
    assert (summary["repeated_in_file"], summary["in_another_reward"], summary["invalid"]) == (
        1,
        1,
        1,
    )
    assert summary["examples"] == [[3, "has space", "contains spaces or control characters"]]


async def test_an_unknown_program_or_reward_or_one_without_codes_fails_in_one_line(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(
        db,
        program={"rewards": [{"id": 5, "kind": "custom", "points": 10, "title": {"en": "Tree"}}]},
    )
    file = codes_file(tmp_path, "X-1\n")
    program = str(tenant.program_id)
    for args, message in (
        (["--program", "999999", "--reward", "5"], "No program with id 999999"),
        (["--program", program, "--reward", "6"], f"Program {program} has no reward 6"),
        (["--program", program, "--reward", "5"], "Reward 5 (custom) hands out no codes"),
    ):
        result = tessera(database_url, "rewards", "import-codes", file, *args, check=False)
        assert result.returncode == 1
        assert problem(result) == f"error: {message}"
