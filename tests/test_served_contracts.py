"""The served contracts are whole: every operation the dialects serve is documented in exactly
one of them, nothing is documented that is not served, and every ``$ref`` resolves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tessera.api.contract import CONTRACTS
from tests.route_table import DIALECTS, Operation, dialect_operations, other_operations

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the contracts are files: one database is enough


async def served_contracts(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    documents = {}
    for name in CONTRACTS:
        response = await client.get(f"/openapi/{name}.json")
        assert response.status_code == 200, name
        documents[name] = response.json()
    return documents


def documented(document: dict[str, Any]) -> set[Operation]:
    return {
        Operation(method.upper(), path)
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    }


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False  # every contract is served alone: no reference may leave it
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


async def test_every_dialect_route_is_in_exactly_one_served_contract(
    client: httpx.AsyncClient,
) -> None:
    documents = await served_contracts(client)
    for operation in dialect_operations():
        homes = [name for name, document in documents.items() if operation in documented(document)]
        assert homes == [operation.dialect], f"{operation} is documented in {homes}"


async def test_every_documented_operation_is_served(client: httpx.AsyncClient) -> None:
    served = set(dialect_operations())
    for name, document in (await served_contracts(client)).items():
        phantom = sorted(str(op) for op in documented(document) - served)
        assert not phantom, f"{name} documents operations Tessera does not serve: {phantom}"


def test_the_route_tables_are_read_whole() -> None:
    """Each dialect's routes are found, and the WebView's beside them (so the walk that finds
    them reaches into every mounted application)."""
    assert {op.dialect for op in dialect_operations()} == set(DIALECTS.values())
    assert any(op.path.startswith("/webview/") for op in other_operations())


@pytest.mark.parametrize("name", list(CONTRACTS))
async def test_every_reference_in_a_served_contract_resolves(
    client: httpx.AsyncClient, name: str
) -> None:
    document = (await served_contracts(client))[name]
    broken = sorted({ref for ref in refs(document) if not resolves(document, ref)})
    assert not broken, f"{name}: unresolved references {broken}"


@pytest.mark.parametrize("name", list(CONTRACTS))
async def test_every_operation_that_names_a_resource_documents_its_404(
    client: httpx.AsyncClient, name: str
) -> None:
    document = (await served_contracts(client))[name]
    missing = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item and "{" in path
        if not {"404", "default"} & set(item[method]["responses"])
    ]
    assert not missing, f"{name}: no 404 documented for {missing}"


async def test_tessera_own_stripe_operations_say_they_are_tessera_s(
    client: httpx.AsyncClient,
) -> None:
    paths = (await served_contracts(client))["stripe"]["paths"]
    for path in (
        "/v1/customer_sessions/claim",
        "/v1/customer_sessions/claim/payment_methods/{payment_method}/detach",
    ):
        operation = paths[path]["post"]
        assert "Tessera's own endpoint" in operation["x-tessera"]
        assert "(Tessera)" in operation["summary"]
