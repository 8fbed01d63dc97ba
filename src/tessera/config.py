"""Settings: one typed object, read from ``TESSERA_*`` environment variables.

Every variable is documented in docs/configuration.md; keep the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from limits import parse as parse_limit

DEFAULT_DATABASE_URL = "sqlite:///var/tessera.db"


def normalize_database_url(url: str) -> str:
    """Accept the URLs people write (``postgresql://``, ``sqlite:///``); pick async drivers."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


LOG_LEVELS = ("debug", "info", "warning", "error")


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        parse_limit(value)
    except ValueError:
        raise ValueError(f"{name} must be a rate limit like 100/second, got {value!r}") from None
    return value


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def _duration(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < value < 10**9:
        raise ValueError(f"{name} must be positive, got {raw}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").lower()
    if raw == "":
        return default
    if raw not in ("true", "false"):
        raise ValueError(f"{name} must be true or false, got {env.get(name)!r}")
    return raw == "true"


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdecimal() or int(raw) <= 0:
        raise ValueError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


def _public_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"TESSERA_PUBLIC_URL must start with http:// or https://, got {value!r}")
    return value.rstrip("/")


REDIS_OUTAGE_CHOICES = ("per_worker", "refuse")


def _redis_outage(value: str) -> str:
    if value not in REDIS_OUTAGE_CHOICES:
        raise ValueError(
            f"TESSERA_REDIS_OUTAGE must be one of {', '.join(REDIS_OUTAGE_CHOICES)}, not {value!r}"
        )
    return value


def _log_level(value: str) -> str:
    level = value.lower()
    if level not in LOG_LEVELS:
        raise ValueError(f"TESSERA_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


MIN_SECRET_KEY_LENGTH = 32


def _secret_key(value: str | None) -> str | None:
    if value is not None and len(value) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(f"TESSERA_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = normalize_database_url(DEFAULT_DATABASE_URL)
    public_url: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    # What rate limits do while Redis is unreachable: count per worker, or refuse (503).
    redis_outage: str = "per_worker"
    webview_session_ttl: int = 300
    webview_visit_ttl: int = 3600
    rate_limit_webview_sessions: str = "100/second"
    rate_limit_default: str = "20/second"
    # Failed authentications per client address (unknown keys, wrong site secrets).
    rate_limit_auth_failures: str = "20/second"
    max_body_bytes: int = 64 * 1024
    # How long a cached API key or site stays trusted before it is read again. A revocation
    # reaches every worker within 0.1 s regardless (tessera.auth.revocations).
    auth_cache_ttl: float = 5.0
    log_level: str = "info"
    # Operations (docs/operations.md): who may read /metrics, connection limits of `tessera serve`,
    # how often expired rows are purged.
    metrics_token: str | None = field(default=None, repr=False)
    header_timeout: int = 10
    body_timeout: int = 30
    keepalive_timeout: int = 5
    max_connections: int = 1000
    purge_interval: int = 60
    # How often each worker approves and expires points (the program file's ``points``).
    points_interval: int = 60
    # Webhook delivery (docs/webhooks.md): how often each worker looks for events to post, the
    # first retry's delay (doubling after), how long an event is retried, how long an endpoint
    # may fail every attempt before it is disabled, and whether private addresses may receive.
    webhooks_interval: float = 1.0
    webhooks_retry_base: float = 30.0
    webhooks_retry_for: float = 3 * 86400.0
    webhooks_disable_after: float = 3 * 86400.0
    webhooks_allow_private: bool = False
    # Seals stored idempotent answers; unset, a key file is created (docs/configuration.md).
    secret_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=normalize_database_url(
                env.get("TESSERA_DATABASE_URL") or DEFAULT_DATABASE_URL
            ),
            public_url=_public_url(env.get("TESSERA_PUBLIC_URL") or defaults.public_url),
            redis_url=env.get("TESSERA_REDIS_URL") or None,
            redis_outage=_redis_outage(env.get("TESSERA_REDIS_OUTAGE") or defaults.redis_outage),
            webview_session_ttl=_seconds(
                env, "TESSERA_WEBVIEW_SESSION_TTL", defaults.webview_session_ttl
            ),
            webview_visit_ttl=_seconds(
                env, "TESSERA_WEBVIEW_VISIT_TTL", defaults.webview_visit_ttl
            ),
            rate_limit_webview_sessions=_rate_limit(
                env, "TESSERA_RATE_LIMIT_WEBVIEW_SESSIONS", defaults.rate_limit_webview_sessions
            ),
            rate_limit_default=_rate_limit(
                env, "TESSERA_RATE_LIMIT_DEFAULT", defaults.rate_limit_default
            ),
            rate_limit_auth_failures=_rate_limit(
                env, "TESSERA_RATE_LIMIT_AUTH_FAILURES", defaults.rate_limit_auth_failures
            ),
            log_level=_log_level(env.get("TESSERA_LOG_LEVEL") or defaults.log_level),
            metrics_token=env.get("TESSERA_METRICS_TOKEN") or None,
            header_timeout=_seconds(env, "TESSERA_HEADER_TIMEOUT", defaults.header_timeout),
            body_timeout=_seconds(env, "TESSERA_BODY_TIMEOUT", defaults.body_timeout),
            keepalive_timeout=_seconds(
                env, "TESSERA_KEEPALIVE_TIMEOUT", defaults.keepalive_timeout
            ),
            max_connections=_count(env, "TESSERA_MAX_CONNECTIONS", defaults.max_connections),
            purge_interval=_seconds(env, "TESSERA_PURGE_INTERVAL", defaults.purge_interval),
            points_interval=_seconds(env, "TESSERA_POINTS_INTERVAL", defaults.points_interval),
            webhooks_interval=_duration(
                env, "TESSERA_WEBHOOKS_INTERVAL", defaults.webhooks_interval
            ),
            webhooks_retry_base=_duration(
                env, "TESSERA_WEBHOOKS_RETRY_BASE", defaults.webhooks_retry_base
            ),
            webhooks_retry_for=_duration(
                env, "TESSERA_WEBHOOKS_RETRY_FOR", defaults.webhooks_retry_for
            ),
            webhooks_disable_after=_duration(
                env, "TESSERA_WEBHOOKS_DISABLE_AFTER", defaults.webhooks_disable_after
            ),
            webhooks_allow_private=_flag(
                env, "TESSERA_WEBHOOKS_ALLOW_PRIVATE", defaults.webhooks_allow_private
            ),
            secret_key=_secret_key(env.get("TESSERA_SECRET_KEY") or None),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file for a file-backed SQLite URL (its folder must exist before use)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None
