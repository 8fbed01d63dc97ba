"""LoyaltyLion Admin API v2: WebView sessions, whoami, sites, auth and errors, on both databases."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.config import Settings
from tessera.kit.secrets import hash_secret
from tessera.store.tables import webview_sessions
from tests.conftest import app_client
from tests.contract import assert_matches_contract
from tests.factories import make_tenant

SESSIONS = "/v2/sites/{site_id}/webviews/sessions"
CUSTOMER = {"merchant_id": "1000001", "email": "alice@example.com"}


def sessions_path(site_id: int) -> str:
    return SESSIONS.format(site_id=site_id)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_creates_a_webview_session_as_the_contract_describes(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    before = datetime.now(UTC)
    response = await client.post(
        sessions_path(tenant.site.id),
        json={"channel": "my-app.ios_1", "customer": CUSTOMER},
        headers=tenant.auth,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert_matches_contract("admin-v2", "post", SESSIONS, 201, body)
    url = body["webview_session"]["url"]
    assert url.startswith("http://testserver/webview/")
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 32  # at least 128 bits of hex
    expires_at = datetime.fromisoformat(
        body["webview_session"]["expires_at"].replace("Z", "+00:00")
    )
    assert body["webview_session"]["expires_at"].endswith("Z")
    assert before + timedelta(minutes=4) < expires_at <= before + timedelta(minutes=5, seconds=1)


async def test_stores_the_url_token_only_as_a_hash(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        sessions_path(tenant.site.id), json={"channel": "app"}, headers=tenant.auth
    )
    token = response.json()["webview_session"]["url"].rsplit("/", 1)[1]
    async with db.connect() as conn:
        rows = (await conn.execute(sa.select(webview_sessions))).mappings().all()
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hash_secret(token)
    assert token not in {str(v) for v in rows[0].values()}


@pytest.mark.parametrize(
    ("requested", "effective"),
    [
        ({"language": "de", "currency": "eur"}, ("de", "eur")),
        ({"language": "DE", "currency": "EUR"}, ("de", "eur")),
        ({"language": "fr-CA"}, ("fr", "usd")),
        ({"language": "ja", "currency": "jpy"}, ("en", "usd")),
        ({}, ("en", "usd")),
    ],
)
async def test_unsupported_language_or_currency_falls_back_to_the_site_default(
    client: httpx.AsyncClient,
    db: AsyncEngine,
    requested: dict[str, str],
    effective: tuple[str, str],
) -> None:
    tenant = await make_tenant(db, languages=["en", "de", "fr"], currencies=["usd", "eur"])
    response = await client.post(
        sessions_path(tenant.site.id), json={"channel": "app", **requested}, headers=tenant.auth
    )
    assert response.status_code == 201
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(webview_sessions))).one()
    assert (row.language, row.currency) == effective


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({}, {"channel": "is required"}),
        ({"channel": "a"}, {"channel": "must be at least 2 characters long"}),
        ({"channel": "my app"}, {"channel": "must match the pattern ^[-a-zA-Z0-9_.]+$"}),
        ({"channel": 12}, {"channel": "must be a string"}),
        ({"channel": "app", "language": None}, {"language": "must be a string"}),
        ({"channel": "app", "currency": 5}, {"currency": "must be a string"}),
        ({"channel": "app", "customer": "alice"}, {"customer": "must be an object"}),
        (
            {"channel": "app", "customer": {}},
            {"customer.merchant_id": "is required", "customer.email": "is required"},
        ),
        ({"channel": "app", "customer": {"merchant_id": "1"}}, {"customer.email": "is required"}),
        (
            {"channel": "app", "customer": {**CUSTOMER, "name": "Alice"}},
            {"customer.name": "is not a known field"},
        ),
        ({"channel": "app", "colour": "red"}, {"colour": "is not a known field"}),
        (
            {"channel": "x", "customer": {"merchant_id": 7, "email": "a@b.c"}, "extra": 1},
            {
                "channel": "must be at least 2 characters long",
                "customer.merchant_id": "must be a string",
                "extra": "is not a known field",
            },
        ),
        (
            {"channel": "app", "customer": {"merchant_id": " ", "email": "alice"}},
            {
                "customer.merchant_id": "must not be empty",
                "customer.email": "must be an email address",
            },
        ),
    ],
)
async def test_invalid_bodies_name_every_failing_field(
    client: httpx.AsyncClient, db: AsyncEngine, payload: object, details: dict[str, str]
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(sessions_path(tenant.site.id), json=payload, headers=tenant.auth)
    assert response.status_code == 400
    body = response.json()
    assert_matches_contract("admin-v2", "post", SESSIONS, 400, body)
    assert body["error"]["details"] == details
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(webview_sessions)) == 0


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        ({"channel": "a" * 256}, {"channel": "must be at most 255 characters long"}),
        (
            {"channel": "app", "customer": {"merchant_id": "1" * 256, "email": "a@b.c"}},
            {"customer.merchant_id": "must be at most 255 characters long"},
        ),
        (
            {"channel": "app", "customer": {"merchant_id": "1", "email": "a@" + "b" * 320}},
            {"customer.email": "must be at most 320 characters long"},
        ),
        (
            {"channel": "app", "customer": {"merchant_id": "1\u0000", "email": "a\u0000@b.c"}},
            {
                "customer.merchant_id": "must not contain NUL characters",
                "customer.email": "must not contain NUL characters",
            },
        ),
    ],
)
async def test_values_no_database_could_store_are_400s_on_both(
    client: httpx.AsyncClient, db: AsyncEngine, payload: dict[str, object], details: dict[str, str]
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(sessions_path(tenant.site.id), json=payload, headers=tenant.auth)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"] == details


@pytest.mark.parametrize(
    ("content", "content_type", "status", "message"),
    [
        (b"{not json", "application/json", 400, "The request body is not valid JSON"),
        (b"[1, 2]", "application/json", 400, "The request body must be a JSON object"),
        (b"", "application/json", 400, "The request body is not valid JSON"),
        (
            b"channel=app",
            "application/x-www-form-urlencoded",
            415,
            "Unsupported content type 'application/x-www-form-urlencoded': "
            "send the body as application/json",
        ),
        (
            b'{"channel": "app"}',
            "text/plain",
            415,
            "Unsupported content type 'text/plain': send the body as application/json",
        ),
    ],
)
async def test_malformed_bodies_get_a_clear_error_in_the_envelope(
    client: httpx.AsyncClient,
    db: AsyncEngine,
    content: bytes,
    content_type: str,
    status: int,
    message: str,
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        sessions_path(tenant.site.id),
        content=content,
        headers={**tenant.auth, "Content-Type": content_type},
    )
    assert response.status_code == status
    assert response.json() == {"error": {"message": message}}


async def test_a_body_over_64_kib_is_refused_with_413(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    payload = b'{"channel": "app", "language": "' + b"x" * (64 * 1024) + b'"}'
    response = await client.post(
        sessions_path(tenant.site.id),
        content=payload,
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "65536 bytes" in response.json()["error"]["message"]


async def test_missing_credentials_are_401(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    response = await client.post(sessions_path(tenant.site.id), json={"channel": "app"})
    assert response.status_code == 401
    assert_matches_contract("admin-v2", "post", SESSIONS, 401, response.json())
    assert "Authorization: Bearer" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer pat_00000000000000000000000000000000", "Bearer ", "Token abc", "Basic !!!"],
)
async def test_invalid_credentials_are_401(
    client: httpx.AsyncClient, db: AsyncEngine, authorization: str
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        sessions_path(tenant.site.id),
        json={"channel": "app"},
        headers={"Authorization": authorization},
    )
    assert response.status_code == 401
    assert_matches_contract("admin-v2", "post", SESSIONS, 401, response.json())


async def test_a_revoked_key_is_refused(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    from tessera.auth.keys import list_keys, revoke_key

    tenant = await make_tenant(db)
    async with db.begin() as conn:
        key = (await list_keys(conn, tenant.program_id))[0]
        await revoke_key(conn, key.id)
    response = await client.get("/v2/identity/whoami", headers=tenant.auth)
    assert response.status_code == 401


async def test_a_key_without_the_scope_gets_403_naming_it(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, scopes=["read_customers"])
    response = await client.post(
        sessions_path(tenant.site.id), json={"channel": "app"}, headers=tenant.auth
    )
    assert response.status_code == 403
    body = response.json()
    assert_matches_contract("admin-v2", "post", SESSIONS, 403, body)
    assert "write_customers" in body["error"]["message"]


async def test_another_programs_site_is_404_exactly_like_a_missing_one(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    ours = await make_tenant(db, name="Ours")
    theirs = await make_tenant(db, name="Theirs")
    foreign = await client.post(
        sessions_path(theirs.site.id), json={"channel": "app"}, headers=ours.auth
    )
    missing = await client.post(sessions_path(999_999), json={"channel": "app"}, headers=ours.auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["error"]["message"] == f"Site {theirs.site.id} not found"
    assert missing.json()["error"]["message"] == "Site 999999 not found"


@pytest.mark.parametrize("site_id", ["9999999999", str(2**64), "0", "-1"])
async def test_a_site_id_no_site_could_have_is_404(
    client: httpx.AsyncClient, db: AsyncEngine, site_id: str
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        f"/v2/sites/{site_id}/webviews/sessions", json={"channel": "app"}, headers=tenant.auth
    )
    assert response.status_code == 404
    assert response.json() == {"error": {"message": f"Site {int(site_id)} not found"}}


async def test_a_channel_with_a_trailing_newline_breaks_the_pattern(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        sessions_path(tenant.site.id), json={"channel": "app\n"}, headers=tenant.auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "channel": "must match the pattern ^[-a-zA-Z0-9_.]+$"
    }


# "1_0" and "+1" are numbers to Python's int(), not to a URL.
@pytest.mark.parametrize("site_id", ["abc", "1_0", "+1", "%C2%B2"])
async def test_a_non_numeric_site_id_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine, site_id: str
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        f"/v2/sites/{site_id}/webviews/sessions", json={"channel": "app"}, headers=tenant.auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"site_id": "must be a number"}


async def test_site_token_and_secret_still_work_and_are_marked_deprecated(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        sessions_path(tenant.site.id),
        json={"channel": "app", "customer": CUSTOMER},
        headers=basic(tenant.site_token, tenant.site_secret),
    )
    assert response.status_code == 201
    assert response.headers["Deprecation"].startswith("@")
    assert response.headers["Sunset"] == "Sun, 10 Jan 2027 00:00:00 GMT"


async def test_a_wrong_site_secret_is_401_and_still_marked_deprecated(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        sessions_path(tenant.site.id),
        json={"channel": "app"},
        headers=basic(tenant.site_token, "wrong"),
    )
    assert response.status_code == 401
    assert "Deprecation" in response.headers


async def test_a_site_token_only_reaches_its_own_site(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    ours = await make_tenant(db, name="Ours")
    theirs = await make_tenant(db, name="Theirs")
    response = await client.post(
        sessions_path(theirs.site.id),
        json={"channel": "app"},
        headers=basic(ours.site_token, ours.site_secret),
    )
    assert response.status_code == 404


async def test_site_token_and_secret_cannot_list_sites(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.get("/v2/sites", headers=basic(tenant.site_token, tenant.site_secret))
    assert response.status_code == 401
    assert "API key" in response.json()["error"]["message"]


async def test_whoami_describes_the_key(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await make_tenant(db, scopes=["read_customers", "write_customers"])
    response = await client.get("/v2/identity/whoami", headers=tenant.auth)
    assert response.status_code == 200
    body = response.json()
    assert_matches_contract("admin-v2", "get", "/v2/identity/whoami", 200, body)
    assert body == {
        "identity": {
            "kind": "api_key",
            "account_id": tenant.program_id,
            "program_id": tenant.program_id,
            "scopes": ["read_customers", "write_customers"],
            "integration": None,
        }
    }


async def test_sites_lists_only_the_programs_sites_newest_first(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    from tessera.programs.sites import create_site

    tenant = await make_tenant(db)
    await make_tenant(db, name="Other")
    async with db.begin() as conn:
        second = await create_site(
            conn, tenant.program_id, name="Second", languages=["sv"], currencies=["sek"]
        )
    response = await client.get("/v2/sites", headers=tenant.auth)
    assert response.status_code == 200
    body = response.json()
    assert_matches_contract("admin-v2", "get", "/v2/sites", 200, body)
    assert [s["id"] for s in body["sites"]] == [second.site.id, tenant.site.id]
    assert body["sites"][0]["languages"] == ["sv"]
    assert body["sites"][0]["currencies"] == ["sek"]


async def test_unknown_v2_paths_answer_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/no-such-resource")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Not found"}}


async def test_over_the_keys_limit_is_429_with_retry_after(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db, rate_limit="3/minute")
    statuses = []
    for _ in range(4):
        response = await client.post(
            sessions_path(tenant.site.id), json={"channel": "app"}, headers=tenant.auth
        )
        statuses.append(response.status_code)
    assert statuses == [201, 201, 201, 429]
    assert response.json()["error"]["message"] == "Rate limit exceeded: at most 3 per 1 minute"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Limit"] == "3"
    assert response.headers["RateLimit-Remaining"] == "0"


async def test_default_limits_come_from_settings_and_are_separate_per_endpoint(
    settings: Settings, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    limited = settings.with_(rate_limit_webview_sessions="2/minute", rate_limit_default="1/minute")
    async with app_client(limited) as client:
        whoami = [
            (await client.get("/v2/identity/whoami", headers=tenant.auth)).status_code
            for _ in range(2)
        ]
        created = [
            (
                await client.post(
                    sessions_path(tenant.site.id), json={"channel": "app"}, headers=tenant.auth
                )
            ).status_code
            for _ in range(3)
        ]
    assert whoami == [200, 429]
    assert created == [201, 201, 429]


async def test_every_stored_string_at_its_column_length_makes_a_session(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    email = "e" * 308 + "@example.com"
    payload = {"channel": "a" * 255, "customer": {"merchant_id": "1" * 255, "email": email}}
    response = await client.post(sessions_path(tenant.site.id), json=payload, headers=tenant.auth)
    assert response.status_code == 201, response.text
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(webview_sessions))).one()
    assert (row.channel, row.merchant_id, row.email) == ("a" * 255, "1" * 255, email)
