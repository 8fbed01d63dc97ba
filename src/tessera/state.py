"""What lives as long as the process: settings, engine, caches, the rate limiter."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import ApiKey
from tessera.auth.principal import Principal
from tessera.auth.revocations import RevocationWatch
from tessera.auth.stripe_keys import StripeKey
from tessera.config import Settings
from tessera.kit.cache import TtlCache
from tessera.programs.sites import Site
from tessera.ratelimit import RateLimiter
from tessera.store.engine import create_engine
from tessera.store.group_commit import GroupCommit

# Credentials presented and not found, remembered apart from the valid ones and in fewer
# entries: a flood of invalid keys evicts only other invalid keys.
UNKNOWN_CREDENTIALS_MAX = 1_000


@dataclass
class Tessera:
    settings: Settings
    engine: AsyncEngine
    limiter: RateLimiter
    # Found credentials by the hash of their secret (see tessera.auth.authenticate).
    keys: TtlCache[str, ApiKey] = field(init=False)
    stripe_keys: TtlCache[str, StripeKey] = field(init=False)
    site_logins: TtlCache[str, Principal] = field(init=False)
    unknown_credentials: TtlCache[tuple[str, str], bool] = field(init=False)
    sites: TtlCache[tuple[int, int], Site] = field(init=False)
    # Empties the credential and site caches when a revocation or site change commits.
    revocations: RevocationWatch = field(init=False)
    # Hot-path inserts (WebView sessions), committed together with concurrent requests' rows.
    writes: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        ttl = self.settings.auth_cache_ttl
        self.keys = TtlCache(ttl)
        self.stripe_keys = TtlCache(ttl)
        self.site_logins = TtlCache(ttl)
        self.unknown_credentials = TtlCache(ttl, UNKNOWN_CREDENTIALS_MAX)
        self.sites = TtlCache(ttl)
        # Sites too: a changed, deleted or re-secreted site raises the same counter.
        self.revocations = RevocationWatch(
            self.engine,
            [self.keys, self.stripe_keys, self.site_logins, self.unknown_credentials, self.sites],
        )
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
