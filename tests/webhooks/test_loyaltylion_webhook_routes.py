"""POST, GET and DELETE /v2/webhooks on both databases, every answer checked against the
served contract."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import create_key
from tessera.loyalty import program_events as topics
from tessera.programs.site_secrets import seal_site_secret
from tessera.store.tables import sites
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_tenant

from .loyaltylion import Hooks, hooks_fixture, subject_of  # noqa: F401

WEBHOOKS, WEBHOOK = "/v2/webhooks", "/v2/webhooks/{webhook_id}"
ADDRESS = "https://hooks.example.com/loyalty"


async def call(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    method: str,
    path: str,
    status: int,
    **options: Any,
) -> Any:
    response = await client.request(method, path, headers=headers, **options)
    assert response.status_code == status, response.text
    body = response.json() if response.content else None
    template = WEBHOOKS if path.split("?")[0] == WEBHOOKS else WEBHOOK
    assert_matches_contract("admin-v2", method, template, status, body)
    return body


def webhook(topic: str = topics.CUSTOMERS_UPDATE, address: str = ADDRESS) -> dict[str, Any]:
    return {"webhook": {"topic": topic, "address": address}}


async def key_with(db: AsyncEngine, tenant: Tenant, scopes: list[str]) -> dict[str, str]:
    async with db.begin() as conn:
        created = await create_key(conn, tenant.program_id, scopes)
    return {"Authorization": f"Bearer {created.secret}"}


async def test_a_registered_webhook_is_answered_and_listed(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    body = webhook()
    body["webhook"]["service_integration_id"] = 42

    created = await call(client, tenant.auth, "POST", WEBHOOKS, 201, json=body)

    hook = created["webhook"]
    assert (hook["topic"], hook["address"], hook["service_integration_id"]) == (
        topics.CUSTOMERS_UPDATE,
        ADDRESS,
        42,
    )
    listed = await call(client, tenant.auth, "GET", WEBHOOKS, 200)
    assert listed == {"webhooks": [hook]}


async def test_a_key_without_a_customers_scope_cannot_register_customers_update(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    orders_only = await key_with(db, tenant, ["write_orders"])

    refused = await call(client, orders_only, "POST", WEBHOOKS, 403, json=webhook())

    assert refused["error"]["details"] == {"scope": "requires read_customers"}
    assert await call(client, tenant.auth, "GET", WEBHOOKS, 200) == {"webhooks": []}


async def test_rule_completed_needs_the_orders_scope_too(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    customers_only = await key_with(db, tenant, ["write_customers"])

    refused = await call(
        client, customers_only, "POST", WEBHOOKS, 403, json=webhook(topics.RULE_COMPLETED)
    )

    assert refused["error"]["details"] == {"scope": "requires read_orders"}


async def test_write_scopes_include_the_read_scopes_a_topic_needs(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    writer = await key_with(db, tenant, ["write_customers", "write_orders"])

    await call(client, writer, "POST", WEBHOOKS, 201, json=webhook(topics.REFERRAL_COMPLETE))


async def test_the_unsubscribe_topic_needs_the_unsubscribes_scope_not_customers(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    customers = await key_with(db, tenant, ["read_customers"])
    unsubscribes = await key_with(db, tenant, ["read_unsubscribes"])
    body = webhook(topics.UNSUBSCRIBE)

    await call(client, customers, "POST", WEBHOOKS, 403, json=body)
    await call(client, unsubscribes, "POST", WEBHOOKS, 201, json=body)


async def test_a_topic_tessera_does_not_send_is_refused_naming_the_field(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    topic = "program_events/customer.moved_to_loyal_segment"  # in the reference's list

    refused = await call(client, tenant.auth, "POST", WEBHOOKS, 400, json=webhook(topic))

    assert refused["error"]["details"]["webhook.topic"].startswith("is not a topic Tessera sends")


async def test_a_bad_address_is_refused_naming_the_field(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)

    for address in ("ftp://hooks.example.com/x", "not a url", "https://user:pw@hooks.example/"):
        body = webhook(address=address)
        refused = await call(client, tenant.auth, "POST", WEBHOOKS, 400, json=body)
        assert list(refused["error"]["details"]) == ["webhook.address"], address


async def test_a_private_address_is_refused_unless_allowed(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)

    refused = await call(
        client, tenant.auth, "POST", WEBHOOKS, 400, json=webhook(address="http://127.0.0.1/h")
    )

    assert "TESSERA_WEBHOOKS_ALLOW_PRIVATE" in refused["error"]["details"]["webhook.address"]


async def test_an_unknown_field_is_refused_naming_it(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    body = webhook()
    body["webhook"]["secret"] = "mine"

    refused = await call(client, tenant.auth, "POST", WEBHOOKS, 400, json=body)

    assert refused["error"]["details"] == {"webhook.secret": "is not a known field"}


async def test_a_site_whose_secret_is_not_sealed_is_refused_until_it_is_rotated(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        await conn.execute(sites.update().values(secret_sealed=None))

    refused = await call(client, tenant.auth, "POST", WEBHOOKS, 400, json=webhook())

    assert "tessera sites rotate-secret" in refused["error"]["message"]
    assert list(refused["error"]["details"]) == ["site_id"]


async def test_another_programs_site_is_not_found(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    mine, theirs = await make_tenant(db), await make_tenant(db, name="Other")

    path = f"{WEBHOOKS}?site_id={theirs.site.id}"
    await call(client, mine.auth, "POST", path, 404, json=webhook())


async def test_another_programs_webhook_is_not_found_and_stays(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    mine, theirs = await make_tenant(db), await make_tenant(db, name="Other")
    hook = (await call(client, theirs.auth, "POST", WEBHOOKS, 201, json=webhook()))["webhook"]

    await call(client, mine.auth, "DELETE", f"{WEBHOOKS}/{hook['id']}", 404)

    assert await call(client, mine.auth, "GET", WEBHOOKS, 200) == {"webhooks": []}
    assert await call(client, theirs.auth, "GET", WEBHOOKS, 200) == {"webhooks": [hook]}


async def test_a_webhook_id_that_is_not_a_number_is_refused(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)

    refused = await call(client, tenant.auth, "DELETE", f"{WEBHOOKS}/abc", 400)

    assert refused["error"]["details"] == {"webhook_id": "must be a number"}


async def test_a_deleted_webhook_is_gone_and_hears_nothing_more(hooks: Hooks) -> None:
    [kept, deleted] = await hooks.register(topics.CUSTOMERS_UPDATE, topics.ENROLLED)
    await hooks.session("ada")
    await hooks.deliver()
    assert len(hooks.receiver.requests) == 2

    await call(hooks.client, hooks.auth, "DELETE", f"{WEBHOOKS}/{deleted}", 204)
    await hooks.session("bob")
    await hooks.deliver()

    listed = await call(hooks.client, hooks.auth, "GET", WEBHOOKS, 200)
    assert [hook["id"] for hook in listed["webhooks"]] == [kept]
    heard = [(event["topic"], subject_of(event)) for event in await hooks.events()]
    assert sorted(heard) == [
        (topics.CUSTOMERS_UPDATE, "ada"),
        (topics.CUSTOMERS_UPDATE, "bob"),
        (topics.ENROLLED, "ada"),
    ]


async def test_a_site_secret_sealed_under_another_server_key_is_refused_not_a_500(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    async with db.begin() as conn:
        other_key = seal_site_secret(b"\x01" * 32, tenant.site_secret)
        await conn.execute(sites.update().values(secret_sealed=other_key))

    refused = await call(client, tenant.auth, "POST", WEBHOOKS, 400, json=webhook())

    assert "another server key" in refused["error"]["message"]
