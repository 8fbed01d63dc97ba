"""A NUL character in any Stripe parameter (query, form, path, or a hash's key) is a 400
naming the parameter, on both databases: PostgreSQL text cannot hold NUL, SQLite can, and
the answer must not depend on which one is behind the server."""

from __future__ import annotations

import pytest

from tests.stripe.conftest import StripeWorld, http

CASES = [
    ("GET", "/v1/customers?expand[]=a%00b", None, "expand[0]"),
    ("GET", "/v1/customers?starting_after=cus_a%00b", None, "starting_after"),
    ("GET", "/v1/customers?ending_before=cus_a%00b", None, "ending_before"),
    ("GET", "/v1/customers?email=a%00b@example.com", None, "email"),
    ("GET", "/v1/customers/cus_a%00b", None, "id"),
    ("POST", "/v1/customers/cus_a%00b", "name=x", "id"),
    ("DELETE", "/v1/customers/cus_a%00b", None, "id"),
    ("GET", "/v1/customers/cus_a%00b/payment_methods", None, "id"),
    ("POST", "/v1/customers", "name=a%00b", "name"),
    ("POST", "/v1/customers", "metadata[a%00b]=x", "metadata"),
    ("POST", "/v1/customers", "metadata[k]=a%00b", "metadata[k]"),
    ("GET", "/v1/payment_methods?customer=cus_a%00b", None, "customer"),
    ("GET", "/v1/payment_methods/pm_a%00b", None, "id"),
    ("POST", "/v1/payment_methods/pm_a%00b/attach", "customer=cus_x", "id"),
    ("POST", "/v1/payment_methods/pm_a%00b/detach", None, "id"),
    ("POST", "/v1/customer_sessions", "customer=cus_a%00b", "customer"),
]


@pytest.mark.parametrize(("method", "path", "form", "param"), CASES)
async def test_a_nul_character_is_a_400_naming_the_parameter(
    world: StripeWorld, method: str, path: str, form: str | None, param: str
) -> None:
    response = http(
        method,
        world.url + path,
        headers={
            "Authorization": f"Bearer {world.keys.secret_key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        content=form,
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert "NUL" in error["message"]
