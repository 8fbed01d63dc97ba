"""Stored rows, counted straight from the database (SQLAlchemy's sync engine, beside the
server), to set against the answers wrk saw acknowledged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from bench.setups import sync_url

# Tables whose growth the bench checks (names as in tessera.store.tables).
COUNTED = (
    "webview_sessions",
    "customers",
    "stripe_customers",
    "stripe_customer_sessions",
    "stripe_idempotency",
)


def count_rows(database_url: str, tables: Iterable[str] = COUNTED) -> dict[str, int]:
    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return {
                table: int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in tables
            }
    finally:
        engine.dispose()


@dataclass(frozen=True)
class RowCheck:
    table: str
    acknowledged: int
    stored: int  # rows the table gained over the endpoint's warm-up and load

    @property
    def missing(self) -> int:
        return max(0, self.acknowledged - self.stored)


def check_rows(
    tables: Iterable[str],
    acknowledged: int,
    before: Mapping[str, int],
    after: Mapping[str, int],
) -> list[RowCheck]:
    """One check per table: it must have gained a row for every acknowledged answer. (It may
    gain more: wrk stops with requests in flight, which the server still commits.)"""
    return [RowCheck(table, acknowledged, after[table] - before[table]) for table in tables]
