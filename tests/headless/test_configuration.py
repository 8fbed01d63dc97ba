"""Get Configuration and the dialect's shared behaviour: auth, scopes, channel, language,
currency, country, errors and rate limits, on both databases."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.config import Settings
from tests.conftest import app_client
from tests.headless.helpers import (
    CURRENCIES,
    LANGUAGES,
    PREFIX,
    assert_contract_body,
    call,
    demo_tenant,
)


async def test_configuration_matches_the_contract_for_every_channel(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    for channel in ("web", "pos", "mobile"):
        body = (
            await call(client, tenant, "GET", "/configuration", channel=channel, status=200)
        ).json()
        assert body["channel"] == channel
        assert body["program"] == {"name": "Lion Rewards"}
        rule_ids = {rule["id"] for rule in body["rules"]}
        # The pageview rule is web-only, the mobile-app rule mobile-only.
        assert (6 in rule_ids) == (channel == "web")
        assert (9 in rule_ids) == (channel == "mobile")


async def test_configuration_has_a_variant_per_tier(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    body = (await call(client, tenant, "GET", "/configuration", status=200)).json()
    purchase = next(rule for rule in body["rules"] if rule["kind"] == "purchase")
    assert [(v["tier_id"], v["result"]["points"]) for v in purchase["variants"]] == [
        (1, 5),
        (2, 6),
        (3, 8),
    ]
    assert purchase["variants"][0]["result_short_text"] == "5 points per $1"
    percent_off = next(reward for reward in body["rewards"] if reward["id"] == 2)
    assert [v["enabled"] for v in percent_off["variants"]] == [False, True, True]
    tiers = body["tier_configuration"]["tiers"]
    assert [(t["lower_bound"], t["upper_bound"]) for t in tiers] == [
        (0, 999),
        (1000, 2999),
        (3000, None),
    ]


async def test_money_is_formatted_for_the_language_and_currency(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    params = {"language": "de", "currency": "eur"}
    body = (await call(client, tenant, "GET", "/configuration", params=params, status=200)).json()
    voucher = next(reward for reward in body["rewards"] if reward["id"] == 1)
    assert voucher["properties"]["discount"] == {"amount": 5, "formatted": "5\xa0€"}
    assert voucher["variants"][0]["title"] == "Wertgutschein"
    assert voucher["variants"][0]["cost_text"] == "500 Punkte"
    sek = (
        await call(
            client, tenant, "GET", "/configuration", params={"language": "sv", "currency": "sek"}
        )
    ).json()
    voucher = next(reward for reward in sek["rewards"] if reward["id"] == 1)
    assert voucher["properties"]["discount"] == {"amount": 50, "formatted": "50\xa0kr"}


async def test_the_demo_voucher_title_names_no_amount_in_any_currency(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    # Its discount is 5 $, 5 €, 4 £ or 50 kr: an amount in the title is wrong somewhere.
    tenant = await demo_tenant(db)
    titles = set()
    for language in LANGUAGES:
        for currency in CURRENCIES:
            params = {"language": language, "currency": currency}
            body = (await call(client, tenant, "GET", "/configuration", params=params)).json()
            voucher = next(reward for reward in body["rewards"] if reward["id"] == 1)
            title = voucher["variants"][0]["title"]
            assert not any(char.isdigit() or char in "$€£" for char in title), (params, title)
            titles.add((language, title))
    assert len({title for _, title in titles}) == len(LANGUAGES)


async def test_the_channel_can_come_from_the_header(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await call(
        client,
        tenant,
        "GET",
        "/configuration",
        channel=None,
        headers={"X-LoyaltyLion-Channel": "mobile"},
        status=200,
    )
    assert response.json()["channel"] == "mobile"


async def test_a_missing_or_bad_channel_is_a_400_naming_it(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    missing = await call(client, tenant, "GET", "/configuration", channel=None, status=400)
    assert "channel" in missing.json()["error"]["details"]
    bad = await call(client, tenant, "GET", "/configuration", channel="fax", status=400)
    assert bad.json()["error"]["details"] == {
        "channel": 'Invalid option: expected one of "web"|"pos"|"mobile"'
    }


async def test_a_language_the_site_does_not_have_is_a_400(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await call(
        client, tenant, "GET", "/configuration", params={"language": "ja"}, status=400
    )
    assert "language" in response.json()["error"]["details"]


async def test_rewards_are_filtered_by_country(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    japan = (
        await call(client, tenant, "GET", "/configuration", params={"country": "JP"}, status=200)
    ).json()
    uk = (await call(client, tenant, "GET", "/configuration", params={"country": "gb"})).json()
    assert 6 not in {reward["id"] for reward in japan["rewards"]}
    assert 6 in {reward["id"] for reward in uk["rewards"]}


async def test_requests_without_an_api_key_are_401(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await client.get(f"{PREFIX}/{tenant.site.id}/configuration?channel=web")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message"}
    assert_contract_body(response)


async def test_the_legacy_site_token_and_secret_are_not_accepted(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await client.get(
        f"{PREFIX}/{tenant.site.id}/configuration?channel=web",
        auth=(tenant.site_token, tenant.site_secret),
    )
    assert response.status_code == 401
    assert_contract_body(response)


async def test_reading_needs_the_read_customers_scope(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, scopes=["read_orders"])
    response = await call(client, tenant, "GET", "/configuration", status=403)
    assert response.json()["error"]["details"] == {"scope": "requires read_customers"}


async def test_the_write_customers_scope_includes_reading(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, scopes=["write_customers"])
    await call(client, tenant, "GET", "/configuration", status=200)


async def test_another_programs_site_is_404(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    other = await demo_tenant(db, name="Other Rewards")
    response = await client.get(
        f"{PREFIX}/{other.site.id}/configuration?channel=web", headers=tenant.auth
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert_contract_body(response)


async def test_unknown_paths_answer_in_the_headless_envelope(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    response = await client.get(f"{PREFIX}/{tenant.site.id}/nothing-here", headers=tenant.auth)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found"}}


async def test_rate_limited_requests_get_429_rate_limited(
    settings: Settings, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db, rate_limit="2/minute")
    async with app_client(settings) as client:
        for _ in range(2):
            await call(client, tenant, "GET", "/configuration", status=200)
        response = await call(client, tenant, "GET", "/configuration", status=429)
    assert response.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in response.headers


async def test_the_contract_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi/headless-2025-06.json")
    assert response.status_code == 200
    assert "/headless/2025-06/{site_id}/configuration" in response.json()["paths"]
