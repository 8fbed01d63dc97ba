"""The Admin API's list parameters and cursors, as LoyaltyLion documents them.

- ``limit`` 1 to 500 (default 100); results newest first.
- ``since_id``: only ids after it, oldest first (the older way to page: keep the last id).
- ``cursor``: the ``next`` or ``prev`` of an earlier answer. A cursor carries the filters of the
  request that started the listing, so with one only ``limit`` is read; every other parameter is
  ignored, as the reference says.
- The cursors are in the body's ``cursor`` object and in the ``Link`` header (a CSV answer has
  only the header).

A cursor is base64url JSON (``{"lastId": 1468, "direction": "next", ...}``, the shape of the
reference's example). It is not a secret: the filters in it only ever narrow the caller's own
program's rows.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from tessera.kit.clock import parse_moment
from tessera.kit.errors import Invalid
from tessera.store.pages import Page, Window

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 2048
MAX_FILTER_LENGTH = 320
_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)


class CursorOut(msgspec.Struct):
    prev: str | None
    next: str | None


class _Cursor(msgspec.Struct, omit_defaults=True):
    lastId: int  # the reference's own key
    direction: Literal["next", "prev"]
    order: Literal["desc", "asc"] = "desc"
    filters: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Listing:
    """What a list request asks for: a window and its filters (raw strings, as the request or
    the cursor carried them, already checked by the endpoint's parsers)."""

    window: Window
    filters: dict[str, str]


def _whole(name: str, raw: str, low: int, high: int | None = None) -> int:
    if _DIGITS.fullmatch(raw) is None or int(raw) < low or (high is not None and int(raw) > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise Invalid("The request is invalid", {name: f"must be a whole number {bound}"})
    return int(raw)


def iso_datetime(name: str, raw: str) -> datetime:
    """An ISO 8601 timestamp filter (a date alone is its midnight UTC; no zone means UTC)."""
    moment = parse_moment(raw)
    if moment is None:
        raise Invalid("The request is invalid", {name: "must be an ISO 8601 date or timestamp"})
    return moment


def _decode_cursor(raw: str) -> _Cursor:
    invalid = Invalid("The request is invalid", {"cursor": "is not a cursor this API returned"})
    if len(raw) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        cursor = msgspec.json.decode(data, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise invalid from None
    if cursor.lastId < 0 or len(cursor.filters) > 20:
        raise invalid
    return cursor


def _encode_cursor(cursor: _Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).rstrip(b"=").decode()


def list_request(request: Request, filters: Mapping[str, Callable[[str, str], object]]) -> Listing:
    """Read ``limit``, ``since_id`` or ``cursor``, and the endpoint's ``filters`` (each parser
    takes the parameter's name and raw value, and raises Invalid on a bad one)."""
    query = request.query_params
    raw_limit = query.get("limit")
    limit = DEFAULT_LIMIT if raw_limit is None else _whole("limit", raw_limit, 1, MAX_LIMIT)
    raw_cursor = query.get("cursor")
    if raw_cursor:
        cursor = _decode_cursor(raw_cursor)
        for name, value in cursor.filters.items():
            if name not in filters or len(value) > MAX_FILTER_LENGTH:
                raise Invalid(
                    "The request is invalid", {"cursor": "is not a cursor this API returned"}
                )
            filters[name](name, value)
        boundary = {"after_id" if cursor.direction == "next" else "before_id": cursor.lastId}
        window = Window(limit=limit, descending=cursor.order == "desc", **boundary)
        return Listing(window=window, filters=dict(cursor.filters))
    chosen: dict[str, str] = {}
    for name, parse in filters.items():
        given = query.get(name)
        if not given:
            continue
        if len(given) > MAX_FILTER_LENGTH:
            raise Invalid(
                "The request is invalid", {name: f"must be at most {MAX_FILTER_LENGTH} characters"}
            )
        parse(name, given)
        chosen[name] = given
    raw_since = query.get("since_id")
    if raw_since:
        since = _whole("since_id", raw_since, 0)
        return Listing(window=Window(limit=limit, descending=False, after_id=since), filters=chosen)
    return Listing(window=Window(limit=limit), filters=chosen)


@dataclass(frozen=True, slots=True)
class Cursors:
    body: CursorOut
    link: str | None  # the Link header's value, or None when there is nowhere to go


def cursors(
    request: Request, public_url: str, listing: Listing, page: Page, ids: list[int]
) -> Cursors:
    """The ``prev`` and ``next`` cursors of ``page`` (whose rows have ``ids``), and the Link
    header naming them."""
    order: Literal["desc", "asc"] = "desc" if listing.window.descending else "asc"

    def cursor(direction: Literal["next", "prev"], last_id: int) -> str:
        return _encode_cursor(
            _Cursor(lastId=last_id, direction=direction, order=order, filters=listing.filters)
        )

    window = listing.window
    next_cursor = prev_cursor = None
    if page.has_next:
        last = ids[-1] if ids else window.before_id
        next_cursor = None if last is None else cursor("next", last)
    if page.has_prev:
        first = ids[0] if ids else window.after_id
        prev_cursor = None if first is None else cursor("prev", first)
    links = []
    base = public_url.rstrip("/") + request.url.path
    for rel, value in (("next", next_cursor), ("prev", prev_cursor)):
        if value is not None:
            query = urlencode({"cursor": value, "limit": window.limit})
            links.append(f'<{base}?{query}>; rel="{rel}"')
    return Cursors(
        body=CursorOut(prev=prev_cursor, next=next_cursor), link=", ".join(links) or None
    )


def linked(response: Response, found: Cursors) -> Response:
    """``response`` with the listing's ``Link`` header, when there is a page to link to."""
    if found.link is not None:
        response.headers["Link"] = found.link
    return response


def no_filter(name: str, raw: str) -> Any:
    return raw
