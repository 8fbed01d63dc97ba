"""Reading path parameters the same way in every dialect."""

from __future__ import annotations

import re

from starlette.requests import Request

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
