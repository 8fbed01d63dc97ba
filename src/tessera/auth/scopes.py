"""The scopes an API key can carry: the six the Admin API documents."""

from __future__ import annotations

SCOPES: tuple[str, ...] = (
    "read_customers",
    "write_customers",
    "read_orders",
    "write_orders",
    "read_unsubscribes",
    "write_unsubscribes",
)


def parse_scopes(raw: str | list[str]) -> list[str]:
    """``"a,b"`` or ``["a", "b"]`` to a de-duplicated list; ValueError names any unknown scope."""
    items = raw.split(",") if isinstance(raw, str) else raw
    scopes = list(dict.fromkeys(s.strip() for s in items if s.strip()))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(
            f"unknown scope {', '.join(unknown)}; known scopes are {', '.join(SCOPES)}"
        )
    return scopes
