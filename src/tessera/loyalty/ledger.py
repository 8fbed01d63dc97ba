"""An append-only points ledger. Balances are sums over it, never stored beside it."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import utcnow
from tessera.store.tables import ledger_entries

EntryState = Literal["pending", "approved", "spent", "expired", "void"]


async def record(
    conn: AsyncConnection,
    *,
    program_id: int,
    customer_id: int,
    points: int,
    state: EntryState,
    reason: str,
) -> None:
    """Append one entry. Spent and expired points are recorded as negative amounts."""
    await conn.execute(
        ledger_entries.insert().values(
            program_id=program_id,
            customer_id=customer_id,
            points=points,
            state=state,
            reason=reason,
            created_at=utcnow(),
        )
    )


async def approved_balance(conn: AsyncConnection, customer_id: int) -> int:
    """Points a customer can spend: approved earnings less what was spent or expired."""
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.points), 0)).where(
            ledger_entries.c.customer_id == customer_id,
            ledger_entries.c.state.in_(("approved", "spent", "expired")),
        )
    )
    return int(total or 0)
