"""Reading path parameters the same way in every dialect."""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.requests import Request
from starlette.types import Scope

from tessera.kit.errors import Invalid

# ASCII digits only: int() alone also reads "1_000", " 12" and "²"-like digits differently.
_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)


def path_number(request: Request, name: str) -> int:
    """A whole-number path parameter; a value no record could have is for the lookup to refuse
    (``Tessera.site_for`` answers 404), anything that is not a number is a 400 naming it."""
    raw = request.path_params[name]
    if _NUMBER.fullmatch(raw) is None:
        raise Invalid(f"Invalid {name}", {name: "must be a number"})
    return int(raw)


# A path segment may carry an encoded slash (``gid%3A%2F%2Fshopify%2FCustomer%2F1``): the
# server's decoding would split it into several segments, so routes would never match it.
_ENCODED_SLASH = re.compile(r"%2[fF]")
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")


def keep_encoded_slashes(scope: Scope) -> None:
    """Route on the path with each encoded slash still encoded (as ``%2F``), so an id that holds
    slashes stays one segment; :func:`path_text` decodes it."""
    raw: bytes | None = scope.get("raw_path")
    if not raw or b"%2" not in raw:
        return
    text = raw.decode("latin-1")
    if _ENCODED_SLASH.search(text) is None:
        return
    # Only when the path is the plain decoding of the raw path (nothing rewrote it before us).
    if unquote(text) != scope["path"]:
        return
    scope["path"] = unquote(_ENCODED_SLASH.sub("%252F", text))


def path_text(request: Request, name: str) -> str:
    """A text path parameter, percent-decoded once more if it still holds encoded characters:
    LoyaltyLion's TypeScript client encodes a merchant id twice
    (``gid%253A%252F%252Fshopify%252FCustomer%252F1``), others once (``gid%3A%2F%2F...``);
    both name ``gid://shopify/Customer/1``."""
    value = str(request.path_params[name])
    if "%" in value and _ENCODED.search(value) is not None:
        value = unquote(value)
    return value
