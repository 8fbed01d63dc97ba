"""``INSERT ... ON CONFLICT DO NOTHING`` on whichever backend the connection uses: the unique
constraint decides between concurrent first writers, and the loser learns it from the rowcount
(or an empty RETURNING) instead of an error that would abort its transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_ignoring_conflict(
    conn: AsyncConnection, table: sa.Table, values: Mapping[str, Any]
) -> sa.Insert:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(values).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).values(values).on_conflict_do_nothing()
