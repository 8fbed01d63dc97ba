"""Reading request bodies within a size limit, with content-type checks every dialect shares."""

from __future__ import annotations

from starlette.requests import Request

from tessera.kit.errors import PayloadTooLarge, UnsupportedMediaType


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refusing anything over ``max_bytes`` before reading it all when possible."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(max_bytes)
    return bytes(body)


async def read_json_body(request: Request, max_bytes: int) -> bytes:
    """A JSON body's bytes. A non-JSON content type is refused unless the body is empty."""
    body = await read_body(request, max_bytes)
    kind = media_type(request)
    if body and kind != "application/json" and not kind.endswith("+json"):
        shown = kind or "none"
        raise UnsupportedMediaType(
            f"Unsupported content type {shown!r}: send the body as application/json"
        )
    return body
