"""Time, in one place, so that every timestamp is aware UTC and tests can reason about it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime, *, millis: bool = False) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, as the LoyaltyLion contract's examples show."""
    moment = moment.astimezone(UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def as_utc(moment: datetime) -> datetime:
    """Databases may hand back naive datetimes (SQLite); they are always stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
