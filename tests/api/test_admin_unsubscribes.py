"""The Admin API's loyalty email unsubscribe list, on both databases, every body checked
against the served contract."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.customers.service import find_customer
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_customer, make_tenant

PATH = "/v2/loyalty_emails/unsubscribes"


async def call(
    client: httpx.AsyncClient,
    tenant: Tenant,
    method: str,
    status: int,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
) -> Any:
    response = await client.request(method, PATH, json=json, params=params, headers=tenant.auth)
    assert response.status_code == status, response.text
    body = response.json()
    assert_matches_contract("admin-v2", method, PATH, status, body)
    return body


async def test_an_email_is_added_with_201_and_again_with_200_whatever_its_case(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    added = await call(client, tenant, "POST", 201, json={"email": "Ada@Example.com"})
    assert added == {"email": "Ada@Example.com", "id": None}
    again = await call(client, tenant, "POST", 200, json={"email": "ada@example.COM"})
    assert again == {"email": "Ada@Example.com", "id": None}
    assert await call(client, tenant, "GET", 200) == [{"email": "Ada@Example.com", "id": None}]


async def test_an_unsubscribe_names_the_customer_with_that_email(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "m1", email="grace@example.com")
    added = await call(client, tenant, "POST", 201, json={"email": "GRACE@example.com"})
    assert added["id"] == "m1"
    assert await call(client, tenant, "GET", 200) == [{"email": "GRACE@example.com", "id": "m1"}]


async def test_unsubscribing_leaves_the_customers_marketing_consent_as_it_was(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "m1", email="grace@example.com")
    await call(client, tenant, "POST", 201, json={"email": "grace@example.com"})
    async with db.connect() as conn:
        customer = await find_customer(conn, tenant.program_id, "m1")
    assert customer is not None and customer.email_marketing == "unknown"


async def test_the_list_pages_by_page_number_oldest_first(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    for n in range(5):
        await call(client, tenant, "POST", 201, json={"email": f"u{n}@example.com"})
    pages = [
        [entry["email"] for entry in await call(client, tenant, "GET", 200, params=query)]
        for query in ({"limit": "2"}, {"limit": "2", "page": "2"}, {"limit": "2", "page": "3"})
    ]
    assert pages == [
        ["u0@example.com", "u1@example.com"],
        ["u2@example.com", "u3@example.com"],
        ["u4@example.com"],
    ]
    assert await call(client, tenant, "GET", 200, params={"page": "4", "limit": "2"}) == []


async def test_out_of_range_limits_and_pages_are_a_400_naming_them(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    for query in ({"limit": "0"}, {"limit": "501"}, {"page": "0"}, {"page": "x"}):
        body = await call(client, tenant, "GET", 400, params=query)
        assert set(body["error"]["details"]) == set(query)


async def test_an_address_that_is_not_an_email_or_too_long_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    for email in ("not-an-email", "a@b", "two@@example.com", "sp ace@example.com", "a\x00@b.co"):
        body = await call(client, tenant, "POST", 400, json={"email": email})
        assert set(body["error"]["details"]) == {"email"}, email
    long = "a" * 310 + "@example.com"
    body = await call(client, tenant, "POST", 400, json={"email": long})
    assert set(body["error"]["details"]) == {"email"}
    await call(client, tenant, "POST", 400, json={"email": "x@example.com", "name": "x"})
    assert await call(client, tenant, "GET", 200) == []


async def test_each_program_has_its_own_list(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant, other = await make_tenant(db), await make_tenant(db, name="Other")
    await call(client, tenant, "POST", 201, json={"email": "ada@example.com"})
    assert await call(client, other, "GET", 200) == []
    await call(client, other, "POST", 201, json={"email": "ada@example.com"})


async def test_reading_needs_read_unsubscribes_and_adding_write_unsubscribes(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    reader = await make_tenant(db, scopes=["read_unsubscribes"])
    writer = await make_tenant(db, name="Writer", scopes=["write_unsubscribes"])
    customers = await make_tenant(db, name="Customers", scopes=["write_customers"])
    await call(client, reader, "GET", 200)
    await call(client, writer, "GET", 200)
    await call(client, customers, "GET", 403)
    await call(client, reader, "POST", 403, json={"email": "ada@example.com"})
    await call(client, writer, "POST", 201, json={"email": "ada@example.com"})
