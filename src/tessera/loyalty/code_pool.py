"""A reward's pool of pre-generated codes: the merchant imports codes their platform already
knows (``tessera rewards import-codes``), and each redemption of the reward hands out the next
unused one instead of a code Tessera makes up.

A code is unique within its program: importing it again, for the same reward or another, skips
it. Taking a code is one ``UPDATE ... RETURNING`` of the oldest unused row; on PostgreSQL the row
is chosen ``FOR UPDATE SKIP LOCKED``, so redemptions running in parallel (different customers'
locks) never take the same code, and none waits for another's. On SQLite the write transaction
already holds the database's one write lock.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.errors import Conflict, Invalid, NotFound
from tessera.programs.configuration import (
    ActiveSubscriptionProductReward,
    CartVariableDiscountVoucherReward,
    CustomReward,
    Reward,
    current_document,
)
from tessera.programs.sites import get_program
from tessera.store.tables import claimed_rewards, reward_codes

MAX_CODE_LENGTH = 40  # claimed_rewards.code and reward_codes.code
BATCH = 500
MAX_EXAMPLES = 10


def hands_out_code(reward: Reward) -> bool:
    """Whether a claim of ``reward`` carries a code (a voucher, gift card, cart or voucher-
    fulfilled custom reward); a subscription product is added by the integrator, identified by
    the claim's id, and a variable discount is spent at checkout."""
    if isinstance(reward, CustomReward):
        return reward.fulfillment == "voucher"
    return not isinstance(
        reward, ActiveSubscriptionProductReward | CartVariableDiscountVoucherReward
    )


def code_problem(code: str) -> str | None:
    """Why ``code`` cannot be a code (too long, spaces or control characters), or None."""
    if len(code) > MAX_CODE_LENGTH:
        return f"longer than {MAX_CODE_LENGTH} characters"
    if any(ch.isspace() or not ch.isprintable() for ch in code):
        return "contains spaces or control characters"
    return None


