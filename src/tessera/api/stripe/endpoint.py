"""What every Stripe endpoint does around its own few lines: authenticate the key, apply the
account's rate limit, check the key's permission, decode and check the parameters, honour the
Idempotency-Key, and run the endpoint in one transaction. Errors are the ``/v1``
sub-application's to render (see ``tessera.api.dialect_app``), with the headers gathered in
``answer_headers``; only the answers stored for an Idempotency-Key are rendered here."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from tessera.api.body import media_type, read_body
from tessera.api.dialect_app import answer_headers
from tessera.api.request_id import request_id
from tessera.auth.authenticate import client_address, stripe_key
from tessera.auth.stripe_keys import StripeKey, mask_presented_key
from tessera.customers.stripe_events import EventRequest
from tessera.kit.errors import (
    DomainError,
    Forbidden,
    Unauthenticated,
    UnsupportedMediaType,
)
from tessera.state import Tessera

from . import idempotency
from .errors import MISSING_KEY, StripeApiError, render
from .params import (
    ParamError,
    check_path_ids,
    check_supported,
    decode_form,
    expansions,
    fingerprint,
    validate,
)

# Stripe's documented default limits, per account (here: per program) and mode.
LIVE_RATE_LIMIT = "100/second"
TEST_RATE_LIMIT = "25/second"
# Publishable keys are used by every browser and app of the merchant's customers: they count
# in a budget of their own, so the front end can never throttle the merchant's backend.
PUBLISHABLE_LIVE_RATE_LIMIT = "100/second"
PUBLISHABLE_TEST_RATE_LIMIT = "25/second"

PUBLISHABLE_KEY_REFUSED = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. "
    "You can find a list of your API keys in Tessera with `tessera keys list`."
)
FRONT_END_ONLY = (
    "This API call is made from the front end: use a publishable API key (pk_...), never a "
    "secret key, in the browser or app."
)


@dataclass(frozen=True, slots=True)
class Call:
    request: Request
    tessera: Tessera
    key: StripeKey
    params: dict[str, Any]
    conn: AsyncConnection
    # The ``expand[]`` fields asked for, each one the endpoint can expand.
    expand: frozenset[str]

    @property
    def program_id(self) -> int:
        return self.key.program_id

    @property
    def livemode(self) -> bool:
        return self.key.livemode

    def path_param(self, name: str) -> str:
        return str(self.request.path_params[name])

    @property
    def origin(self) -> EventRequest:
        """This request, as the events of the changes it makes name it."""
        return EventRequest(
            id=request_id(self.request.scope),
            idempotency_key=self.request.headers.get("idempotency-key"),
        )


Handler = Callable[[Call], Awaitable[Any]]


def presented_key(header: str | None) -> str:
    """The key from ``Bearer <key>`` or ``Basic base64(<key>:)``, as Stripe accepts both."""
    if not header:
        raise Unauthenticated(MISSING_KEY)
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            user = base64.b64decode(value, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            user = ""
        if user:
            return user
    raise Unauthenticated(
        "Invalid Authorization header: send your API key as 'Authorization: Bearer <key>' "
        "(or as the user name of Basic auth)."
    )


async def authenticate(
    tessera: Tessera, request: Request, headers: dict[str, str], *, publishable: bool
) -> StripeKey:
    secret = presented_key(request.headers.get("authorization"))
    key = await stripe_key(tessera, secret, client_address(request.scope), headers)
    if key is None:
        raise Unauthenticated(f"Invalid API Key provided: {mask_presented_key(secret)}")
    if publishable and key.kind != "publishable":
        raise Unauthenticated(FRONT_END_ONLY)
    if not publishable and key.kind == "publishable":
        raise Unauthenticated(PUBLISHABLE_KEY_REFUSED)
    return key


async def rate_limit(tessera: Tessera, key: StripeKey, headers: dict[str, str]) -> None:
    if key.rate_limit is not None:
        await tessera.limiter.enforce(key.rate_limit, "stripe", f"key:{key.id}", headers=headers)
    else:
        mode = "live" if key.livemode else "test"
        if key.kind == "publishable":
            limit = PUBLISHABLE_LIVE_RATE_LIMIT if key.livemode else PUBLISHABLE_TEST_RATE_LIMIT
            mode = f"{mode}:publishable"
        else:
            limit = LIVE_RATE_LIMIT if key.livemode else TEST_RATE_LIMIT
        caller = f"program:{key.program_id}"
        await tessera.limiter.enforce(limit, "stripe", mode, caller, headers=headers)


def require_permission(key: StripeKey, permission: str) -> None:
    if not key.allows(permission):
        resource, _, level = permission.partition(":")
        raise Forbidden(
            f"The provided key '{key.masked}' does not have the required permissions for this "
            f"endpoint. Having the '{resource}:{level}' permission would allow this request "
            "to continue."
        )


async def read_params(request: Request, tessera: Tessera) -> dict[str, Any]:
    if request.method == "POST":
        body = await read_body(request, tessera.settings.max_body_bytes)
        kind = media_type(request)
        if body and kind not in ("application/x-www-form-urlencoded", ""):
            raise UnsupportedMediaType(
                f"Unsupported content type {kind!r}: Stripe's API takes "
                "application/x-www-form-urlencoded bodies"
            )
        # Stripe reads the query string of a POST too; the body wins on conflicts.
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ParamError(
                "parameter_invalid_string", "Invalid request: the body is not valid UTF-8.", None
            ) from None
        return {**decode_form(request.url.query), **decode_form(text)}
    return decode_form(request.url.query)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    replayed: bool = False


Claim = Callable[[AsyncConnection], Awaitable[idempotency.Record | idempotency.Replay]]


class ErrorToStore(Exception):
    """The endpoint answered an error; its writes are rolled back with the unit of work, and the
    answer is then stored for its Idempotency-Key by a unit of its own (``store_error``)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer


