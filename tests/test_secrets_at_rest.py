"""No secret or token in clear at rest: after a real ``tessera serve`` has minted and used one
of every kind (API keys, site secrets, Stripe secret, restricted and publishable keys, customer
session client secrets, ephemeral keys, WebView URL tokens, visit cookies, CSRF tokens, an
idempotent answer holding a client secret), no column of any table and no line of the server's
log (at debug level) holds any of them, whole or without its prefix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.stripe_keys import create_stripe_keys
from tests.conftest import LiveServer
from tests.two_programs import RATE_LIMIT, Program, make_program, ok


async def use_the_webview(http: httpx.AsyncClient, p: Program) -> dict[str, str]:
    """Open the URL (its token becomes a visit cookie), load the page, redeem with its form."""
    token = p.webview_url.rsplit("/", 1)[1]
    opened = await http.get(f"/webview/{token}")
    assert opened.status_code == 303, opened.text
    visit = opened.cookies["tessera_visit"]  # kept by the client, as a WebView keeps it
    page = await http.get("/webview/page")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, "the page has a redeem form"
    csrf = found.group(1)
    redeemed = await http.post(
        "/webview/page/rewards/1/redeem",
        data={"csrf_token": csrf},
        headers={"Origin": str(http.base_url).rstrip("/")},
    )
    assert redeemed.status_code in (200, 303), redeemed.text
    return {"WebView URL token": token, "visit cookie": visit, "CSRF token": csrf}


async def use_every_credential(http: httpx.AsyncClient, db: AsyncEngine) -> dict[str, str]:
    p = await make_program(http, db, "Alpha")
    async with db.begin() as conn:
        restricted = await create_stripe_keys(
            conn,
            p.tenant.program_id,
            restricted_permissions=["customers:read"],
            rate_limit=RATE_LIMIT,
        )
    ok(
        await http.get(
            f"/v1/customers/{p.customer}",
            headers={"Authorization": f"Bearer {restricted.secret_key}"},
        )
    )
    ok(await http.get("/v2/identity/whoami", headers=p.api_key))
    ok(
        await http.post(
            f"/v2/sites/{p.site_id}/webviews/sessions",
            json={"channel": "web"},
            headers=p.site_secret,
        ),
        201,
    )
    # A customer session behind a guessable Idempotency-Key: its stored answer holds the secret.
    form = {"customer": p.customer, "components[pricing_table][enabled]": "true"}
    idempotent = {**p.secret_key, "Idempotency-Key": "order-1042"}
    first = ok(await http.post("/v1/customer_sessions", data=form, headers=idempotent))
    replay = ok(await http.post("/v1/customer_sessions", data=form, headers=idempotent))
    assert replay["client_secret"] == first["client_secret"]
    return {
        "pat_ API key": p.tenant.api_key,
        "site secret": p.tenant.site_secret,
        "sk_test_ key": p.stripe.secret_key,
        "pk_test_ key": p.stripe.publishable_key,
        "rk_test_ key": restricted.secret_key,
        "client secret": p.client_secret,
        "claimed client secret's ephemeral key": p.ephemeral_key,
        "idempotent answer's client secret": first["client_secret"],
        "webhook endpoint's whsec_ secret (its idempotent answer holds it too)": p.webhook_secret,
        **(await use_the_webview(http, p)),
    }


def forms_of(secret: str) -> list[str]:
    """The secret, and its random part without the readable prefix (``pat_``, ``cuss_secret_``)."""
    random_part = secret.rsplit("_", 1)[-1]
    return [secret, random_part] if len(random_part) >= 16 else [secret]


def found_in(secrets: dict[str, str], text: str) -> list[str]:
    return [
        name for name, secret in secrets.items() if any(form in text for form in forms_of(secret))
    ]


def as_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return raw.hex() + " " + raw.decode("latin-1")
    return str(value)


async def every_stored_value(db: AsyncEngine) -> list[tuple[str, str]]:
    """(``table.column``, value as text) for every column of every row of every table."""
    async with db.connect() as conn:
        names: list[str] = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        values = []
        for name in names:
            quoted = conn.dialect.identifier_preparer.quote(name)
            result = await conn.execute(sa.text(f"SELECT * FROM {quoted}"))
            for row in result.mappings():
                values += [(f"{name}.{column}", as_text(value)) for column, value in row.items()]
    return values


async def test_no_table_holds_a_secret_in_clear(
    live_server: Callable[..., LiveServer], db: AsyncEngine
) -> None:
    server = live_server(env={"TESSERA_LOG_LEVEL": "debug"})
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        secrets = await use_every_credential(http, db)
    stored = await every_stored_value(db)
    assert len({column.split(".")[0] for column, _ in stored}) >= 10  # the tables were read
    in_clear = [
        f"{name} in {column}" for column, value in stored for name in found_in(secrets, value)
    ]
    assert not in_clear, in_clear


async def test_the_server_log_holds_no_secret(
    live_server: Callable[..., LiveServer], db: AsyncEngine
) -> None:
    server = live_server(env={"TESSERA_LOG_LEVEL": "debug"})
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        secrets = await use_every_credential(http, db)
    server.stop()  # flushes the access log
    log = server.log.read_text()
    assert log.count('"event":"request"') >= 15  # every request was logged
    assert not found_in(secrets, log), found_in(secrets, log)
