"""``INSERT ... ON CONFLICT DO NOTHING`` on whichever backend the connection uses: the unique
constraint decides between concurrent first writers, and the loser learns it from the rowcount
(or an empty RETURNING) instead of an error that would abort its transaction."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from tessera.store.prepared import Prepared


@cache
def insert_ignoring_conflict_statement(
    dialect: str, table: sa.Table, returning: tuple[str, ...] = ()
) -> sa.Insert:
    """The statement without values, built once: execute it with the row as parameters, so a
    hot path pays neither for building it nor for its cache key."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: sa.Insert = pg_insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing()
    if returning:
        return statement.returning(*(table.c[name] for name in returning))
    return statement


@cache
def claim_row(dialect: str, table: sa.Table) -> Prepared:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, prepared: executed with a row, it
    answers the new row's id, or None when a unique key already held one."""
    return Prepared(insert_ignoring_conflict_statement(dialect, table, ("id",)))
