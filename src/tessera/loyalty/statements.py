"""Building the loyalty domain's hot statements once, at import.

A constant written as a plain Python value becomes a bound parameter, and a tuple given to
``in_`` an "expanding" one that SQLAlchemy re-renders into the SQL on every execution (a regular
expression pass and a parameter rebuild: about half the CPU of a small query on SQLite).
Constants that never vary are written into the SQL instead, with ``constant``/``one_of``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def constant(value: str | int) -> sa.ColumnElement[Any]:
    """``value`` written into the SQL: a fixed state, kind or number of the domain (never user
    input: strings are checked to need no quoting)."""
    if isinstance(value, int):
        return sa.literal_column(str(int(value)))
    if not value.replace("_", "").isalnum():
        raise ValueError(f"not a plain constant: {value!r}")
    return sa.literal_column(f"'{value}'")


def one_of(column: sa.ColumnElement[Any], values: tuple[str | int, ...]) -> sa.ColumnElement[bool]:
    """``column IN (v1, v2...)`` with the values written into the SQL."""
    return column.in_([constant(value) for value in values])
