"""Every path of the contract is served, refuses a missing key, and names bad body fields."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.api.contract import load_contract
from tests.contract import assert_matches_contract
from tests.headless.helpers import CONTRACT, PREFIX, assert_contract_body, demo_tenant

OPERATIONS = [
    (method, path)
    for path, operations in load_contract(CONTRACT)["paths"].items()
    for method in operations
    if method in ("get", "post")
]
POSTS_WITH_BODIES = [
    path
    for path, operations in load_contract(CONTRACT)["paths"].items()
    if "requestBody" in operations.get("post", {})
]


def concrete(path: str, site_id: int) -> str:
    return path.replace("{site_id}", str(site_id)).replace("{merchant_id}", "1001")


async def test_every_operation_is_served_and_needs_an_api_key(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await demo_tenant(db)
    assert len(OPERATIONS) == 24
    for method, path in OPERATIONS:
        response = await client.request(
            method, concrete(path, tenant.site.id) + "?channel=web", json={}
        )
        assert response.status_code == 401, (method, path, response.text)
        assert_matches_contract(CONTRACT, method, path, 401, response.json())


async def test_every_body_names_its_bad_fields(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    assert POSTS_WITH_BODIES
    for path in POSTS_WITH_BODIES:
        response = await client.post(
            concrete(path, tenant.site.id) + "?channel=web",
            json={"unexpected": 1},
            headers=tenant.auth,
        )
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert_matches_contract(CONTRACT, "post", path, 400, body)
        assert body["error"]["details"], path


async def test_a_body_that_is_not_json_is_a_400(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    tenant = await demo_tenant(db)
    response = await client.post(
        f"{PREFIX}/{tenant.site.id}/rules/custom/complete?channel=web",
        content=b"{not json",
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": {"message": "The request body is not valid JSON"}}
    assert_contract_body(response)
