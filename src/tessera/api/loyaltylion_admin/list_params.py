"""Request parts the customers and transactions endpoints read alike: the customer named in
the path, and the list filters' parsers."""

from __future__ import annotations

from starlette.requests import Request

from tessera.kit.errors import Invalid, NotFound
from tessera.store.tables import MAX_ID

MAX_MERCHANT_ID_LENGTH = 255


def path_merchant_id(request: Request) -> str:
    """The path's ``merchant_id``. One no customer could have (too long, NUL) is not found,
    without a lookup: PostgreSQL cannot even compare text holding NUL."""
    merchant_id = str(request.path_params["merchant_id"])
    if len(merchant_id) > MAX_MERCHANT_ID_LENGTH or "\x00" in merchant_id:
        raise NotFound("customer", "Customer not found")
    return merchant_id


def text_filter(name: str, raw: str) -> str:
    if "\x00" in raw:
        raise Invalid("The request is invalid", {name: "must not contain NUL characters"})
    return raw


def id_filter(name: str, raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        problem = f"must be a whole number from 1 to {MAX_ID}"
        raise Invalid("The request is invalid", {name: problem})
    return int(raw)


def format_filter(name: str, raw: str) -> str:
    if raw not in ("json", "csv"):
        raise Invalid("The request is invalid", {name: "must be one of: json, csv"})
    return raw
