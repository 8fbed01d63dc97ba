"""Admin API v2 transactions, the program's and one customer's: JSON and CSV, filters, pages,
on both databases; every JSON body checked against the served contract."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.loyalty.ledger import record
from tests.contract import assert_matches_contract
from tests.factories import Tenant, make_customer, make_tenant
from tests.headless.helpers import PREFIX, demo_tenant, member

PROGRAM = "/v2/transactions"
CUSTOMER = "/v2/customers/{merchant_id}/transactions"


def customer_path(merchant_id: str) -> str:
    return CUSTOMER.format(merchant_id=merchant_id)


async def transactions(
    client: httpx.AsyncClient, tenant: Tenant, query: str = "", merchant_id: str | None = None
) -> Any:
    template = PROGRAM if merchant_id is None else CUSTOMER
    url = PROGRAM if merchant_id is None else customer_path(merchant_id)
    response = await client.get(f"{url}?{query}", headers=tenant.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_matches_contract("admin-v2", "get", template, 200, body)
    return body


async def add_entry(db: AsyncEngine, tenant: Tenant, customer_id: int, **entry: Any) -> int:
    async with db.begin() as conn:
        return await record(conn, program_id=tenant.program_id, customer_id=customer_id, **entry)


async def test_each_kind_of_entry_is_its_resource_with_the_customer_as_now(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "m1", points=1000)  # joining: an activity (rule 1)
    redeemed = await client.post(
        f"{PREFIX}/{tenant.site.id}/rewards/cart_discount_voucher/redeem?channel=web",
        json={"reward_id": 1, "customer_merchant_id": "m1"},
        headers=tenant.auth,
    )
    claim_id = redeemed.json()["claimed_reward"]["id"]
    await client.post(
        "/v2/customers/m1/points", json={"points": 7, "reason": "Goodwill"}, headers=tenant.auth
    )
    owner = (await transactions(client, tenant))["transactions"][0]["customer"]
    expired = await add_entry(
        db, tenant, owner["id"], points=-50, state="expired", reason="x", kind="points_expired"
    )
    pending = await add_entry(
        db, tenant, owner["id"], points=30, state="pending", reason="x", kind="points_added"
    )
    body = await transactions(client, tenant)
    shown = body["transactions"]
    assert [t["resource"] for t in shown] == [
        "adjustment",
        "expiry",
        "adjustment",
        "claimed_reward",
        "adjustment",  # the factory's 1,000 points
        "activity",
    ]
    assert all(t["customer"] == shown[0]["customer"] for t in shown)
    assert shown[0]["customer"]["points_approved"] == 1100 - 500 + 7 - 50
    assert shown[0]["customer"]["points_pending"] == 30
    assert shown[0]["customer"]["points_spent"] == 500
    assert (shown[0]["id"], shown[0]["points_approved"], shown[0]["points_pending"]) == (
        pending,
        0,
        30,
    )
    assert shown[1]["expiry"] == {"id": expired} and shown[1]["points_approved"] == -50
    assert shown[2]["adjustment"]["reason"] == "Goodwill" and shown[2]["points_approved"] == 7
    assert shown[3]["claimed_reward"] == {"id": claim_id, "reward_id": 1, "refund": False}
    assert shown[3]["points_approved"] == -500
    activity = shown[5]["activity"]
    assert activity["rule"]["id"] == 1 and activity["rule"]["name"] == "join_program"
    assert activity["state"] == "approved" and activity["customer"] == shown[5]["customer"]
    assert activity["flow"] is None and activity["resource"] is None
    assert shown[5]["points_approved"] == 100
    for t in shown:
        others = {"activity", "claimed_reward", "adjustment", "expiry"} - {t["resource"]}
        assert all(t[name] is None for name in others)
        assert t["created_at"].endswith("Z")


async def test_tier_entries_and_other_zero_point_entries_are_not_transactions(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1", points=5)
    await add_entry(
        db, tenant, made.id, points=0, state="approved", reason="tier", kind="entered_tier"
    )
    body = await transactions(client, tenant)
    assert [t["points_approved"] for t in body["transactions"]] == [5]


async def test_a_refund_is_a_claimed_reward_transaction_giving_the_points_back(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="1000/second")
    await member(client, db, tenant, "m1", points=5000)
    redeemed = await client.post(
        f"{PREFIX}/{tenant.site.id}/rewards/product_cart/redeem?channel=web",
        json={
            "reward_id": 7,
            "customer_merchant_id": "m1",
            "variant_id": "80011",
            "cart_id": "cart-1",
        },
        headers=tenant.auth,
    )
    assert redeemed.status_code == 201, redeemed.text
    claim = redeemed.json()["claimed_reward"]["id"]
    refunded = await client.post(
        f"{PREFIX}/{tenant.site.id}/rewards/product_cart/refund?channel=web",
        json={"claimed_reward_id": claim},
        headers=tenant.auth,
    )
    assert refunded.status_code == 201, refunded.text
    newest = (await transactions(client, tenant))["transactions"][0]
    assert newest["resource"] == "claimed_reward"
    assert newest["claimed_reward"]["refund"] is True and newest["points_approved"] > 0


async def test_a_customers_transactions_are_theirs_only(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    one = await make_customer(db, tenant, "one", points=1)
    await make_customer(db, tenant, "two", points=2)
    body = await transactions(client, tenant, merchant_id="one")
    assert [(t["customer"]["id"], t["points_approved"]) for t in body["transactions"]] == [
        (one.id, 1)
    ]


async def test_the_customer_id_filter_narrows_the_programs_list(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "one", points=1)
    two = await make_customer(db, tenant, "two", points=2)
    body = await transactions(client, tenant, f"customer_id={two.id}")
    assert [t["points_approved"] for t in body["transactions"]] == [2]


async def test_created_at_filters_are_at_or_after_and_before(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1")
    for day, points in ((1, 10), (2, 20), (3, 30)):
        at = datetime(2024, 5, day, tzinfo=UTC)
        await add_entry(db, tenant, made.id, points=points, state="approved", reason="r", at=at)
    body = await transactions(client, tenant, "created_at_min=2024-05-02&created_at_max=2024-05-03")
    assert [t["points_approved"] for t in body["transactions"]] == [20]


async def test_pages_newest_first_with_cursors_that_keep_the_filters(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1")
    other = await make_customer(db, tenant, "c2", points=99)
    ids = [
        await add_entry(db, tenant, made.id, points=n, state="approved", reason="r")
        for n in range(1, 6)
    ]
    response = await client.get(f"{PROGRAM}?limit=2&customer_id={made.id}", headers=tenant.auth)
    first = response.json()
    assert [t["id"] for t in first["transactions"]] == [ids[4], ids[3]]
    assert 'rel="next"' in response.headers["link"]
    second = await transactions(client, tenant, f"cursor={first['cursor']['next']}&limit=2")
    third = await transactions(client, tenant, f"cursor={second['cursor']['next']}&limit=2")
    assert [t["id"] for t in second["transactions"]] == [ids[2], ids[1]]
    assert [t["id"] for t in third["transactions"]] == [ids[0]]  # never c2's entry
    assert third["cursor"]["next"] is None
    assert other.id not in {t["customer"]["id"] for t in third["transactions"]}


async def test_since_id_lists_oldest_first_after_that_id(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1")
    ids = [
        await add_entry(db, tenant, made.id, points=n, state="approved", reason="r")
        for n in range(1, 4)
    ]
    body = await transactions(client, tenant, f"since_id={ids[0]}", merchant_id="c1")
    assert [t["id"] for t in body["transactions"]] == ids[1:]


async def test_csv_has_a_header_row_one_row_per_transaction_and_cursors_only_in_the_link(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    made = await make_customer(db, tenant, "c1", email="=cmd@example.com")
    for n in range(3):
        await add_entry(
            db, tenant, made.id, points=n + 1, state="approved", reason="r", label=f"why {n}"
        )
    response = await client.get(f"{PROGRAM}?type=csv&limit=2", headers=tenant.auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "id",
        "created_at",
        "resource",
        "points_approved",
        "points_pending",
        "customer_id",
        "customer_merchant_id",
        "customer_email",
        "resource_id",
        "description",
    ]
    assert [row[3] for row in rows[1:]] == ["3", "2"]
    assert rows[1][2] == "adjustment" and rows[1][9] == "why 2"
    assert rows[1][7] == "'=cmd@example.com"  # never a formula in a spreadsheet
    assert "cursor" not in response.text
    next_url = response.headers["link"].split(">", 1)[0].lstrip("<")
    rest = await client.get(next_url.replace("http://testserver", ""), headers=tenant.auth)
    assert rest.headers["content-type"].startswith("text/csv")
    assert [row[3] for row in list(csv.reader(io.StringIO(rest.text)))[1:]] == ["1"]


async def test_an_empty_csv_is_its_header_row(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    await make_customer(db, tenant, "c1")
    response = await client.get(customer_path("c1") + "?type=csv", headers=tenant.auth)
    assert response.text.count("\r\n") == 1 and "link" not in response.headers


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=xml", "type"),
        ("customer_id=abc", "customer_id"),
        ("customer_id=0", "customer_id"),
        ("customer_id=99999999999", "customer_id"),
        ("created_at_min=soon", "created_at_min"),
        ("limit=0", "limit"),
        ("since_id=-1", "since_id"),
        ("cursor=abc", "cursor"),
    ],
)
async def test_bad_parameters_are_a_400_naming_the_parameter(
    client: httpx.AsyncClient, db: AsyncEngine, query: str, field: str
) -> None:
    tenant = await make_tenant(db)
    response = await client.get(f"{PROGRAM}?{query}", headers=tenant.auth)
    assert response.status_code == 400
    body = response.json()
    assert_matches_contract("admin-v2", "get", PROGRAM, 400, body)
    assert field in body["error"]["details"]


async def test_another_programs_customer_is_a_404_and_its_transactions_never_show(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    mine = await make_tenant(db, name="Mine")
    theirs = await make_tenant(db, name="Theirs")
    their_customer = await make_customer(db, theirs, "theirs", points=5)
    response = await client.get(customer_path("theirs"), headers=mine.auth)
    assert response.status_code == 404
    assert_matches_contract("admin-v2", "get", CUSTOMER, 404, response.json())
    body = await transactions(client, mine, f"customer_id={their_customer.id}")
    assert body["transactions"] == []
    assert (await transactions(client, mine))["transactions"] == []


@pytest.mark.parametrize("scopes", [["read_customers"], ["write_customers"]])
async def test_read_customers_or_write_customers_may_list(
    client: httpx.AsyncClient, db: AsyncEngine, scopes: list[str]
) -> None:
    tenant = await make_tenant(db, scopes=scopes)
    assert (await client.get(PROGRAM, headers=tenant.auth)).status_code == 200


async def test_other_scopes_may_not_list(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await make_tenant(db, scopes=["read_orders", "write_unsubscribes"])
    await make_customer(db, tenant, "c1")
    for template, url in ((PROGRAM, PROGRAM), (CUSTOMER, customer_path("c1"))):
        response = await client.get(url, headers=tenant.auth)
        assert response.status_code == 403
        assert_matches_contract("admin-v2", "get", template, 403, response.json())
