"""Constants written into prebuilt SQL: plain domain values only, rendered inline."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.loyalty.statements import constant, one_of

COLUMN = sa.column("state")


def test_a_constant_is_written_into_the_sql() -> None:
    sql = str(COLUMN.op("=")(constant("approved")).compile())
    assert sql == "state = 'approved'"


def test_one_of_lists_its_values_in_the_sql() -> None:
    sql = str(one_of(COLUMN, ("approved", 3)).compile())
    assert sql == "state IN ('approved', 3)"


def test_a_value_that_would_need_quoting_is_refused() -> None:
    with pytest.raises(ValueError):
        constant("it's")
