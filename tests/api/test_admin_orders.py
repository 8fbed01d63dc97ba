"""Admin API v2 orders as endpoints: creating once, validation, sites, programs, scopes and
lists, on both databases. Every answer is checked against the contract."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import create_key
from tessera.customers.service import find_customer
from tessera.kit.clock import utcnow
from tessera.programs.sites import create_site
from tessera.store.tables import customers, orders
from tests.api.order_helpers import (
    ORDERS,
    api,
    create,
    entries,
    order_body,
    read,
    shop,
    state,
    template_of,
    update,
)
from tests.contract import assert_matches_contract
from tests.factories import make_customer

# --- one order per merchant_id --------------------------------------------------------------


async def test_the_same_merchant_id_twice_is_a_409_that_writes_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    count = await entries(db)
    refused = await create(
        client, tenant, 409, customer_id="other", customer_email="other@example.com"
    )
    assert "o1" in refused.json()["error"]["message"]
    assert await entries(db) == count
    async with db.connect() as conn:
        assert await find_customer(conn, tenant.program_id, "other") is None
        assert await conn.scalar(sa.select(sa.func.count()).select_from(orders)) == 1


async def test_an_update_of_an_unknown_order_is_a_404(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await update(client, tenant, "nope", status=404)
    await api(client, tenant, "GET", f"{ORDERS}/nope", 404)
    await api(client, tenant, "GET", f"{ORDERS}/{'x' * 300}", 404)
    await api(client, tenant, "GET", f"{ORDERS}/a%00b", 404)


# --- validation -----------------------------------------------------------------------------

BAD_ORDERS: list[tuple[dict[str, Any], str]] = [
    ({"total": "-1.00"}, "total"),
    ({"total": "1e3"}, "total"),
    ({"total": "99.99999"}, "total"),
    ({"total": "12345678901"}, "total"),
    ({"total": 99.99}, "total"),
    ({"total_shipping": "abc"}, "total_shipping"),
    ({"total_paid": " 1"}, "total_paid"),
    ({"total_paid": "1\n"}, "total_paid"),
    ({"payment_status": "done"}, "payment_status"),
    ({"customer_id": ""}, "customer_id"),
    ({"customer_id": " "}, "customer_id"),
    ({"customer_id": "x" * 256}, "customer_id"),
    ({"customer_email": "no-at-sign"}, "customer_email"),
    ({"customer_email": "a@b\x00"}, "customer_email"),
    ({"merchant_id": "a\x00b"}, "merchant_id"),
    ({"merchant_number": "n" * 256}, "merchant_number"),
    ({"discount_codes": [{"code": "SAVE", "amount": "-5"}]}, "discount_codes[0].amount"),
    ({"discount_codes": [{"amount": "5"}]}, "discount_codes[0].code"),
    ({"claimed_reward_ids": [0]}, "claimed_reward_ids[0]"),
    ({"claimed_reward_ids": [2**31]}, "claimed_reward_ids[0]"),
    ({"claimed_reward_ids": list(range(1, 102))}, "claimed_reward_ids"),
    ({"date": "yesterday"}, "date"),
    ({"date": "0001-01-01T00:00:00+01:00"}, "date"),
    ({"ip_address": "1" * 65}, "ip_address"),
    ({"user_agent": "u\x00"}, "user_agent"),
    ({"referral_id": "r" * 256}, "referral_id"),
    ({"guest": "yes"}, "guest"),
]


async def test_each_bad_field_of_a_new_order_is_a_400_naming_it(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db, rate_limit="1000/second")
    wrong = []
    for fields, name in BAD_ORDERS:
        response = await client.post(ORDERS, json=order_body(**fields), headers=tenant.auth)
        details = response.json().get("error", {}).get("details", {})
        if response.status_code != 400 or name not in details:
            wrong.append(f"{fields}: {response.status_code} {response.text[:200]}")
        else:
            assert_matches_contract("admin-v2", "POST", ORDERS, 400, response.json())
    missing = await client.post(ORDERS, json={"merchant_id": "o1"}, headers=tenant.auth)
    assert set(missing.json()["error"]["details"]) >= {"customer_id", "total", "payment_status"}
    assert not wrong, "\n".join(wrong)
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(orders)) == 0


async def test_several_bad_fields_are_named_together(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    body = order_body(total="x", total_shipping="-1", customer_email="nobody")
    response = await api(client, tenant, "POST", ORDERS, 400, json=body)
    assert set(response.json()["error"]["details"]) == {
        "total",
        "total_shipping",
        "customer_email",
    }


async def test_optional_fields_may_be_null_and_unknown_fields_are_ignored(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    nulls = dict.fromkeys(["total_paid", "merchant_number", "discount_codes", "referral_id"])
    await create(client, tenant, guest=None, number="1001", **nulls)
    order = await read(client, tenant)
    assert (order["merchant_number"], order["total_paid"], order["guest"]) == (
        None,
        "100.00",
        False,
    )


async def test_bad_updates_are_a_400_naming_the_field(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    path = f"{ORDERS}/o1"
    for fields, name in [
        ({"refund_status": "some"}, "refund_status"),
        ({"total_refunded": "-3"}, "total_refunded"),
        ({"total_paid": "1,00"}, "total_paid"),
        ({"total_refunded": "100.01"}, "total_refunded"),
    ]:
        response = await api(client, tenant, "PUT", path, 400, json=state(**fields))
        assert name in response.json()["error"]["details"]
    response = await api(client, tenant, "PUT", path, 400, json={"payment_status": "paid"})
    assert "total_refunded" in response.json()["error"]["details"]
    assert (await read(client, tenant))["customer"]["points_approved"] == 50


async def test_money_is_stored_and_returned_exactly(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant, total="9999999999.9999", total_shipping="0.0001")
    order = await read(client, tenant)
    assert (order["total"], order["total_shipping"]) == ("9999999999.9999", "0.0001")
    # 4,999,999,999 points would not fit a ledger entry: the most one holds.
    assert order["points_earned"] == 2**31 - 1


# --- sites and programs ---------------------------------------------------------------------


async def test_site_id_is_required_only_when_the_program_has_several_sites(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    other = await shop(db, name="Other")
    async with db.begin() as conn:
        second = await create_site(
            conn,
            tenant.program_id,
            name="EU",
            url="https://eu.example.com",
            languages=["en"],
            currencies=["eur"],
        )
    body = order_body()
    refused = await api(client, tenant, "POST", ORDERS, 400, json=body)
    assert "site_id" in refused.json()["error"]["details"]
    foreign = {"site_id": str(other.site.id)}
    await api(client, tenant, "POST", ORDERS, 404, json=body, params=foreign)
    chosen = {"site_id": str(second.site.id)}
    await api(client, tenant, "POST", ORDERS, 201, json=body, params=chosen)
    assert (await read(client, tenant))["site_id"] == second.site.id


async def test_another_programs_orders_are_not_found(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    other = await shop(db, name="Other")
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    await api(client, other, "GET", f"{ORDERS}/o1", 404)
    await update(client, other, "o1", status=404, refund_status="refunded")
    listed = (await api(client, other, "GET", ORDERS, 200)).json()
    assert listed["orders"] == []
    assert (await read(client, tenant))["refund_status"] == "not_refunded"


async def test_orders_need_their_scopes(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant)
    keys = {}
    async with db.begin() as conn:
        for scope in ("read_orders", "write_orders", "read_customers"):
            key = await create_key(conn, tenant.program_id, [scope])
            keys[scope] = {"Authorization": f"Bearer {key.secret}"}
    put = {"json": state()}
    for scope, method, path, status, options in [
        ("read_orders", "GET", f"{ORDERS}/o1", 200, {}),
        ("read_orders", "GET", ORDERS, 200, {}),
        ("read_orders", "PUT", f"{ORDERS}/o1", 403, put),
        ("read_orders", "POST", ORDERS, 403, {"json": order_body(merchant_id="o2")}),
        ("write_orders", "GET", f"{ORDERS}/o1", 200, {}),  # write_ includes read_
        ("write_orders", "PUT", f"{ORDERS}/o1", 204, put),
        ("read_customers", "GET", ORDERS, 403, {}),
    ]:
        response = await client.request(method, path, headers=keys[scope], **options)
        assert response.status_code == status, (scope, method, path, response.text)
        body = response.json() if response.content else None
        assert_matches_contract("admin-v2", method, template_of(path), status, body)


# --- lists ----------------------------------------------------------------------------------


async def test_the_list_pages_newest_first_with_cursors_and_a_link_header(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    for n in range(5):
        await create(client, tenant, merchant_id=f"o{n}")
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        response = await api(client, tenant, "GET", ORDERS, 200, params=params)
        body = response.json()
        seen += [order["merchant_id"] for order in body["orders"]]
        if body["cursor"]["next"] is None:
            assert 'rel="next"' not in response.headers.get("link", "")
            break
        assert 'rel="next"' in response.headers["link"]
        assert response.headers["link"].startswith("<http://testserver/v2/orders?cursor=")
        params = {"cursor": body["cursor"]["next"], "limit": "2"}
    assert seen == ["o4", "o3", "o2", "o1", "o0"]
    first = (await api(client, tenant, "GET", ORDERS, 200, params={"limit": "1"})).json()
    since = {"since_id": str(first["orders"][0]["id"] - 2)}
    later = (await api(client, tenant, "GET", ORDERS, 200, params=since)).json()
    assert [order["merchant_id"] for order in later["orders"]] == ["o3", "o4"]


async def test_the_list_filters_by_creation_and_update_times(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await make_customer(db, tenant, "c1")
    await create(client, tenant, merchant_id="old")
    await create(client, tenant, merchant_id="new")
    async with db.begin() as conn:
        long_ago = utcnow().replace(year=2020)
        await conn.execute(
            orders.update()
            .where(orders.c.merchant_id == "old")
            .values(created_at=long_ago, updated_at=long_ago)
        )

    async def names(**params: str) -> list[str]:
        body = (await api(client, tenant, "GET", ORDERS, 200, params=params)).json()
        return [order["merchant_id"] for order in body["orders"]]

    assert await names(created_at_min="2021-01-01") == ["new"]
    assert await names(created_at_max="2021-01-01T00:00:00Z") == ["old"]
    assert await names(updated_at_max="2021-01-01") == ["old"]
    assert await names(updated_at_min="2021-01-01", created_at_min="2019-01-01") == ["new"]
    bad = await api(client, tenant, "GET", ORDERS, 400, params={"created_at_min": "soon"})
    assert "created_at_min" in bad.json()["error"]["details"]
    for query in ({"limit": "0"}, {"limit": "501"}, {"cursor": "junk"}):
        await api(client, tenant, "GET", ORDERS, 400, params=query)


async def test_every_order_has_a_customer_of_its_program(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await shop(db)
    await create(client, tenant, customer_id="c9", customer_email="c9@example.com")
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(orders.c.customer_id, orders.c.program_id))).one()
        owner = await conn.scalar(sa.select(customers.c.program_id).where(customers.c.id == row[0]))
    assert owner == row[1] == tenant.program_id
