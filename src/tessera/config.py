"""Settings: one typed object, read from ``TESSERA_*`` environment variables.

Every variable is documented in docs/configuration.md; keep the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/tessera.db"


def normalize_database_url(url: str) -> str:
    """Accept the URLs people write (``postgresql://``, ``sqlite:///``); pick async drivers."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


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


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = normalize_database_url(DEFAULT_DATABASE_URL)
    public_url: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    webview_session_ttl: int = 300
    webview_visit_ttl: int = 3600
    rate_limit_webview_sessions: str = "100/second"
    rate_limit_default: str = "20/second"
    max_body_bytes: int = 64 * 1024
    # How long a cached API key or site stays trusted before it is read again. Revocation is
    # immediate in the worker that revokes; other workers see it within this many seconds.
    auth_cache_ttl: float = 5.0
    log_level: str = "info"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=normalize_database_url(
                env.get("TESSERA_DATABASE_URL") or DEFAULT_DATABASE_URL
            ),
            public_url=(env.get("TESSERA_PUBLIC_URL") or defaults.public_url).rstrip("/"),
            redis_url=env.get("TESSERA_REDIS_URL") or None,
            webview_session_ttl=_seconds(
                env, "TESSERA_WEBVIEW_SESSION_TTL", defaults.webview_session_ttl
            ),
            webview_visit_ttl=_seconds(
                env, "TESSERA_WEBVIEW_VISIT_TTL", defaults.webview_visit_ttl
            ),
            rate_limit_webview_sessions=env.get("TESSERA_RATE_LIMIT_WEBVIEW_SESSIONS")
            or defaults.rate_limit_webview_sessions,
            rate_limit_default=env.get("TESSERA_RATE_LIMIT_DEFAULT") or defaults.rate_limit_default,
            log_level=(env.get("TESSERA_LOG_LEVEL") or defaults.log_level).lower(),
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
