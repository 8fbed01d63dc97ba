"""The operator's view across programs: every program with its sites, and what refers to a site.

Read-only and unscoped on purpose: this is what ``tessera programs list`` and ``tessera sites``
show to whoever runs the server, never what a request may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc
from tessera.store.tables import programs, sites, webview_sessions

# Rows that go with their site: short-lived links, no customer's data. Any other row naming
# the site (a customer, an order, an activity) keeps it from being deleted.
DELETED_WITH_SITE = (webview_sessions,)


@dataclass(frozen=True, slots=True)
class ProgramSummary:
    id: int
    name: str
    sites: int
    created_at: datetime


async def list_programs(conn: AsyncConnection) -> list[ProgramSummary]:
    """Every program, oldest first, with how many sites it has."""
    site_count = sa.func.count(sites.c.id)
    query = (
        sa.select(programs.c.id, programs.c.name, programs.c.created_at, site_count)
        .select_from(programs.outerjoin(sites, sites.c.program_id == programs.c.id))
        .group_by(programs.c.id, programs.c.name, programs.c.created_at)
        .order_by(programs.c.id)
    )
    return [
        ProgramSummary(id=row[0], name=row[1], created_at=as_utc(row[2]), sites=int(row[3]))
        for row in await conn.execute(query)
    ]


def describe_usage(usage: dict[str, int]) -> str:
    """``5 customers, 2 orders``: what ``site_usage`` found, for a person."""
    return ", ".join(f"{count} {table.replace('_', ' ')}" for table, count in usage.items())


async def site_usage(conn: AsyncConnection, site_id: int) -> dict[str, int]:
    """How many rows of each table that outlives its site name this one (tables with none
    are left out). Every foreign key to ``sites.id`` is counted, so a new table is too."""
    usage: dict[str, int] = {}
    for table in sites.metadata.sorted_tables:
        if table in DELETED_WITH_SITE:
            continue
        for key in table.foreign_keys:
            if key.column is sites.c.id:
                query = sa.select(sa.func.count()).select_from(table).where(key.parent == site_id)
                count = int((await conn.execute(query)).scalar_one())
                if count:
                    usage[table.name] = usage.get(table.name, 0) + count
    return usage
