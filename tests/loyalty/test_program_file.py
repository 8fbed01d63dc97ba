"""The program file: its schema, its errors, and `tessera program apply/show`, on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.demo.setup import demo_document_data
from tessera.kit.errors import Invalid
from tessera.programs.configuration import (
    CustomRule,
    PageviewRule,
    ProductCartReward,
    Reward,
    Rule,
    current_version,
    load_program_file,
    parse_document,
)
from tests.factories import make_tenant


def tessera(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TESSERA_DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tessera", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_program_uses_every_rule_and_reward_kind() -> None:
    document = parse_document(demo_document_data())
    assert {r.kind for r in document.rules} == {kind.kind for kind in get_args(Rule)}
    assert any(isinstance(r, CustomRule) and r.trigger == "mobile_session" for r in document.rules)
    assert {r.kind for r in document.rewards} == {kind.kind for kind in get_args(Reward)}
    assert document.tiers is not None and len(document.tiers.levels) == 3
    assert document.referee_incentive is not None
    for rule in document.rules:
        assert set(rule.title) == {"en", "de", "es", "fr", "it", "nl", "sv"}


def test_errors_name_the_path_of_every_bad_field() -> None:
    bad = {
        "rules": [
            {"id": 1, "kind": "pageview", "points": -1, "title": {"en": "x"}, "bogus": 1},
            {"id": 2, "kind": "nope", "points": 1, "title": {"en": "y"}},
        ],
        "rewards": [{"id": 1, "kind": "gift_card", "points": 5, "title": {"en": "z"}}],
    }
    with pytest.raises(Invalid) as raised:
        parse_document(bad)
    assert raised.value.details == {
        "$.rules[0].points": "-1 is less than the minimum of 0",
        "$.rules[0].bogus": "is not a known field",
        "$.rules[1].kind": "'nope' is not a known kind",
        "$.rewards[0].initial_balance": "is required",
    }


def test_references_between_entries_are_checked() -> None:
    bad = {
        "tiers": {
            "boundary_mode": "points",
            "levels": [
                {"id": 1, "name": {"en": "Bronze"}, "lower_bound": 10, "benefit_ids": [7]},
            ],
        },
        "rules": [
            {"id": 1, "kind": "join_program", "points": 1, "title": {"en": "a"}},
            {
                "id": 1,
                "kind": "birthday",
                "points": 1,
                "title": {"en": "b"},
                "tier_variants": [{"tier_id": 9}],
            },
        ],
    }
    with pytest.raises(Invalid) as raised:
        parse_document(bad)
    assert raised.value.details == {
        "$.tiers.levels[0].benefit_ids": "benefit 7 is not defined",
        "$.tiers.levels[0].lower_bound": "the first tier must start at 0",
        "$.rules[1].id": "duplicates id 1",
        "$.rules[1].tier_variants[0].tier_id": "tier 9 is not defined in tiers.levels",
    }


def test_yaml_and_json_files_give_the_same_document() -> None:
    data = demo_document_data()
    from_yaml = load_program_file(yaml.safe_dump(data, allow_unicode=True))
    from_json = load_program_file(json.dumps(data))
    assert from_yaml == from_json
    assert isinstance(from_json.rules[5], PageviewRule)
    assert isinstance(from_json.rewards[6], ProductCartReward)


async def test_apply_stores_a_new_version_and_keeps_the_previous(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    demo = tmp_path / "program.yaml"
    demo.write_text(yaml.safe_dump(demo_document_data(), allow_unicode=True))
    applied = tessera(
        database_url, "program", "apply", str(demo), "--program", str(tenant.program_id)
    )
    assert applied.returncode == 0, applied.stderr
    assert "version 2" in applied.stdout
    shown = tessera(database_url, "program", "show", "--program", str(tenant.program_id))
    assert parse_document(yaml.safe_load(shown.stdout)) == parse_document(demo_document_data())
    first = tessera(
        database_url, "program", "show", "--program", str(tenant.program_id), "--version", "1"
    )
    assert len(yaml.safe_load(first.stdout)["rules"]) == 2


async def test_a_bad_file_is_refused_whole_and_changes_nothing(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"id": 1, "kind": "purchase", "title": {"en": "x"}}]}))
    result = tessera(
        database_url, "program", "apply", str(bad), "--program", str(tenant.program_id)
    )
    assert result.returncode == 1
    assert "$.rules[0].points: is required" in result.stderr
    async with db.connect() as conn:
        version, _ = await current_version(conn, tenant.program_id)
    assert version == 1
