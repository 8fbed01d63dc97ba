"""Who is calling: an API key, a Stripe key or a site token & secret, and the sites it may see.

Credentials are read from the worker's caches (on ``Tessera``) when they were seen within
``auth_cache_ttl`` and no revocation happened since (see ``tessera.auth.revocations``), so a
known caller costs no query. Only found credentials are cached; a presented key that does not
exist goes to a small cache of its own, so a flood of invalid keys cannot push the valid ones
out.

Failed authentications are limited per client address (``rate_limit_auth_failures``, shared
through Redis when it is configured). The budget is checked *before* an unknown credential is
looked up, so once an address is over it, its guesses cost no query: they are answered 429
with Retry-After, while keys it already used successfully (cached) keep working.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.auth.keys import ApiKey, find_active_key
from tessera.auth.principal import SITE_SCOPES, Credentials, Principal
from tessera.auth.stripe_keys import StripeKey, find_stripe_key
from tessera.kit.cache import TtlCache
from tessera.kit.errors import NotFound, RateLimited, Unauthenticated
from tessera.kit.secrets import hash_secret, secret_matches
from tessera.programs.sites import Site, find_site_by_token, get_site
from tessera.ratelimit import RateLimitState
from tessera.store.tables import MAX_ID

if TYPE_CHECKING:
    from tessera.state import Tessera

T = TypeVar("T")

FAILURES_BUCKET = "auth_failures"


def client_address(scope: Mapping[str, Any]) -> str:
    """The ASGI scope's client host (behind a trusted proxy, uvicorn has already put the
    forwarded address there); "unknown" when the server does not say."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _refuse(state: RateLimitState, headers: dict[str, str]) -> NoReturn:
    headers.update(state.headers())
    # "at most 20 failed authentications per 1 second"
    limit = state.description.replace(" per ", " failed authentications per ", 1)
    raise RateLimited(limit, state.reset_after)


async def _refuse_if_over_budget(tessera: Tessera, address: str, headers: dict[str, str]) -> None:
    state = await tessera.limiter.peek(
        tessera.settings.rate_limit_auth_failures, FAILURES_BUCKET, address
    )
    if not state.allowed:
        _refuse(state, headers)


async def _count_failure(tessera: Tessera, address: str, headers: dict[str, str]) -> None:
    state = await tessera.limiter.hit(
        tessera.settings.rate_limit_auth_failures, FAILURES_BUCKET, address
    )
    if not state.allowed:
        _refuse(state, headers)


async def _credential(
    tessera: Tessera,
    cache: TtlCache[str, T],
    kind: str,
    secret: str,
    find: Callable[[AsyncConnection], Awaitable[T | None]],
    address: str,
    headers: dict[str, str],
) -> T | None:
    """The cached or stored credential for ``secret``; None (a failure counted) when unknown."""
    await tessera.revocations.check()
    digest = hash_secret(secret)
    found = cache.get(digest)
    if found is not None:
        return found
    if (kind, digest) not in tessera.unknown_credentials:
        await _refuse_if_over_budget(tessera, address, headers)
        generation = tessera.revocations.generation
        async with tessera.engine.connect() as conn:
            found = await find(conn)
        if generation == tessera.revocations.generation:
            if found is not None:
                cache.put(digest, found)
            else:
                tessera.unknown_credentials.put((kind, digest), True)
        if found is not None:
            return found
    await _count_failure(tessera, address, headers)
    return None


async def api_key(
    tessera: Tessera, secret: str, address: str, headers: dict[str, str]
) -> ApiKey | None:
    def find(conn: AsyncConnection) -> Awaitable[ApiKey | None]:
        return find_active_key(conn, secret)

    return await _credential(tessera, tessera.keys, "api_key", secret, find, address, headers)


async def stripe_key(
    tessera: Tessera, secret: str, address: str, headers: dict[str, str]
) -> StripeKey | None:
    def find(conn: AsyncConnection) -> Awaitable[StripeKey | None]:
        return find_stripe_key(conn, secret)

    return await _credential(tessera, tessera.stripe_keys, "stripe", secret, find, address, headers)


async def _site_login(
    tessera: Tessera, credentials: Credentials, address: str, headers: dict[str, str]
) -> Principal | None:
    async def find(conn: AsyncConnection) -> Principal | None:
        found = await find_site_by_token(conn, credentials.value)
        if found is None or not secret_matches(credentials.password, found[1]):
            return None
        site = found[0]
        return Principal(
            kind="site_token_secret",
            program_id=site.program_id,
            account_id=site.account_id,
            scopes=SITE_SCOPES,
            limiter_id=f"site:{site.id}",
            site_id=site.id,
        )

    # The token and the secret together are the credential (a wrong secret is its own miss).
    login = f"{credentials.value}:{credentials.password}"
    return await _credential(tessera, tessera.site_logins, "site", login, find, address, headers)


async def authenticate(
    tessera: Tessera,
    credentials: Credentials,
    address: str,
    headers: dict[str, str],
    *,
    allow_site_secret: bool,
) -> Principal:
    """The caller behind ``credentials``, presented from ``address``; Unauthenticated, or
    RateLimited (its headers added to ``headers``) once the address failed too often."""
    if credentials.scheme == "bearer":
        key = await api_key(tessera, credentials.value, address, headers)
        if key is None:
            raise Unauthenticated("Invalid API key: it does not exist or has been revoked")
        return Principal(
            kind="api_key",
            program_id=key.program_id,
            account_id=key.account_id,
            scopes=key.scopes,
            limiter_id=f"key:{key.id}",
            rate_limit=key.rate_limit,
        )
    if not allow_site_secret:
        raise Unauthenticated(
            "This endpoint does not accept site token & secret authentication; "
            "use an API key as 'Authorization: Bearer <API key>'"
        )
    principal = await _site_login(tessera, credentials, address, headers)
    if principal is None:
        raise Unauthenticated("Invalid site token or secret")
    return principal


async def site_for(tessera: Tessera, principal: Principal, site_id: int) -> Site:
    """The site if the caller may see it; NotFound otherwise, whether or not it exists."""
    # Ids are 32-bit on PostgreSQL: a larger one cannot exist (and must not reach the query).
    out_of_range = not 0 < site_id <= MAX_ID
    if out_of_range or (principal.site_id is not None and principal.site_id != site_id):
        raise NotFound("site", f"Site {site_id} not found")
    cached = tessera.sites.get((principal.program_id, site_id))
    if cached is not None:
        return cached
    async with tessera.engine.connect() as conn:
        try:
            site = await get_site(conn, principal.program_id, site_id)
        except NotFound:
            raise NotFound("site", f"Site {site_id} not found") from None
    tessera.sites.put((principal.program_id, site_id), site)
    return site
