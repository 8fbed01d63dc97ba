"""Request schemas: the contract's own where it has them (customer sessions, customer
create), written in the same JSON Schema style for the operations the extract leaves out."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from tessera.api.contract import load_contract

FORM = "application/x-www-form-urlencoded"

_STRING = {"type": "string", "maxLength": 5000}
_EXPAND = {"type": "array", "items": _STRING}
_METADATA = {
    "anyOf": [
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "string", "enum": [""]},
    ]
}
_ALLOW_REDISPLAY = {"type": "string", "enum": ["always", "limited", "unspecified"]}


def _request_schema(contract: str, path: str, method: str) -> dict[str, Any]:
    operation = load_contract(contract)["paths"][path][method]
    schema: dict[str, Any] = operation["requestBody"]["content"][FORM]["schema"]
    return copy.deepcopy(schema)


@cache
def customer_session_create() -> dict[str, Any]:
    schema = _request_schema("stripe", "/v1/customer_sessions", "post")
    # The contract types the limit as a bare integer; Stripe's documentation bounds it 1..10.
    features = schema["properties"]["components"]["properties"]["payment_element"]["properties"][
        "features"
    ]
    features["properties"]["payment_method_redisplay_limit"].update(minimum=1, maximum=10)
    return schema


# The customer fields Tessera stores; the contract's other create parameters are refused by name.
CUSTOMER_SUPPORTED = {"description", "email", "expand", "metadata", "name", "phone"}


@cache
def customer_create() -> dict[str, Any]:
    return _request_schema("stripe", "/v1/customers", "post")


@cache
def customer_update() -> dict[str, Any]:
    # Stripe's update takes the create parameters (less a few create-only ones).
    schema = customer_create()
    properties = {k: v for k, v in schema["properties"].items() if k not in {"test_clock"}}
    return {**schema, "properties": properties}


RETRIEVE: dict[str, Any] = {"type": "object", "properties": {"expand": _EXPAND}}
EMPTY: dict[str, Any] = {"type": "object", "properties": {}}

_LIMIT = {"type": "integer", "minimum": 1, "maximum": 100}

CUSTOMER_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "email": {"type": "string", "maxLength": 512},
        "ending_before": _STRING,
        "expand": _EXPAND,
        "limit": _LIMIT,
        "starting_after": _STRING,
    },
}

PAYMENT_METHOD_CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "allow_redisplay": _ALLOW_REDISPLAY,
        "billing_details": {
            "type": "object",
            "properties": {
                "email": _STRING,
                "name": _STRING,
                "phone": _STRING,
            },
        },
        "card": {"type": "object", "properties": {"token": _STRING}, "required": ["token"]},
        "customer": _STRING,
        "expand": _EXPAND,
        "metadata": _METADATA,
        "payment_method": _STRING,
        "type": {"type": "string", "enum": ["card"]},
    },
}

PAYMENT_METHOD_UPDATE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "allow_redisplay": _ALLOW_REDISPLAY,
        "expand": _EXPAND,
        "metadata": _METADATA,
    },
}

PAYMENT_METHOD_ATTACH: dict[str, Any] = {
    "type": "object",
    "properties": {"customer": _STRING, "expand": _EXPAND},
    "required": ["customer"],
}

CUSTOMER_PAYMENT_METHOD_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "allow_redisplay": _ALLOW_REDISPLAY,
        "expand": _EXPAND,
        "limit": _LIMIT,
        "starting_after": _STRING,
        "type": {"type": "string", "enum": ["card"]},
    },
}

PAYMENT_METHOD_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {**CUSTOMER_PAYMENT_METHOD_LIST["properties"], "customer": _STRING},
}

CLAIM: dict[str, Any] = {
    "type": "object",
    "properties": {"client_secret": _STRING},
    "required": ["client_secret"],
}

EPHEMERAL_DETACH: dict[str, Any] = {
    "type": "object",
    "properties": {"ephemeral_key": _STRING},
    "required": ["ephemeral_key"],
}


# Webhook endpoints and events: the contract's own parameters (events.json).

WEBHOOK_ENDPOINTS = "/v1/webhook_endpoints"
WEBHOOK_ENDPOINT = "/v1/webhook_endpoints/{webhook_endpoint}"
# Tessera has no Connect: ``connect`` is refused by name.
WEBHOOK_CREATE_SUPPORTED = {
    "api_version",
    "description",
    "enabled_events",
    "expand",
    "metadata",
    "url",
}
WEBHOOK_UPDATE_SUPPORTED = {
    "description",
    "disabled",
    "enabled_events",
    "expand",
    "metadata",
    "url",
}
# ``delivery_success`` is refused by name.
EVENT_LIST_SUPPORTED = {
    "created",
    "ending_before",
    "expand",
    "limit",
    "starting_after",
    "type",
    "types",
}


def _query_schema(contract: str, path: str, method: str) -> dict[str, Any]:
    """An operation's query parameters as one object schema, as ``validate`` reads them."""
    operation = load_contract(contract)["paths"][path][method]
    properties = {
        parameter["name"]: copy.deepcopy(parameter["schema"])
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    if "limit" in properties:
        properties["limit"] = _LIMIT  # "Limit can range between 1 and 100"
    return {"type": "object", "properties": properties}


@cache
def webhook_endpoint_create() -> dict[str, Any]:
    return _request_schema("stripe", WEBHOOK_ENDPOINTS, "post")


@cache
def webhook_endpoint_update() -> dict[str, Any]:
    return _request_schema("stripe", WEBHOOK_ENDPOINT, "post")


@cache
def webhook_endpoint_list() -> dict[str, Any]:
    return _query_schema("stripe", WEBHOOK_ENDPOINTS, "get")


@cache
def event_list() -> dict[str, Any]:
    return _query_schema("stripe", "/v1/events", "get")


@cache
def event_retrieve() -> dict[str, Any]:
    return _query_schema("stripe", "/v1/events/{id}", "get")
