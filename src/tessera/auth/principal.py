"""The authenticated caller, whichever scheme it used."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Literal

from tessera.auth.scopes import SCOPES
from tessera.kit.errors import Forbidden, Unauthenticated

PrincipalKind = Literal["api_key", "site_token_secret"]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    program_id: int
    account_id: int
    scopes: frozenset[str]
    # Identifies the caller to the rate limiter ("key:12", "site:3").
    limiter_id: str
    rate_limit: str | None = None
    # Site token & secret authenticate one site; API keys cover every site of the program.
    site_id: int | None = None

    @property
    def deprecated(self) -> bool:
        return self.kind == "site_token_secret"

    def require_scope(self, scope: str) -> None:
        """A ``write_`` scope includes its ``read_`` one ("read and write access", the reference
        says of each)."""
        if scope not in self.scopes and scope.replace("read_", "write_", 1) not in self.scopes:
            raise Forbidden(
                f"This API key does not have the {scope} scope, which this endpoint requires",
                missing_scope=scope,
            )


# A site token & secret predates scopes and can do anything its site can.
SITE_SCOPES = frozenset(SCOPES)


@dataclass(frozen=True, slots=True)
class Credentials:
    scheme: Literal["bearer", "basic"]
    value: str
    password: str = ""


def parse_authorization(header: str | None) -> Credentials:
    """``Bearer <key>`` or ``Basic base64(user:password)``; anything else is Unauthenticated."""
    if not header:
        raise Unauthenticated(
            "Missing credentials: send your API key as 'Authorization: Bearer <API key>'"
        )
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credentials("bearer", value)
    if scheme.lower() == "basic" and value:
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, sep, password = "", "", ""
        if sep and user:
            return Credentials("basic", user, password)
        raise Unauthenticated("Malformed Basic credentials: expected base64 of 'token:secret'")
    raise Unauthenticated(
        "Unsupported Authorization header: send your API key as 'Authorization: Bearer <API key>'"
    )
