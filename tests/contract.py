"""Validate response bodies against the contract shipped with Tessera."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from tessera.api.contract import load_contract


def response_schema(contract: str, method: str, path: str, status: int) -> dict[str, Any] | None:
    document = load_contract(contract)
    responses = document["paths"][path][method.lower()]["responses"]
    response = responses.get(str(status))
    if response is None:
        raise AssertionError(f"{contract}: {method} {path} documents no {status} response")
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = document["components"]["responses"][name]
    content = response.get("content")
    if not content:
        return None
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def assert_matches_contract(contract: str, method: str, path: str, status: int, body: Any) -> None:
    """The body must be valid for the response the contract documents for ``status``."""
    schema = response_schema(contract, method, path, status)
    if schema is None:
        return
    document = load_contract(contract)
    validator = Draft202012Validator({**schema, "components": document.get("components", {})})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method} {path} {status} breaks the contract: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors
    )