async def answer(
    conn: AsyncConnection,
    run: Callable[[AsyncConnection], Awaitable[Any]],
    headers: dict[str, str],
    claim: Claim | None,
) -> Answer:
    """The endpoint's answer, in the request's unit of work ``conn``: the Idempotency-Key
    claimed (or its stored answer replayed), the endpoint run, and its answer stored with the
    key before the commit. An error answer raises ErrorToStore, undoing the endpoint's writes
    and the claim: errors are rare, and undoing them needs no savepoint of the endpoint's own."""
    if claim is None:
        return Answer(200, msgspec.json.encode(await run(conn)))
    started = await claim(conn)
    if isinstance(started, idempotency.Replay):
        return Answer(started.status, started.body, replayed=True)
    try:
        payload = await run(conn)
    except (DomainError, ParamError, StripeApiError) as exc:
        response = render(exc, headers)
        raise ErrorToStore(Answer(response.status_code, bytes(response.body))) from exc
    body = msgspec.json.encode(payload)
    await idempotency.complete(conn, started, 200, body)
    return Answer(200, body)


async def store_error(conn: AsyncConnection, claim: Claim, error: Answer) -> Answer:
    """Store an error answer for its key, unless a concurrent request with the key has stored
    an answer since: then that one is the key's answer."""
    started = await claim(conn)
    if isinstance(started, idempotency.Replay):
        return Answer(started.status, started.body, replayed=True)
    await idempotency.complete(conn, started, error.status, error.body)
    return error


def stripe_endpoint(
    schema: dict[str, Any] | Callable[[], dict[str, Any]],
    *,
    permission: str | None = None,
    publishable: bool = False,
    expandable: Mapping[str, str] | None = None,
    supported: set[str] | None = None,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """``permission`` is what a restricted key needs (``customers:write``); secret keys have
    every permission, publishable keys only reach ``publishable`` endpoints. ``expandable``
    maps what ``expand[]`` may name to the permission a restricted key needs to see it whole
    (``{"customer": "customers:read"}``): an expansion is a read of what it expands.
    ``supported``, where Tessera implements only part of the contract's parameters, which
    ones."""
    expandable = expandable or {}

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            tessera: Tessera = request.state.tessera
            headers = answer_headers(request)
            key = await authenticate(tessera, request, headers, publishable=publishable)
            await rate_limit(tessera, key, headers)
            if permission is not None:
                require_permission(key, permission)
            check_path_ids(request.path_params)
            raw = await read_params(request, tessera)
            params = validate(schema() if callable(schema) else schema, raw)
            if supported is not None:
                check_supported(params, supported)
            expand = expansions(params, expandable)
            for field in sorted(expand):
                require_permission(key, expandable[field])

            def run(conn: AsyncConnection) -> Awaitable[Any]:
                return handler(Call(request, tessera, key, params, conn, expand))

            if request.method == "GET":
                async with tessera.engine.connect() as conn:
                    body = msgspec.json.encode(await run(conn))
                return Response(body, 200, headers=headers, media_type="application/json")
            claim = None
            idempotency_key = request.headers.get("idempotency-key")
            if request.method == "POST" and idempotency_key is not None:
                # Echoed only once accepted: a refused key is not sent back.
                if idempotency.acceptable(idempotency_key):
                    headers["Idempotency-Key"] = idempotency_key
                claim = partial(
                    idempotency.begin,
                    program_id=key.program_id,
                    livemode=key.livemode,
                    key=idempotency_key,
                    fingerprint=fingerprint(request.method, request.url.path, raw),
                    server_key=idempotency.server_key(tessera.settings),
                )
            try:
                result = await tessera.writes.run(
                    partial(answer, run=run, headers=headers, claim=claim)
                )
            except ErrorToStore as error:
                assert claim is not None
                result = await tessera.writes.run(
                    partial(store_error, claim=claim, error=error.answer)
                )
            if result.replayed:
                headers["Idempotent-Replayed"] = "true"
            return Response(
                result.body, result.status, headers=headers, media_type="application/json"
            )

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap
