"""Time, in one place, so that every timestamp is aware UTC and tests can reason about it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime, *, millis: bool = False) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, as the LoyaltyLion contract's examples show."""
    # isoformat is C and several times cheaper than strftime; history lists format dozens.
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds" if millis else "seconds") + "Z"


def parse_moment(raw: str) -> datetime | None:
    """An ISO 8601 date or timestamp in UTC (a date alone is its midnight, no zone means UTC),
    or None when ``raw`` is neither or names no moment UTC can hold."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        # OverflowError: an offset that moves the moment outside the years a datetime holds.
        return None


def as_utc(moment: datetime) -> datetime:
    """Databases may hand back naive datetimes (SQLite); they are always stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
