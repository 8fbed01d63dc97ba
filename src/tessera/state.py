"""What lives as long as the process: settings, engine, caches, the rate limiter."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import ApiKey, find_active_key
from tessera.auth.principal import SITE_SCOPES, Credentials, Principal
from tessera.auth.stripe_keys import StripeKey, find_stripe_key
from tessera.config import Settings
from tessera.kit.cache import TtlCache
from tessera.kit.errors import NotFound, Unauthenticated
from tessera.kit.secrets import hash_secret, secret_matches
from tessera.programs.sites import Site, find_site_by_token, get_site
from tessera.ratelimit import RateLimiter
from tessera.store.engine import create_engine
from tessera.store.group_commit import GroupCommit
from tessera.store.tables import MAX_ID


@dataclass
class Tessera:
    settings: Settings
    engine: AsyncEngine
    limiter: RateLimiter
    keys: TtlCache[str, ApiKey] = field(init=False)
    sites: TtlCache[tuple[int, int], Site] = field(init=False)
    stripe_keys: TtlCache[str, StripeKey] = field(init=False)
    # Hot-path inserts (WebView sessions), committed together with concurrent requests' rows.
    writes: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self.keys = TtlCache(self.settings.auth_cache_ttl)
        self.sites = TtlCache(self.settings.auth_cache_ttl)
        self.stripe_keys = TtlCache(self.settings.auth_cache_ttl)
        self.writes = GroupCommit(self.engine)

    @classmethod
    def start(cls, settings: Settings) -> Tessera:
        return cls(
            settings=settings,
            engine=create_engine(settings),
            limiter=RateLimiter(
                settings.redis_url, refuse_without_redis=settings.redis_outage == "refuse"
            ),
        )

    async def close(self) -> None:
        await self.writes.close()
        await self.limiter.close()
        await self.engine.dispose()

    async def api_key(self, secret: str) -> ApiKey | None:
        async def load() -> ApiKey | None:
            async with self.engine.connect() as conn:
                return await find_active_key(conn, secret)

        return await self.keys.get(hash_secret(secret), load)

    async def stripe_key(self, secret: str) -> StripeKey | None:
        async def load() -> StripeKey | None:
            async with self.engine.connect() as conn:
                return await find_stripe_key(conn, secret)

        return await self.stripe_keys.get(hash_secret(secret), load)

    async def authenticate(self, credentials: Credentials, *, allow_site_secret: bool) -> Principal:
        if credentials.scheme == "bearer":
            key = await self.api_key(credentials.value)
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
        async with self.engine.connect() as conn:
            found = await find_site_by_token(conn, credentials.value)
        if found is None or not secret_matches(credentials.password, found[1]):
            raise Unauthenticated("Invalid site token or secret")
        site = found[0]
        return Principal(
            kind="site_token_secret",
            program_id=site.program_id,
            account_id=site.account_id,
            scopes=SITE_SCOPES,
            limiter_id=f"site:{site.id}",
            site_id=site.id,
        )

    async def site_for(self, principal: Principal, site_id: int) -> Site:
        """The site if the caller may see it; NotFound otherwise, whether or not it exists."""
        # Ids are 32-bit on PostgreSQL: a larger one cannot exist (and must not reach the query).
        out_of_range = not 0 < site_id <= MAX_ID
        if out_of_range or (principal.site_id is not None and principal.site_id != site_id):
            raise NotFound("site", f"Site {site_id} not found")

        async def load() -> Site | None:
            async with self.engine.connect() as conn:
                try:
                    return await get_site(conn, principal.program_id, site_id)
                except NotFound:
                    return None

        site = await self.sites.get((principal.program_id, site_id), load)
        if site is None:
            raise NotFound("site", f"Site {site_id} not found")
        return site
