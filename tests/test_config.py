"""Settings from the environment: defaults, normalisation, and clear errors for bad values."""

from __future__ import annotations

import pytest

from tessera.config import Settings


def test_defaults_are_the_embedded_sqlite_database_and_local_url() -> None:
    settings = Settings.from_env({"XDG_DATA_HOME": "/srv/data"})
    assert settings.database_url == "sqlite+aiosqlite:////srv/data/tessera/tessera.db"
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


def test_without_xdg_data_home_the_data_folder_is_under_home() -> None:
    settings = Settings.from_env({"HOME": "/home/ada"})
    assert settings.database_url == "sqlite+aiosqlite:////home/ada/.local/share/tessera/tessera.db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///shop.db", "sqlite+aiosqlite:////srv/data/tessera/shop.db"),
        ("sqlite:///var/shop.db", "sqlite+aiosqlite:////srv/data/tessera/var/shop.db"),
        ("sqlite:////abs/shop.db", "sqlite+aiosqlite:////abs/shop.db"),
        ("sqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
    ],
)
def test_a_relative_sqlite_path_is_in_the_data_folder(url: str, expected: str) -> None:
    env = {"TESSERA_DATABASE_URL": url, "XDG_DATA_HOME": "/srv/data"}
    assert Settings.from_env(env).database_url == expected


@pytest.mark.parametrize(
    "url",
    [
        "mysql://shop:hunter2@db/tessera",
        "postgresql://shop:hunter2@db:port/tessera",
        "notaurl",
    ],
)
def test_a_database_url_tessera_cannot_use_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(ValueError, match="TESSERA_DATABASE_URL") as caught:
        Settings.from_env({"TESSERA_DATABASE_URL": url})
    assert "hunter2" not in str(caught.value)


def test_an_unsupported_database_names_the_supported_schemes() -> None:
    with pytest.raises(ValueError, match=r"must be a sqlite:/// URL .* or a postgresql:// URL"):
        Settings.from_env({"TESSERA_DATABASE_URL": "mysql://db/tessera"})


@pytest.mark.parametrize(
    "url",
    ["notaurl", "http://cache:6379", "redis://", "redis://cache:port", "redis://cache/zero"],
)
def test_a_malformed_redis_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="TESSERA_REDIS_URL must be a Redis URL"):
        Settings.from_env({"TESSERA_REDIS_URL": url})


@pytest.mark.parametrize(
    "url", ["redis://cache:6379/0", "rediss://:pw@cache", "unix:///run/redis.sock", "redis://cache"]
)
def test_redis_urls_of_each_scheme_are_accepted(url: str) -> None:
    assert Settings.from_env({"TESSERA_REDIS_URL": url}).redis_url == url


def test_a_redis_password_is_masked_in_the_error() -> None:
    with pytest.raises(ValueError) as caught:
        Settings.from_env({"TESSERA_REDIS_URL": "redis://:hunter2@cache:port"})
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("sqlite:////srv/t.db", "sqlite /srv/t.db"),
        (
            "postgresql://shop:hunter2@db:5432/loyalty?sslmode=require",
            "postgresql shop@db:5432/loyalty",
        ),
        ("postgresql://db/loyalty", "postgresql db/loyalty"),
    ],
)
def test_the_database_label_names_it_without_a_password(url: str, label: str) -> None:
    assert Settings.from_env({"TESSERA_DATABASE_URL": url}).database_label == label
