"""Settings from the environment: defaults, normalisation, and clear errors for bad values."""

from __future__ import annotations

import pytest

from tessera.config import Settings


def test_defaults_are_the_embedded_sqlite_database_and_local_url() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite+aiosqlite:///var/tessera.db"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.redis_url is None
    assert settings.webview_session_ttl == 300
    assert settings.rate_limit_webview_sessions == "100/second"
    assert settings.rate_limit_default == "20/second"


def test_postgresql_urls_get_the_async_driver() -> None:
    for url in ("postgresql://u:p@db/tessera", "postgres://u:p@db/tessera"):
        settings = Settings.from_env({"TESSERA_DATABASE_URL": url})
        assert settings.database_url == "postgresql+asyncpg://u:p@db/tessera"


def test_public_url_loses_its_trailing_slash() -> None:
    settings = Settings.from_env({"TESSERA_PUBLIC_URL": "https://loyalty.example.com/"})
    assert settings.public_url == "https://loyalty.example.com"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TESSERA_WEBVIEW_SESSION_TTL", "five", "whole number of seconds"),
        ("TESSERA_WEBVIEW_SESSION_TTL", "0", "must be positive"),
        ("TESSERA_RATE_LIMIT_DEFAULT", "lots", "rate limit like 100/second"),
        ("TESSERA_PUBLIC_URL", "loyalty.example.com", "must start with http"),
        ("TESSERA_LOG_LEVEL", "chatty", "must be one of debug, info, warning, error"),
        ("TESSERA_REDIS_OUTAGE", "panic", "must be one of per_worker, refuse"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value)
