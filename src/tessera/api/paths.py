"""Reading path parameters the same way in every dialect."""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.types import Scope

from tessera.kit.errors import Invalid, NotFound

# A number as JSON writes it (the contracts type path ids as numbers): ASCII digits only, since
# int() alone also reads "1_000", " 12" and "²"-like digits differently.
_NUMBER = re.compile(r"-?(?P<whole>[0-9]+)(?:\.(?P<fraction>[0-9]+))?", re.ASCII)
# More digits than any id has; int() of far more (4,301) would raise.
MAX_ID_DIGITS = 18
# A longer path number is refused without being read as one (the lookup's 404 names the
# number it looked for, up to this length).
_MAX_NUMBER_DIGITS = 40


def path_number(request: Request, name: str) -> int:
    """A whole-number path parameter, also written with a zero fraction (``1.0`` is 1). A number
    that no record could have is for the lookup to refuse (``Tessera.site_for`` answers 404),
    as is one too long to read or fractional; anything that is not a number is a 400 naming
    the parameter."""
    return read_number(name, str(request.path_params[name]))


def read_number(name: str, raw: str) -> int:
    """``path_number``'s reading of any parameter's text (a query's ``?site_id=`` too)."""
    found = _NUMBER.fullmatch(raw)
    if found is None:
        raise Invalid(f"Invalid {name}", {name: "must be a number"})
    whole = found["whole"].lstrip("0") or "0"
    if len(whole) > _MAX_NUMBER_DIGITS or (found["fraction"] or "0").strip("0"):
        resource = name.removesuffix("_id")
        raise NotFound(resource, f"{resource.capitalize()} not found")
    number = int(whole)
    return -number if raw.startswith("-") else number


class IdConvertor(Convertor[int]):
    """``{name:id}``: a whole number of at most MAX_ID_DIGITS digits. A longer one matches no
    route (a 404 of the dialect's), where Starlette's ``int`` would raise on 4,301 digits."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


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
