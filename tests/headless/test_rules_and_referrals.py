"""Rule-completion endpoints, referral shares and the referee incentive, on both databases."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.store.tables import referral_shares
from tests.headless.helpers import call, demo_tenant, member, session

RULES = {
    "clickthrough": 7,
    "custom": 8,
    "instagram_follow": 10,
    "facebook_like": 11,
    "tiktok_follow": 13,
}


def complete(rule_id: int, merchant_id: str = "1001") -> dict[str, object]:
    return {"rule_id": rule_id, "customer_merchant_id": merchant_id}


async def test_every_completable_rule_earns_its_points(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    for kind, rule_id in RULES.items():
        response = await call(
            client, tenant, "POST", f"/rules/{kind}/complete", json=complete(rule_id), status=200
        )
        action = response.json()["actions"][0]
        assert action["rule"] == {"id": rule_id, "kind": kind}
    body = (await call(client, tenant, "GET", "/customers/1001")).json()
    assert body["customer"]["points_approved"] == 100 + 25 + 75 + 30 + 30 + 30


async def test_a_forever_limit_is_limit_reached(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    path = "/rules/clickthrough/complete"
    await call(client, tenant, "POST", path, json=complete(7), status=200)
    response = await call(client, tenant, "POST", path, json=complete(7), status=422)
    assert response.json()["error"]["code"] == "rule_limit_reached"


async def test_a_disabled_rule_is_not_enabled_for_the_customer(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    response = await call(
        client, tenant, "POST", "/rules/twitter_follow/complete", json=complete(12), status=422
    )
    assert response.json()["error"]["code"] == "rule_not_enabled_for_customer"


async def test_the_mobile_app_rule_is_not_completed_by_the_custom_endpoint(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    response = await call(
        client, tenant, "POST", "/rules/custom/complete", json=complete(9), status=422
    )
    assert response.json()["error"]["code"] == "rule_not_enabled_for_customer"


async def test_the_wrong_endpoint_for_a_rule_is_rule_kind_mismatch(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    response = await call(
        client, tenant, "POST", "/rules/facebook_like/complete", json=complete(7), status=422
    )
    assert response.json()["error"]["code"] == "rule_kind_mismatch"
    await call(client, tenant, "POST", "/rules/custom/complete", json=complete(99), status=404)


async def test_a_guest_cannot_complete_rules(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    from tessera.demo.setup import demo_document_data

    program = demo_document_data()
    assert isinstance(program, dict)
    tenant = await demo_tenant(db, program={**program, "auto_enrol": False})
    await session(client, tenant, "1001")
    response = await call(
        client, tenant, "POST", "/rules/custom/complete", json=complete(8), status=422
    )
    assert response.json()["error"]["code"] == "customer_not_enrolled"


async def test_a_referral_share_is_recorded(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    await member(client, db, tenant, "1001")
    await call(
        client,
        tenant,
        "POST",
        "/referrals/shares",
        channel=None,
        json={"customer_merchant_id": "1001", "channel": "whatsapp"},
        status=204,
    )
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(referral_shares.c.channel)) == "whatsapp"
    await call(
        client,
        tenant,
        "POST",
        "/referrals/shares",
        channel=None,
        json={"customer_merchant_id": "nobody", "channel": "email"},
        status=404,
    )


async def test_a_referred_friend_gets_the_same_incentive_code_twice(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    body = await member(client, db, tenant, "1001")
    direct = body["customer"]["referral_urls"]["direct"]
    referral_id = direct.split("ll_ref_id=")[1]
    claim = {
        "referral_id": referral_id,
        "referee_email": "friend@example.com",
        "ip_address": "203.0.113.9",
        "user_agent": "Mozilla/5.0",
    }
    path = "/referrals/referee_incentive"
    first = await call(client, tenant, "POST", path, channel=None, json=claim, status=200)
    second = await call(client, tenant, "POST", path, channel=None, json=claim, status=200)
    assert first.json()["kind"] == "incentive"
    assert first.json()["incentive"]["code"] == second.json()["incentive"]["code"]


async def test_friends_without_an_email_get_a_code_per_ip_address(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    body = await member(client, db, tenant, "1001")
    referral_id = body["customer"]["referral_urls"]["direct"].split("ll_ref_id=")[1]
    path = "/referrals/referee_incentive"

    async def claim(ip_address: str) -> str:
        anonymous = {"referral_id": referral_id, "ip_address": ip_address, "user_agent": None}
        response = await call(client, tenant, "POST", path, channel=None, json=anonymous)
        assert response.status_code == 200, response.text
        code: str = response.json()["incentive"]["code"]
        return code

    first = await claim("203.0.113.9")
    assert await claim("203.0.113.9") == first  # a retry or reload: the same code
    assert await claim("198.51.100.7") != first  # another shopper: their own code


async def test_a_bad_referral_id_or_self_referral_is_refused(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    body = await member(client, db, tenant, "1001")
    referral_id = body["customer"]["referral_urls"]["direct"].split("ll_ref_id=")[1]
    path = "/referrals/referee_incentive"
    claim = {"referral_id": "nope", "ip_address": "203.0.113.9", "user_agent": None}
    bad = await call(client, tenant, "POST", path, channel=None, json=claim, status=422)
    assert bad.json()["error"]["code"] == "invalid_referral_id"
    own = {**claim, "referral_id": referral_id, "referee_email": "1001@example.com"}
    self_referral = await call(client, tenant, "POST", path, channel=None, json=own, status=422)
    assert self_referral.json()["error"]["code"] == "invalid_referee"
