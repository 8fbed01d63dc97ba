"""Reading a customers file (``tessera customers import``): the header, then one checked row
per customer, or the reason a row cannot be imported. Nothing here touches the database.

The file is CSV with a header row naming its columns: ``merchant_id``, ``email`` and ``points``
are required, ``enrolled_at`` and ``tier`` optional, in any order. Cells are trimmed. A file of
more than MAX_ROWS rows, or with a line longer than MAX_LINE characters, is refused whole, before
anything is written (``check_file``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from tessera.customers.unsubscribes import checked_email
from tessera.kit.clock import parse_moment
from tessera.kit.errors import Invalid
from tessera.programs.configuration import Tier, localized

MAX_ROWS = 1_000_000
MAX_LINE = 10_000  # characters, the line ending included
MAX_MERCHANT_ID = 255  # customers.merchant_id
MAX_POINTS = 1_000_000_000
EARLIEST_ENROLMENT = datetime(1970, 1, 1, tzinfo=UTC)

REQUIRED = ("merchant_id", "email", "points")
OPTIONAL = ("enrolled_at", "tier")

# Why a row is skipped: the summary's wording, by reason.
REASONS = {
    "columns": "has the wrong number of cells",
    "merchant_id": "has no merchant_id, or one that cannot be stored",
    "repeated": "repeats a merchant_id of an earlier row",
    "email": "has no email address, or one that cannot be stored",
    "points": "has points that are not a whole number from 0 to 1,000,000,000",
    "enrolled_at": "has an enrolled_at that is not an ISO date or timestamp in the past",
    "tier": "names a tier the program does not have",
    "tier_of_guest": "names a tier but no enrolled_at (a guest has no tier)",
    "email_in_use": "has an email address another customer of the program has",
    "blocked": "is a customer blocked from the program",
}


class FileRefused(Invalid):
    """The whole file is refused (too big, a line too long, a bad header): nothing is written."""


@dataclass(frozen=True, slots=True)
class CustomerRow:
    line: int  # where the row starts in the file (1: the header)
    merchant_id: str
    email: str
    points: int
    enrolled_at: datetime | None  # None: a guest
    tier_id: int | None


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str  # a key of REASONS


def _bounded(lines: Iterable[str], name: str) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise FileRefused(f"{name}: line {number} is longer than {MAX_LINE:,} characters")
        yield line


def check_file(handle: TextIO, name: str) -> int:
    """How many rows (the header left out) the file has; FileRefused when it is too big."""
    count = -1
    for cells in csv.reader(_bounded(handle, name)):
        if not cells:
            continue  # a blank line
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(f"{name} has more than {MAX_ROWS:,} rows: split it")
    if count < 1:
        raise FileRefused(f"{name} has no rows below its header")
    return count


def _columns(header: list[str], name: str) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    unknown = [n for n in names if n not in REQUIRED + OPTIONAL]
    missing = [n for n in REQUIRED if n not in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if unknown or missing or repeated:
        problems = [
            *(f"unknown column {n!r}" for n in unknown),
            *(f"no {n} column" for n in missing),
            *(f"column {n!r} repeated" for n in repeated),
        ]
        raise FileRefused(
            f"{name}: {'; '.join(problems)} (the columns: "
            f"{', '.join(REQUIRED)}, and optionally {', '.join(OPTIONAL)})"
        )
    return {n: i for i, n in enumerate(names)}


def tier_lookup(levels: Iterable[Tier]) -> dict[str, int]:
    """A tier's id by its id or any of its names (lowercased)."""
    found: dict[str, int] = {}
    for tier in levels:
        found[str(tier.id)] = tier.id
        for text in (*tier.name.values(), localized(tier.name, "en")):
            found.setdefault(text.strip().lower(), tier.id)
    return found


def _storable(text: str) -> bool:
    return "\x00" not in text and text.isprintable()


def _points(raw: str) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if value <= MAX_POINTS else None


def parse_row(
    line: int, cells: list[str], columns: dict[str, int], tiers: dict[str, int], now: datetime
) -> CustomerRow | BadRow:
    if len(cells) != len(columns):
        return BadRow(line, "columns")
    cell = {name: cells[index].strip() for name, index in columns.items()}
    merchant_id = cell["merchant_id"]
    if not merchant_id or len(merchant_id) > MAX_MERCHANT_ID or not _storable(merchant_id):
        return BadRow(line, "merchant_id")
    try:
        email = checked_email(cell["email"])
    except Invalid:
        return BadRow(line, "email")
    points = _points(cell["points"])
    if points is None:
        return BadRow(line, "points")
    enrolled_at = None
    if cell.get("enrolled_at"):
        enrolled_at = parse_moment(cell["enrolled_at"])
        if enrolled_at is None or not EARLIEST_ENROLMENT <= enrolled_at <= now:
            return BadRow(line, "enrolled_at")
    tier_id = None
    if cell.get("tier"):
        tier_id = tiers.get(cell["tier"].lower())
        if tier_id is None:
            return BadRow(line, "tier")
        if enrolled_at is None:
            return BadRow(line, "tier_of_guest")
    return CustomerRow(line, merchant_id, email, points, enrolled_at, tier_id)


def read_rows(
    handle: TextIO, name: str, tiers: dict[str, int], now: datetime
) -> Iterator[CustomerRow | BadRow]:
    """The file's rows in order, each checked; a merchant_id seen before is a BadRow."""
    reader = csv.reader(_bounded(handle, name))
    header = next(reader, None)
    if header is None:
        raise FileRefused(f"{name} is empty")
    columns = _columns(header, name)
    seen: set[str] = set()
    while True:
        start = reader.line_num + 1  # a quoted cell may span lines: where the row starts
        cells = next(reader, None)
        if cells is None:
            return
        if not cells:
            continue  # a blank line
        row = parse_row(start, cells, columns, tiers, now)
        if isinstance(row, CustomerRow):
            if row.merchant_id in seen:
                row = BadRow(row.line, "repeated")
            else:
                seen.add(row.merchant_id)
        yield row
