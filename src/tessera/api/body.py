"""Reading request bodies within a size limit, with content-type checks every dialect shares.

:func:`read_bounded` runs first for every request of every dialect (see ``dialect_app``): it
reads the body while it streams, refuses it as soon as it passes the limit (or at once when
Content-Length already says it will), and hands the routes a body that is already in memory.
"""

from __future__ import annotations

import re

from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Scope

from tessera.kit.errors import Invalid, PayloadTooLarge, UnsupportedMediaType

# Deeper JSON than any request of the contracts needs; deeper still would make recursive code
# (the contract validator) fail.
MAX_JSON_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class BodyTooLarge(PayloadTooLarge):
    """A body refused while it was still arriving: the rest of it is never read."""


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_bounded(scope: Scope, receive: Receive, max_bytes: int) -> Receive:
    """Read the request's body, at most ``max_bytes`` of it, and return a ``receive`` that
    hands it on. A client that hangs up meanwhile raises ClientDisconnect."""
    if scope["type"] != "http":
        return receive
    for name, value in scope.get("headers", ()):
        if (
            name == b"content-length"
            and value.isdigit()
            and (len(value) > 18 or int(value) > max_bytes)
        ):
            raise BodyTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body: Message | None = {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    async def replay() -> Message:
        nonlocal body
        if body is None:
            return await receive()
        message, body = body, None
        return message

    return replay


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refused when it is over ``max_bytes``. DialectApp has read it already,
    within the sub-application's limit, while it streamed (:func:`read_bounded`)."""
    body = await request.body()
    if len(body) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    return body


def check_json_depth(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than ``max_depth`` arrays and objects, before decoding it."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if bracket[0] in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise Invalid(
                    "The request body is invalid",
                    {"body": f"must not nest arrays and objects deeper than {max_depth} levels"},
                )
        else:
            depth -= 1


async def read_json_body(request: Request, max_bytes: int) -> bytes:
    """A JSON body's bytes. A non-JSON content type is refused unless the body is empty."""
    body = await read_body(request, max_bytes)
    kind = media_type(request)
    if body and kind != "application/json" and not kind.endswith("+json"):
        shown = kind or "none"
        raise UnsupportedMediaType(
            f"Unsupported content type {shown!r}: send the body as application/json"
        )
    check_json_depth(body)
    return body
