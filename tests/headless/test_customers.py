"""Initialize Session, Get Customer, Enroll, Set Birthday and Email Marketing Subscribe, on both
databases; every body is checked against the contract."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.demo.setup import demo_document_data
from tessera.store.tables import customers
from tests.headless.helpers import call, demo_tenant, member, session


def earned(customer: dict[str, object], kind: str) -> list[dict[str, object]]:
    history = customer["history"]
    assert isinstance(history, list)
    return [
        h for h in history if h["kind"] == "earned_points_from_rule" and h["rule"]["kind"] == kind
    ]


async def test_a_new_customer_is_created_enrolled_and_awarded_join_program(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    body = await session(client, tenant, "1001")
    customer = body["customer"]
    assert customer["state"] == "enrolled"
    assert customer["merchant_id"] == "1001"
    assert customer["points_approved"] == 100
    assert len(earned(customer, "join_program")) == 1
    assert customer["tier_membership"]["tier_id"] == 1
    assert body["requested_cart_actions"] == []
    assert body["configuration"]["channel"] == "web"


async def test_join_program_is_awarded_once(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001")
    again = await session(client, tenant, "1001")
    assert again["customer"]["points_approved"] == 100


async def test_without_auto_enrol_a_new_customer_is_a_guest(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    program = demo_document_data()
    assert isinstance(program, dict)
    tenant = await demo_tenant(db, program={**program, "auto_enrol": False})
    body = await session(client, tenant, "1001")
    assert body["customer"] == {
        "id": body["customer"]["id"],
        "merchant_id": "1001",
        "email": "1001@example.com",
        "first_name": None,
        "last_name": None,
        "state": "guest",
    }
    enrolled = await call(client, tenant, "POST", "/customers/1001/enroll", status=200)
    assert enrolled.json()["enrolled"] is True
    assert enrolled.json()["customer"]["points_approved"] == 100
    again = await call(client, tenant, "POST", "/customers/1001/enroll", status=200)
    assert again.json()["enrolled"] is False


async def test_an_email_of_another_customer_is_422_email_already_in_use(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001")
    response = await call(
        client,
        tenant,
        "POST",
        "/customers/1002/sessions",
        json={"customer": {"email": "1001@EXAMPLE.com"}},
        status=422,
    )
    assert response.json()["error"]["code"] == "email_already_in_use"


async def test_a_matching_pageview_on_web_earns_points_within_its_limit(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    page = {"page_url": "https://demo.tessera.example/products/tote"}
    for _ in range(7):
        body = await session(client, tenant, "1001", session=page)
    # 5 a day at 10 points, on top of joining.
    assert body["customer"]["points_approved"] == 100 + 5 * 10
    rule = next(r for r in body["customer"]["available_rules"] if r["kind"] == "pageview")
    assert rule["context"]["completion_limit"]["state"] == "limit_reached_until_reset"


async def test_a_pageview_elsewhere_or_off_web_earns_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001", session={"page_url": "https://demo.tessera.example/cart"})
    body = await session(
        client,
        tenant,
        "1001",
        channel="pos",
        session={"page_url": "https://demo.tessera.example/products/tote"},
    )
    assert earned(body["customer"], "pageview") == []


async def test_a_mobile_session_completes_the_mobile_app_rule_once_a_day(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001", channel="mobile")
    body = await session(client, tenant, "1001", channel="mobile")
    assert body["customer"]["points_approved"] == 100 + 20
    assert len(earned(body["customer"], "custom")) == 1


async def test_get_customer_reads_without_writing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    missing = await call(client, tenant, "GET", "/customers/1001", status=404)
    assert missing.json()["error"]["code"] == "not_found"
    await session(client, tenant, "1001")
    found = await call(client, tenant, "GET", "/customers/1001", channel="mobile", status=200)
    assert found.json()["customer"]["points_approved"] == 100
    assert found.json()["channel"] == "mobile"


async def test_blocked_customers_get_the_blocked_shape_and_cannot_enrol(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001")
    async with db.begin() as conn:
        await conn.execute(customers.update().values(state="blocked"))
    body = await session(client, tenant, "1001")
    assert body["customer"]["state"] == "blocked"
    response = await call(client, tenant, "POST", "/customers/1001/enroll", status=422)
    assert response.json()["error"]["code"] == "customer_blocked"


async def test_set_birthday_stores_it_and_says_whether_it_changed(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001")
    birthday = {"birthday": {"month": 6, "day": 22, "year": 1990}}
    first = await call(
        client, tenant, "POST", "/customers/1001/birthday", json=birthday, status=200
    )
    assert first.json()["updated"] is True
    assert first.json()["customer"]["birthday"] == {"month": 6, "day": 22, "year": 1990}
    assert first.json()["customer"]["next_birthday"].endswith("-06-22")
    second = await call(client, tenant, "POST", "/customers/1001/birthday", json=birthday)
    assert second.json()["updated"] is False


async def test_an_impossible_birthday_is_422_invalid_date(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001")
    response = await call(
        client,
        tenant,
        "POST",
        "/customers/1001/birthday",
        json={"birthday": {"month": 2, "day": 30, "year": 1990}},
        status=422,
    )
    assert response.json()["error"]["code"] == "invalid_date"


async def test_a_birthday_session_awards_the_birthday_rule(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001")
    today = datetime.now(UTC)
    async with db.begin() as conn:
        await conn.execute(
            customers.update().values(
                birthday_month=today.month, birthday_day=today.day, birthday_year=1990
            )
        )
    await session(client, tenant, "1001")
    body = await session(client, tenant, "1001")
    assert len(earned(body["customer"], "birthday")) == 1


async def test_a_birthday_rule_without_a_limit_pays_once_a_year(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    program = demo_document_data()
    assert isinstance(program, dict)
    rules = [{k: v for k, v in r.items() if k != "limit"} for r in program["rules"]]
    tenant = await demo_tenant(db, program={**program, "rules": rules})
    await session(client, tenant, "1001")
    today = datetime.now(UTC)
    async with db.begin() as conn:
        await conn.execute(
            customers.update().values(birthday_month=today.month, birthday_day=today.day)
        )
    await session(client, tenant, "1001")
    body = await session(client, tenant, "1001")
    assert len(earned(body["customer"], "birthday")) == 1
    birthday = next(r for r in body["configuration"]["rules"] if r["kind"] == "birthday")
    assert birthday["limit"] == {"count": 1, "interval": "year"}


async def test_subscribing_to_email_marketing_awards_newsletter_signup_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await session(client, tenant, "1001")
    path = "/customers/1001/email_marketing/subscribe"
    first = (await call(client, tenant, "POST", path, status=200)).json()
    assert first["updated"] is True
    assert first["email_marketing_consent"] == {"state": "subscribed"}
    assert [a["points"] for a in first["actions"]] == [50]
    second = (await call(client, tenant, "POST", path, status=200)).json()
    assert second["updated"] is False
    assert second["actions"] == []
    assert second["customer"]["points_approved"] == 150


async def test_writes_to_an_unknown_customer_are_404(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await call(client, tenant, "POST", "/customers/404/enroll", status=404)
    await call(client, tenant, "POST", "/customers/404/email_marketing/subscribe", status=404)


async def test_a_guest_cannot_subscribe(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    program = demo_document_data()
    assert isinstance(program, dict)
    tenant = await demo_tenant(db, program={**program, "auto_enrol": False})
    await session(client, tenant, "1001")
    response = await call(
        client, tenant, "POST", "/customers/1001/email_marketing/subscribe", status=422
    )
    assert response.json()["error"]["code"] == "customer_not_enrolled"


async def test_a_bad_session_body_names_every_bad_field(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await call(
        client,
        tenant,
        "POST",
        "/customers/1001/sessions",
        json={"customer": {}, "cart": {"kind": "bogus"}},
        status=400,
    )
    details = response.json()["error"]["details"]
    assert "customer.email" in details
    assert "cart" in " ".join(details)


async def test_tier_progress_follows_points(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    body = await member(client, db, tenant, "1001", points=1500)
    membership = body["customer"]["tier_membership"]
    assert membership["tier_id"] == 2
    assert membership["progress"]["upgrade_tier_id"] == 3
    assert membership["progress"]["points_needed_for_upgrade"] == 3000 - 1600
    kinds = [h["kind"] for h in body["customer"]["history"]]
    assert "entered_tier" in kinds
    async with db.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(customers))
    assert count == 1
