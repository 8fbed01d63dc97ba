"""Validate response bodies against Stripe's own schemas (the shipped spec extracts).

Stripe's spec is OpenAPI 3.0: ``nullable: true`` beside a type or an ``anyOf``, and references
to schemas the extract leaves out (address, discount...). This converts it to JSON Schema
once: ``nullable`` becomes "or null", and a reference to a schema that was not extracted
accepts anything (Tessera answers null for every such field, which ``nullable`` covers).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from tessera.api.contract import load_contract


def _convert(node: Any, known: set[str]) -> Any:
    if isinstance(node, list):
        return [_convert(item, known) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return node if name in known else {}
    out = {key: _convert(value, known) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _root() -> dict[str, Any]:
    schemas = load_contract("stripe")["components"]["schemas"]
    known = set(schemas)
    return {"components": {"schemas": _convert(schemas, known)}}


@cache
def _validator(schema: str) -> Draft202012Validator:
    return Draft202012Validator({**_root(), "$ref": f"#/components/schemas/{schema}"})


def assert_stripe_schema(schema: str, body: Any) -> None:
    """``body`` must be a valid ``#/components/schemas/<schema>`` of Stripe's spec."""
    errors = sorted(_validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"not a valid Stripe {schema}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors
    )


def assert_customer_or_deleted(body: Any) -> None:
    """GET /v1/customers/{id} answers ``anyOf: [customer, deleted_customer]``."""
    schema = "deleted_customer" if body.get("deleted") else "customer"
    assert_stripe_schema(schema, body)