def read_codes(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of a file of codes: one per line, or CSV whose first column is
    the code (a first row whose first cell is ``code`` is a header). Blank lines and lines
    starting with ``#`` are skipped; cells are trimmed."""
    found: list[tuple[int, str]] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cell = row[0].strip() if row else ""
        if not cell or cell.startswith("#"):
            continue
        if not found and number == 1 and cell.lower() == "code":
            continue
        found.append((number, cell))
    return found


@dataclass(slots=True)
class ImportReport:
    """What an import did: ``imported`` new codes, and why the rest were skipped."""

    imported: int = 0
    already_in_pool: int = 0  # this reward's pool has it (a re-run of the same file)
    in_another_reward: int = 0  # another reward of the program has it
    already_claimed: int = 0  # a claimed reward of the program carries it
    repeated_in_file: int = 0
    invalid: int = 0
    # The first few invalid lines, as (line number, code, what is wrong with it).
    examples: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return (
            self.already_in_pool
            + self.in_another_reward
            + self.already_claimed
            + self.repeated_in_file
            + self.invalid
        )


async def _known(
    conn: AsyncConnection, program_id: int, codes: list[str]
) -> tuple[dict[str, int], set[str]]:
    """Which of ``codes`` the program already has: in a pool (code -> reward id), on a claim."""
    pooled = await conn.execute(
        sa.select(reward_codes.c.code, reward_codes.c.reward_id).where(
            reward_codes.c.program_id == program_id, reward_codes.c.code.in_(codes)
        )
    )
    claimed = await conn.execute(
        sa.select(claimed_rewards.c.code).where(
            claimed_rewards.c.program_id == program_id, claimed_rewards.c.code.in_(codes)
        )
    )
    return {str(code): int(reward) for code, reward in pooled}, {str(row[0]) for row in claimed}


async def import_codes(
    conn: AsyncConnection,
    program_id: int,
    reward_id: int,
    lines: Iterable[tuple[int, str]],
    now: datetime,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Add ``lines`` (from read_codes) to the reward's pool, in batches; ``on_progress`` hears
    how many lines each batch took. Safe to re-run: codes the program has are skipped."""
    report = ImportReport()
    seen: set[str] = set()
    batch: list[tuple[int, str]] = []

    async def flush() -> None:
        pooled, claimed = await _known(conn, program_id, [code for _, code in batch])
        rows = []
        for _, code in batch:
            if code in pooled:
                if pooled[code] == reward_id:
                    report.already_in_pool += 1
                else:
                    report.in_another_reward += 1
            elif code in claimed:
                report.already_claimed += 1
            else:
                rows.append(
                    {"program_id": program_id, "reward_id": reward_id, "code": code,
                     "imported_at": now}
                )  # fmt: skip
        if rows:
            await conn.execute(reward_codes.insert(), rows)
            report.imported += len(rows)
        if on_progress is not None:
            on_progress(len(batch))
        batch.clear()

    for number, code in lines:
        problem = code_problem(code)
        if problem is not None:
            report.invalid += 1
            if len(report.examples) < MAX_EXAMPLES:
                report.examples.append((number, code[:60], problem))
        elif code in seen:
            report.repeated_in_file += 1
        else:
            seen.add(code)
            batch.append((number, code))
            if len(batch) >= BATCH:
                await flush()
            continue
        if on_progress is not None:
            on_progress(1)
    if batch:
        await flush()
    return report


async def import_reward_codes(
    conn: AsyncConnection,
    program_id: int,
    reward_id: int,
    lines: Iterable[tuple[int, str]],
    now: datetime,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """``import_codes`` into a reward of the program's configuration in force, which must be
    one whose claims carry a code."""
    await get_program(conn, program_id)
    document = await current_document(conn, program_id)
    reward = next((r for r in document.rewards if r.id == reward_id), None)
    if reward is None:
        raise NotFound("reward", f"Program {program_id} has no reward {reward_id}")
    if not hands_out_code(reward):
        raise Invalid(f"Reward {reward_id} ({reward.kind}) hands out no codes")
    return await import_codes(conn, program_id, reward_id, lines, now, on_progress)


@dataclass(frozen=True, slots=True)
class PoolCode:
    id: int
    code: str


def _next_unused(program_id: int, reward_id: int) -> sa.ScalarSelect[int]:
    return (
        sa.select(reward_codes.c.id)
        .where(
            reward_codes.c.program_id == program_id,
            reward_codes.c.reward_id == reward_id,
            reward_codes.c.claimed_at.is_(None),
        )
        .order_by(reward_codes.c.id)
        .limit(1)
        # PostgreSQL: a row another redemption is taking is passed over, not waited for.
        # SQLite's compiler leaves the clause out (its writer holds the database).
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )


async def take_code(
    conn: AsyncConnection, program_id: int, reward_id: int, now: datetime
) -> PoolCode | None:
    """The reward's next unused code, now taken; None when the reward has no pool. A pool with
    no code left refuses the redemption (Conflict ``reward_out_of_stock``)."""
    taken = (
        await conn.execute(
            reward_codes.update()
            .where(reward_codes.c.id == _next_unused(program_id, reward_id))
            .values(claimed_at=now)
            .returning(reward_codes.c.id, reward_codes.c.code)
        )
    ).one_or_none()
    if taken is not None:
        return PoolCode(int(taken[0]), str(taken[1]))
    has_pool = await conn.scalar(
        sa.select(reward_codes.c.id)
        .where(reward_codes.c.program_id == program_id, reward_codes.c.reward_id == reward_id)
        .limit(1)
    )
    if has_pool is None:
        return None
    raise Conflict("reward_out_of_stock", f"Reward {reward_id} has no codes left")


async def attach(conn: AsyncConnection, code: PoolCode, claimed_reward_id: int) -> None:
    """Record which claim got ``code`` (taken in the same transaction)."""
    await conn.execute(
        reward_codes.update()
        .where(reward_codes.c.id == code.id)
        .values(claimed_reward_id=claimed_reward_id)
    )


@dataclass(frozen=True, slots=True)
class PoolSize:
    total: int
    unused: int


async def pool_size(conn: AsyncConnection, program_id: int, reward_id: int) -> PoolSize:
    row = (
        await conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.count().filter(reward_codes.c.claimed_at.is_(None)),
            ).where(reward_codes.c.program_id == program_id, reward_codes.c.reward_id == reward_id)
        )
    ).one()
    return PoolSize(total=int(row[0]), unused=int(row[1]))
