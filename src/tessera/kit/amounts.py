"""Amounts of money as the Admin API writes them: decimal strings without formatting ("99.99").

Read exactly (``Decimal``, never a float) and bounded to what every database stores exactly:
at most 10 whole digits and 4 decimals (the ``Numeric(14, 4)`` columns; 14 significant digits
also survive SQLite's REAL storage unchanged). Written back with at least two decimals.
"""

from __future__ import annotations

import re
from decimal import Decimal

WHOLE_DIGITS = 10
DECIMALS = 4
# The contract's pattern; read with fullmatch, so "1\n" is refused too.
AMOUNT_PATTERN = rf"^[0-9]{{1,{WHOLE_DIGITS}}}(\.[0-9]{{1,{DECIMALS}}})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN.strip("^$"), re.ASCII)
AMOUNT_PROBLEM = (
    f"must be a decimal string such as 99.99: digits only (at most {WHOLE_DIGITS}), "
    f"with at most {DECIMALS} decimals"
)
ZERO = Decimal("0")


def parse_amount(text: str) -> Decimal | None:
    """The amount ``text`` writes, or None when it is not one (negative, exponent, spaces...)."""
    if _AMOUNT.fullmatch(text) is None:
        return None
    return Decimal(text)


def amount_text(amount: Decimal) -> str:
    """``Decimal("99.9000")`` -> ``"99.90"``; ``Decimal("1.2345")`` -> ``"1.2345"``."""
    exponent = amount.normalize().as_tuple().exponent
    decimals = max(2, -exponent if isinstance(exponent, int) else 0)
    return f"{amount:.{decimals}f}"
