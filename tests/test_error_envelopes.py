"""Input no route could serve is a 4xx in the caller's dialect, never a 500; a bug is a 500 in
the dialect's envelope naming a request id (never the cause) that closes the connection; 405s
say which methods there are; a path no mount matches still answers in its dialect's envelope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.api.dialect_app import DialectApp
from tessera.api.loyaltylion_admin.app import ADMIN_ERRORS
from tessera.auth.stripe_keys import create_stripe_keys
from tests.factories import Tenant, make_tenant
from tests.web.test_webview_pages import open_page, page_tenant, session_path

DIGITS = "7" * 4301  # int() refuses more than 4,300 digits
PAGE_HEADERS = ("content-security-policy", "x-frame-options", "cache-control")


def assert_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    for name in PAGE_HEADERS:
        assert name in response.headers


async def stripe_secret(db: AsyncEngine, tenant: Tenant) -> dict[str, str]:
    async with db.begin() as conn:
        keys = await create_stripe_keys(conn, tenant.program_id)
    return {"Authorization": f"Bearer {keys.secret_key}"}


async def test_a_static_file_name_too_long_for_the_file_system_is_the_404_page(
    client: httpx.AsyncClient,
) -> None:
    assert_page(await client.get(f"/webview/static/{'a' * 300}.css"), 404)


async def test_a_reward_id_of_thousands_of_digits_is_the_404_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        f"/webview/page/rewards/{DIGITS}/redeem", headers={"Cookie": "tessera_visit=v"}
    )
    assert_page(response, 404)


@pytest.mark.parametrize("claimed", ["²", "①", "9" * 5000], ids=["superscript", "circled", "long"])
async def test_a_claimed_parameter_that_is_no_claim_id_shows_the_page(
    client: httpx.AsyncClient, db: AsyncEngine, claimed: str
) -> None:
    tenant = await page_tenant(db)
    opened = await open_page(client, tenant)
    response = await client.get("/webview/page", params={"claimed": claimed})
    assert opened.status_code == 200
    assert_page(response, 200)


@pytest.mark.parametrize(
    "path",
    [f"/v2/sites/{DIGITS}/webviews/sessions", f"/headless/2025-06/{DIGITS}/customers/c1/sessions"],
    ids=["admin", "headless"],
)
async def test_a_site_id_of_thousands_of_digits_is_a_404(
    client: httpx.AsyncClient, db: AsyncEngine, path: str
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        path, params={"channel": "web"}, json={"channel": "app"}, headers=tenant.auth
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["message"] == "Site not found"


@pytest.mark.parametrize(
    ("method", "path", "params", "param"),
    [
        ("GET", "/v1/customers", f"limit={DIGITS}", "limit"),
        ("GET", "/v1/customers", f"expand[{DIGITS}]=data", "expand"),
        (
            "POST",
            "/v1/customer_sessions",
            "customer=cus_x&components[payment_element][enabled]=true&components"
            "[payment_element][features][payment_method_allow_redisplay_filters]"
            f"[{DIGITS}]=always",
            "components",
        ),
    ],
    ids=["limit", "expand", "redisplay-filters"],
)
async def test_a_stripe_number_of_thousands_of_digits_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine, method: str, path: str, params: str, param: str
) -> None:
    headers = await stripe_secret(db, await make_tenant(db))
    response = await client.request(method, f"{path}?{params}", headers=headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"].startswith(param)


async def failing(request: Request) -> Response:
    raise RuntimeError("sk_live_secret leaked into a message")


async def test_a_bug_is_a_500_in_the_envelope_with_a_request_id_that_closes_the_connection() -> (
    None
):
    app = DialectApp([Route("/boom", failing)], errors=ADMIN_ERRORS)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/boom", headers={"X-Request-Id": "lb-42"})
    assert response.status_code == 500
    assert response.headers["connection"] == "close"
    assert response.json()["error"]["request_id"] == "lb-42"
    assert "sk_live_secret" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v2/sites/1/webviews/sessions", "POST"),
        ("PUT", "/webview/page", "GET"),
        ("DELETE", "/headless/2025-06/1/customers/c1/sessions", "POST"),
        ("PUT", "/v1/customers", "GET"),
    ],
    ids=["admin", "page", "headless", "stripe"],
)
async def test_a_wrong_method_says_which_methods_the_path_has(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code in (404, 405), response.text
    assert allow in response.headers["allow"]


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/v2/sites/1/a%0Ab", {"message": "Not found"}),
        ("/nowhere/a%0Ab", {"message": "Not found"}),
    ],
    ids=["admin", "elsewhere"],
)
async def test_a_path_no_mount_matches_is_a_404_in_its_dialects_envelope(
    client: httpx.AsyncClient, path: str, shape: dict[str, Any]
) -> None:
    response = await client.get(path)
    assert response.status_code == 404, response.text
    assert response.json() == {"error": shape}


async def test_a_headless_merchant_id_with_a_newline_reaches_the_headless_routes(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.get(
        f"/headless/2025-06/{tenant.site.id}/customers/a%0Ab",
        params={"channel": "web"},
        headers=tenant.auth,
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


async def test_a_stripe_path_with_a_newline_is_stripes_unrecognized_url(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/customers/a%0Ab/x")
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("Unrecognized request URL")
    assert response.headers["request-id"].startswith("req_")


async def test_a_page_path_with_a_newline_is_the_404_page(client: httpx.AsyncClient) -> None:
    assert_page(await client.get("/webview/page/a%0Ab"), 404)


async def test_a_head_of_a_webview_link_leaves_it_for_the_customer_to_open(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    path = await session_path(client, await page_tenant(db))
    previewed = await client.head(path)
    opened = await client.get(path)
    assert previewed.status_code == 200
    assert "set-cookie" not in previewed.headers
    assert opened.status_code == 303, opened.text


@pytest.mark.parametrize(
    ("site", "status"),
    [("{id}.0", 201), ("{id}.00", 201), ("{id}.5", 404), ("1e400", 400), ("one", 400)],
    ids=["zero-fraction", "zeros-fraction", "fraction", "exponent", "word"],
)
async def test_a_site_id_written_as_a_number_with_a_zero_fraction_is_that_site(
    client: httpx.AsyncClient, db: AsyncEngine, site: str, status: int
) -> None:
    tenant = await make_tenant(db)
    response = await client.post(
        f"/v2/sites/{site.format(id=tenant.site.id)}/webviews/sessions",
        json={"channel": "app", "customer": {"merchant_id": "m1", "email": "m1@example.com"}},
        headers=tenant.auth,
    )
    assert response.status_code == status, response.text


async def test_an_explicitly_empty_channel_query_is_a_400_naming_channel(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.get(
        f"/headless/2025-06/{tenant.site.id}/configuration",
        params={"channel": ""},
        headers={**tenant.auth, "X-LoyaltyLion-Channel": "web"},
    )
    assert response.status_code == 400, response.text
    assert "channel" in response.json()["error"]["details"]


async def test_an_error_after_authentication_still_carries_the_rate_limit_headers(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    response = await client.get(
        f"/headless/2025-06/{tenant.site.id}/customers/nobody",
        params={"channel": "web"},
        headers=tenant.auth,
    )
    assert response.status_code == 404, response.text
    assert any(name.startswith("ratelimit") for name in response.headers)


async def test_a_refused_basic_auth_call_still_carries_the_deprecation_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v2/sites/1/webviews/sessions", json={"channel": "app"}, auth=("token", "secret")
    )
    assert response.status_code == 401, response.text
    assert "deprecation" in response.headers and "sunset" in response.headers
