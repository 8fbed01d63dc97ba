"""Validate response bodies against Stripe's own schemas (the shipped spec extracts).

Stripe's spec is OpenAPI 3.0: ``nullable: true`` beside a type or an ``anyOf``, and references
to schemas the extract leaves out (address, discount...). This converts it to JSON Schema
once: ``nullable`` becomes "or null", and a reference to a schema that was not extracted
accepts anything (Tessera answers null for every such field, which ``nullable`` covers).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

import stripe
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


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    """(path pattern, method, responses) for every operation of the shipped Stripe contract."""
    found = []
    for template, item in load_contract("stripe")["paths"].items():
        pattern = re.compile(re.sub(r"\{[^}]+\}", "[^/]+", template) + r"\Z")
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                found.append((pattern, method.upper(), operation["responses"]))
    return found


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The JSON Schema the contract documents for this answer; None where it documents none
    (Tessera's own client-side and payment-method endpoints are not in Stripe's extract)."""
    if status >= 400:
        return {"$ref": "#/components/schemas/error"}
    for pattern, wanted, responses in _operations():
        if wanted == method and pattern.match(path):
            documented = responses.get(str(status)) or responses.get("default")
            if documented is None:
                return None
            schema = documented.get("content", {}).get("application/json", {}).get("schema")
            return (
                None if schema is None else _convert(schema, set(_root()["components"]["schemas"]))
            )
    return None


class ValidatingClient(stripe.RequestsClient):
    """The SDK's own HTTP client, checking every answer it receives against the contract, so
    that no test can read a body the contract would not allow, even one it never asserts on."""

    def request(  # type: ignore[override]
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> tuple[bytes, int, Any]:
        content, status, response_headers = super().request(method, url, headers, post_data)
        schema = response_schema(method.upper(), urlsplit(url).path, status)
        if schema is not None:
            errors = list(
                Draft202012Validator({**_root(), **schema}).iter_errors(json.loads(content))
            )
            assert not errors, f"{method.upper()} {url} {status} breaks the contract: " + "; ".join(
                f"{list(e.absolute_path)}: {e.message}" for e in errors
            )
        return content, status, response_headers
