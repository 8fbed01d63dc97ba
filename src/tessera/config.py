"""Settings: one typed object, read from ``TESSERA_*`` environment variables.

Every variable is documented in docs/configuration.md; keep the two in step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse as parse_limit
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# Relative SQLite paths are relative to the data folder (see data_folder), whatever the
# current folder: every command, run from anywhere, finds the same database.
DEFAULT_DATABASE_URL = "sqlite:///tessera.db"
SQLITE_SCHEMES = ("sqlite://", "sqlite+aiosqlite://")
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


def normalize_database_url(url: str) -> str:
    """Accept the URLs people write (``postgresql://``, ``sqlite:///``); pick async drivers."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def data_folder(env: Mapping[str, str]) -> Path:
    """Tessera's folder in the user's data home: ``$XDG_DATA_HOME/tessera``, by default
    ``~/.local/share/tessera``. The default database and key file live there."""
    data_home = env.get("XDG_DATA_HOME")
    if not data_home:
        home = Path(env["HOME"]) if env.get("HOME") else Path.home()
        data_home = str(home / ".local" / "share")
    return Path(data_home) / "tessera"


def mask_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``: for messages, never a secret."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    credentials, at, host = netloc.rpartition("@")
    if sep and at and ":" in credentials:
        url = f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}{slash}{tail}"
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", url)


def _sqlite_in_data_folder(url: str, folder: Path) -> str:
    scheme, _, rest = url.partition("://")
    path = rest[1:] if rest.startswith("/") else ""
    if not path or path.startswith(("/", ":memory:")):
        return url
    return f"{scheme}:///{folder / path}"


def _default_database_url(env: Mapping[str, str]) -> str:
    return normalize_database_url(_sqlite_in_data_folder(DEFAULT_DATABASE_URL, data_folder(env)))


def _database_url(env: Mapping[str, str]) -> str:
    raw = env.get("TESSERA_DATABASE_URL") or DEFAULT_DATABASE_URL
    if raw.startswith(SQLITE_SCHEMES):
        return normalize_database_url(_sqlite_in_data_folder(raw, data_folder(env)))
    if raw.startswith(POSTGRESQL_SCHEMES):
        try:
            make_url(raw).port  # noqa: B018 (parsing the port is the check)
        except (ArgumentError, ValueError):
            raise ValueError(
                "TESSERA_DATABASE_URL is not a PostgreSQL URL Tessera can read (write it like "
                f"postgresql://user:password@host:5432/dbname), got {mask_url(raw)!r}"
            ) from None
        return normalize_database_url(raw)
    raise ValueError(
        "TESSERA_DATABASE_URL must be a sqlite:/// URL (the embedded database) or a "
        f"postgresql:// URL, the two databases Tessera supports; got {mask_url(raw)!r}"
    )


REDIS_SCHEMES = ("redis", "rediss", "unix")


def _redis_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
        database = parts.path.strip("/") if parts.scheme != "unix" else ""
        valid = parts.scheme in REDIS_SCHEMES and (
            bool(parts.path) if parts.scheme == "unix" else bool(parts.hostname)
        )
    except ValueError:
        valid = False
    if not valid or (database and not database.isdecimal()):
        raise ValueError(
            "TESSERA_REDIS_URL must be a Redis URL like redis://localhost:6379/0 "
            f"(redis://, rediss:// or unix://), got {mask_url(value)!r}"
        )
    return value


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
    database_url: str = field(default_factory=lambda: _default_database_url(os.environ))
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
            database_url=_database_url(env),
            public_url=_public_url(env.get("TESSERA_PUBLIC_URL") or defaults.public_url),
            redis_url=_redis_url(env.get("TESSERA_REDIS_URL")),
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

    @property
    def database_label(self) -> str:
        """Which database this is, as the CLI names it: ``sqlite /path/tessera.db`` or
        ``postgresql user@host:5432/dbname`` (never a password, driver or query)."""
        if self.is_sqlite:
            path = self.sqlite_path()
            return f"sqlite {path if path is not None else '(in memory)'}"
        url = make_url(self.database_url)
        where = f"{url.host or ''}{f':{url.port}' if url.port else ''}/{url.database or ''}"
        return f"postgresql {url.username + '@' if url.username else ''}{where}"

    def sqlite_path(self) -> Path | None:
        """The database file for a file-backed SQLite URL (its folder must exist before use)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None
