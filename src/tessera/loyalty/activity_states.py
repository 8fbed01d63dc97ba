"""An activity's state, as the merchant moves it (Admin API ``PUT /v2/activities/{name}/
{merchant_id}``): a pending activity is approved or declined, an approved one voided.

- pending -> approved: its pending points become spendable (tessera.loyalty.pending.approve).
- pending -> declined (or void): its pending points are voided; the activity is ``declined``.
- approved -> void (or declined, as the reference says): its points are taken back, never
  below zero; what could not be taken back is recorded on the activity.
- the same state again changes nothing; declined and void are final, so approving one is a
  Conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import find_customer_by_id
from tessera.kit.errors import Conflict, NotFound
from tessera.loyalty import ledger, pending, program_events
from tessera.loyalty.activities import built_in_name
from tessera.store.tables import activities, ledger_entries

Requested = Literal["approved", "declined", "void"]
FINAL = ("declined", "void")


@dataclass(frozen=True, slots=True)
class _Found:
    id: int
    customer_id: int
    state: str
    value: int
    rule_id: int | None


async def _find(
    conn: AsyncConnection, program_id: int, name: str, merchant_id: str
) -> _Found | None:
    """The activity named ``name`` (or ``$name``: the path may leave the ``$`` out)."""
    names = [name] if name.startswith("$") else [name, built_in_name(name)]
    rows = (
        await conn.execute(
            sa.select(
                activities.c.id,
                activities.c.customer_id,
                activities.c.state,
                activities.c.value,
                activities.c.rule_id,
            )
            .where(
                activities.c.program_id == program_id,
                activities.c.name.in_(names),
                activities.c.merchant_id == merchant_id,
            )
            # The exact name first, when both a custom ``review`` and ``$review`` exist.
            .order_by(sa.case((activities.c.name == name, 0), else_=1))
        )
    ).all()
    return _Found(*rows[0]) if rows else None


async def change_activity_state(
    conn: AsyncConnection,
    program_id: int,
    name: str,
    merchant_id: str,
    requested: Requested,
    now: datetime,
) -> str:
    """Move the activity to ``requested`` and return the state it is in afterwards."""
    found = await _find(conn, program_id, name, merchant_id)
    if found is None:
        raise NotFound("activity", f"Activity `{name}` with merchant ID `{merchant_id}` not found")
    # Lock the customer, then read the activity again: a parallel change has settled by now.
    await find_customer_by_id(conn, program_id, found.customer_id, for_update=True)
    found = await _find(conn, program_id, name, merchant_id)
    assert found is not None
    activity_id, customer_id, state = found.id, found.customer_id, found.state
    value, rule_id = found.value, found.rule_id
    if state == requested or (state in FINAL and requested in FINAL):
        return state
    if state in FINAL:
        raise Conflict(
            "activity_final", f"This activity is {state}: it cannot be {requested} any more"
        )
    changes: dict[str, object] = {}
    if state == "pending":
        entries = await pending.unsettled(conn, ledger_entries.c.activity_id == activity_id)
        if requested == "approved":
            await pending.approve(conn, entries, now)
        else:
            await pending.void(conn, entries, now)
            requested = "declined"
    else:  # approved: void it, taking its points back
        taken = await ledger.take_back(
            conn,
            program_id=program_id,
            customer_id=customer_id,
            points=value,
            reason=f"activity {activity_id} voided",
            rule_id=rule_id,
            at=now,
            activity_id=activity_id,
        )
        requested = "void"
        changes["points_not_taken_back"] = value - taken
    await conn.execute(
        activities.update()
        .where(activities.c.id == activity_id)
        .values(state=requested, updated_at=now, **changes)
    )
    await program_events.customer_changed(conn, program_id, customer_id, now)
    return requested
