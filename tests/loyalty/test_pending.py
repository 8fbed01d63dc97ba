"""Pending points moving on (tessera.loyalty.pending): appended settlements, balances, the
member's history and rule completions, on both databases; and the program file's settings for
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.kit.errors import Invalid
from tessera.loyalty import ledger, member_ledger, pending
from tessera.programs.configuration import parse_document
from tessera.store.tables import ledger_entries
from tests.factories import make_customer, make_tenant

START = datetime(2025, 1, 1, tzinfo=UTC)


async def pending_review(db: AsyncEngine) -> tuple[int, int]:
    """A customer with a pending completion of rule 1 worth 40 points: (customer id, entry id)."""
    tenant = await make_tenant(db)
    customer = await make_customer(db, tenant, "m1")
    async with db.begin() as conn:
        entry_id = await ledger.record(
            conn,
            program_id=tenant.program_id,
            customer_id=customer.id,
            points=40,
            state="pending",
            reason="rule 1",
            kind="earned_points_from_rule",
            rule_id=1,
            at=START,
            activity_id=7,
        )
    return customer.id, entry_id


async def settle(db: AsyncEngine, how: str) -> None:
    async with db.begin() as conn:
        entries = await pending.unsettled(conn, ledger_entries.c.activity_id == 7)
        assert len(entries) == 1
        move = pending.approve if how == "approve" else pending.void
        assert await move(conn, entries, START + timedelta(days=1)) == 40


async def test_an_approval_appends_entries_and_makes_the_points_spendable(db: AsyncEngine) -> None:
    customer_id, _ = await pending_review(db)
    await settle(db, "approve")
    async with db.connect() as conn:
        assert await ledger.balances(conn, customer_id) == ledger.Balances(40, 0, 0)
        history, marks = await member_ledger.member_ledger(conn, customer_id)
        assert await conn.scalar(sa.select(sa.func.count()).select_from(ledger_entries)) == 3
        # Tier measures count the earning once.
        points, _, _ = await ledger.tier_measures(conn, customer_id, None)
    assert [(entry.points, entry.state) for entry in history] == [(40, "approved")]
    assert marks.completions == {1: [START]}
    assert points == 40


async def test_a_void_leaves_nothing_and_is_no_completion(db: AsyncEngine) -> None:
    customer_id, _ = await pending_review(db)
    await settle(db, "void")
    async with db.connect() as conn:
        assert await ledger.balances(conn, customer_id) == ledger.Balances(0, 0, 0)
        history, marks = await member_ledger.member_ledger(conn, customer_id)
        assert await ledger.rule_completion_times(conn, customer_id, 1) == []
        points, _, _ = await ledger.tier_measures(conn, customer_id, None)
    assert [(entry.points, entry.state) for entry in history] == [(40, "void")]
    assert marks.completions == {}
    assert points == 0


async def test_a_settled_entry_is_not_pending_any_more(db: AsyncEngine) -> None:
    await pending_review(db)
    await settle(db, "approve")
    async with db.connect() as conn:
        assert await pending.unsettled(conn, ledger_entries.c.activity_id == 7) == []


def custom(rule_id: int, name: str) -> dict[str, object]:
    return {"id": rule_id, "kind": "custom", "points": 1, "name": name, "title": {"en": "x"}}


@pytest.mark.parametrize(
    "rules",
    [
        [custom(1, "same"), custom(2, "same")],
        [custom(1, "$review")],
        [custom(1, " padded")],
        [custom(1, "x" * 101)],
    ],
)
def test_a_custom_rule_needs_a_unique_plain_name(rules: list[dict[str, object]]) -> None:
    with pytest.raises(Invalid) as refused:
        parse_document({"rules": rules})
    assert any(path.endswith(".name") for path in refused.value.details)


def test_a_review_starts_pending_unless_its_approval_says_otherwise() -> None:
    review = {"id": 1, "kind": "review", "points": 5, "title": {"en": "Review"}}
    document = parse_document({"rules": [review, {**review, "id": 2, "approval": "approved"}]})
    assert [rule.initial_state for rule in document.rules] == ["pending", "approved"]
    with pytest.raises(Invalid) as refused:
        parse_document({"rules": [{**review, "approval": "later"}]})
    assert "$.rules[0].approval" in refused.value.details
