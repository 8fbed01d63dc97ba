"""The OpenAPI contracts Tessera ships, and validation of bodies against their schemas.

Request bodies are decoded by msgspec on the happy path (fast); when that fails, the body is
checked against the contract's own JSON Schema to name *every* failing field, not just the
first one msgspec meets.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from typing import Any, TypeVar

import msgspec
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from tessera.kit.errors import Invalid

T = TypeVar("T")

CONTRACTS: dict[str, str | tuple[str, ...]] = {
    # The Admin API's endpoint groups each in a file of their own, served merged as one.
    "admin-v2": (
        "admin-v2.yaml",
        "admin-v2-orders.yaml",
        "admin-v2-customers.yaml",
        "admin-v2-activities.yaml",
        "admin-v2-rewards.yaml",
        "admin-v2-webhooks.yaml",
    ),
    "headless-2025-06": "headless-2025-06.yaml",
    # Stripe's extracts come in several files, and Tessera's additions (the operations the
    # extracts leave out, its own client-side endpoints) in one more; served merged as one.
    "stripe": (
        "customer_sessions.json",
        "customers.json",
        "events.json",
        "tessera-stripe.json",
    ),
}


def _read_document(filename: str) -> dict[str, Any]:
    text = files("tessera.openapi").joinpath(filename).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text) if filename.endswith(".yaml") else json.loads(text)
    return data


def _merge_documents(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The first document, with the paths, components and fixtures of the others added."""
    merged: dict[str, Any] = json.loads(json.dumps(documents[0]))
    for document in documents[1:]:
        for path, item in document.get("paths", {}).items():
            # One path can have its operations in several files (retrieve in Stripe's
            # extract, update and delete in Tessera's additions).
            merged.setdefault("paths", {}).setdefault(path, {}).update(item)
        for section, entries in document.get("components", {}).items():
            merged.setdefault("components", {}).setdefault(section, {}).update(entries)
        if "x-stripe-fixtures" in document:
            merged.setdefault("x-stripe-fixtures", {}).update(document["x-stripe-fixtures"])
    return merged


@cache
def load_contract(name: str) -> dict[str, Any]:
    source = CONTRACTS[name]
    if isinstance(source, tuple):
        return _merge_documents([_read_document(filename) for filename in source])
    return _read_document(source)


@cache
def contract_json(name: str) -> bytes:
    return json.dumps(load_contract(name), indent=1).encode()


@cache
def schema_validator(contract: str, schema: str) -> Draft202012Validator:
    """A validator for ``#/components/schemas/<schema>`` that resolves refs within the contract."""
    document = load_contract(contract)
    root = {**document, "$ref": f"#/components/schemas/{schema}"}
    return Draft202012Validator(root)


def _dotted(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_NAMES = {
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


def _describe(error: ValidationError) -> dict[str, str]:
    path = [p for p in error.absolute_path]
    field = _dotted(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    # jsonschema types validator_value loosely; it is the schema keyword's own value.
    value: Any = error.validator_value
    match error.validator:
        case "required":
            missing = str(error.message.split("'")[1]) if "'" in error.message else "?"
            return {_dotted([*path, missing]): "is required"}
        case "additionalProperties":
            known = set(schema.get("properties", {}))
            instance = error.instance if isinstance(error.instance, dict) else {}
            return {
                _dotted([*path, str(k)]): "is not a known field" for k in instance if k not in known
            }
        case "type":
            names = [value] if isinstance(value, str) else list(value)
            return {field: "must be " + " or ".join(_TYPE_NAMES.get(n, n) for n in names)}
        case "minLength":
            return {field: f"must be at least {error.validator_value} characters long"}
        case "maxLength":
            return {field: f"must be at most {error.validator_value} characters long"}
        case "pattern":
            return {field: f"must match the pattern {error.validator_value}"}
        case "enum":
            options = ", ".join(str(v) for v in value)
            return {field: f"must be one of: {options}"}
        case _:
            return {field: error.message}


def schema_errors(contract: str, schema: str, instance: Any) -> dict[str, str]:
    """Every violation of the contract schema, as ``{dotted.field: message}`` (root: ``body``)."""
    details: dict[str, str] = {}
    for error in schema_validator(contract, schema).iter_errors(instance):
        for field, message in _describe(error).items():
            details.setdefault(field or "body", message)
    return details


def decode_against_contract(
    body: bytes, kind: type[T], contract: str, schema: str, message: str
) -> T:
    """``body`` as ``kind`` (msgspec: the fast path). When that fails, Invalid with every field
    the contract's ``schema`` finds wrong; when the wire type is stricter than the contract
    (lengths, NUL characters, int32 ids) and the contract finds nothing, msgspec's own error
    still names the field."""
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        wire_error = str(exc)
    except msgspec.DecodeError:
        wire_error = ""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise Invalid("The request body is not valid JSON") from None
    details = schema_errors(contract, schema, data)
    if "body" in details:
        raise Invalid("The request body must be a JSON object")
    raise Invalid(message, details or wire_error_details(wire_error))


_WIRE_ERROR = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>.*)`$", re.DOTALL)
_WIRE_MESSAGES = (
    (re.compile(r"^Expected `str` matching regex "), "must not contain a NUL character"),
    (re.compile(r"^Expected `str` of length <= (\d+)$"), "must be at most {0} characters"),
    (re.compile(r"^Expected `int` (<=|>=) (-?\d+)$"), "must be {0} {1}"),
)


def wire_error_details(error: str) -> dict[str, str]:
    """``{"customer.email": "must be at most 320 characters"}`` from a msgspec ValidationError."""
    found = _WIRE_ERROR.match(error)
    if found is None or not found["path"]:
        return {"body": error or "is invalid"}
    message = found["message"]
    for pattern, text in _WIRE_MESSAGES:
        matched = pattern.match(message)
        if matched is not None:
            message = text.format(*matched.groups())
            break
    return {found["path"]: message}
