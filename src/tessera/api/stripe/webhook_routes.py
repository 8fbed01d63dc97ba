"""Stripe's webhook endpoints and events: decode, call one service, encode."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.routing import Route

from tessera.sealing import server_key
from tessera.webhooks import stripe_endpoints, stripe_event_log
from tessera.webhooks.stripe_event_log import EventFilter

from . import schemas
from .endpoint import Call, stripe_endpoint
from .params import ParamError, clearable, form_metadata
from .webhook_wire import DeletedWebhookEndpointOut, webhook_endpoint_out
from .wire import ListOut

# What ``types`` may hold at most, as Stripe says.
MAX_TYPES = 20
# ``data`` and ``request`` are expandable in Stripe's contract, and always whole already.
EVENT_EXPANDABLE = {"data": "events:read", "request": "events:read"}


@stripe_endpoint(
    schemas.webhook_endpoint_create,
    permission="webhook_endpoints:write",
    supported=schemas.WEBHOOK_CREATE_SUPPORTED,
)
async def create_webhook_endpoint(call: Call) -> Any:
    params = call.params
    metadata, _ = form_metadata(params)
    created = await stripe_endpoints.create_stripe_endpoint(
        call.conn,
        call.program_id,
        call.livemode,
        url=params["url"],
        enabled_events=params["enabled_events"],
        description=clearable(params.get("description")),
        metadata=metadata,
        api_version=params.get("api_version"),
        allow_private=call.tessera.settings.webhooks_allow_private,
        server_key=server_key(call.tessera.settings),
    )
    return webhook_endpoint_out(created.endpoint, secret=created.secret)


@stripe_endpoint(schemas.RETRIEVE, permission="webhook_endpoints:read")
async def retrieve_webhook_endpoint(call: Call) -> Any:
    endpoint = await stripe_endpoints.get_stripe_endpoint(
        call.conn, call.program_id, call.livemode, call.path_param("webhook_endpoint")
    )
    return webhook_endpoint_out(endpoint)


@stripe_endpoint(
    schemas.webhook_endpoint_update,
    permission="webhook_endpoints:write",
    supported=schemas.WEBHOOK_UPDATE_SUPPORTED,
)
async def update_webhook_endpoint(call: Call) -> Any:
    params = call.params
    metadata, metadata_given = form_metadata(params)
    endpoint = await stripe_endpoints.update_stripe_endpoint(
        call.conn,
        call.program_id,
        call.livemode,
        call.path_param("webhook_endpoint"),
        allow_private=call.tessera.settings.webhooks_allow_private,
        url=params.get("url"),
        enabled_events=params.get("enabled_events"),
        description=clearable(params.get("description")),
        description_given="description" in params,
        metadata=metadata,
        metadata_given=metadata_given,
        disabled=params.get("disabled"),
    )
    return webhook_endpoint_out(endpoint)


@stripe_endpoint(schemas.EMPTY, permission="webhook_endpoints:write")
async def delete_webhook_endpoint(call: Call) -> Any:
    endpoint = await stripe_endpoints.delete_stripe_endpoint(
        call.conn, call.program_id, call.livemode, call.path_param("webhook_endpoint")
    )
    return DeletedWebhookEndpointOut(id=endpoint.public_id)


@stripe_endpoint(schemas.webhook_endpoint_list, permission="webhook_endpoints:read")
async def list_webhook_endpoints(call: Call) -> Any:
    page = await stripe_endpoints.list_stripe_endpoints(
        call.conn,
        call.program_id,
        call.livemode,
        limit=call.params.get("limit", 10),
        starting_after=call.params.get("starting_after"),
        ending_before=call.params.get("ending_before"),
    )
    return ListOut(
        data=[webhook_endpoint_out(endpoint) for endpoint in page.endpoints],
        has_more=page.has_more,
        url="/v1/webhook_endpoints",
    )


def _moment(seconds: int, param: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ParamError(
            "parameter_invalid_integer",
            f"Invalid {param}: {seconds} is not a Unix timestamp of a year 1 to 9999",
            param,
        ) from None


def _created(value: int | dict[str, int]) -> tuple[datetime | None, datetime | None]:
    """``created`` (whole seconds, as events show it) as [since, until)."""
    if isinstance(value, int):
        return _moment(value, "created"), _moment(value + 1, "created")
    since: list[datetime] = []
    until: list[datetime] = []
    for op, seconds in value.items():
        param = f"created[{op}]"
        if op == "gt":
            since.append(_moment(seconds + 1, param))
        elif op == "gte":
            since.append(_moment(seconds, param))
        elif op == "lt":
            until.append(_moment(seconds, param))
        else:
            until.append(_moment(seconds + 1, param))
    return max(since, default=None), min(until, default=None)


def event_filter(params: dict[str, Any]) -> EventFilter:
    if "type" in params and "types" in params:
        raise ParamError(
            "parameters_exclusive", "You may pass either type or types, but not both.", "types"
        )
    types = params.get("types")
    if types is not None and not 1 <= len(types) <= MAX_TYPES:
        raise ParamError(
            "parameter_invalid_array",
            f"Invalid types: must hold 1 to {MAX_TYPES} event types",
            "types",
        )
    since, until = _created(params["created"]) if "created" in params else (None, None)
    return EventFilter(types=types, pattern=params.get("type"), since=since, until=until)


@stripe_endpoint(
    schemas.event_list,
    permission="events:read",
    supported=schemas.EVENT_LIST_SUPPORTED,
    expandable=EVENT_EXPANDABLE,
)
async def list_events(call: Call) -> Any:
    page = await stripe_event_log.list_events(
        call.conn,
        call.program_id,
        call.livemode,
        limit=call.params.get("limit", 10),
        matching=event_filter(call.params),
        starting_after=call.params.get("starting_after"),
        ending_before=call.params.get("ending_before"),
    )
    return ListOut(
        data=[msgspec.Raw(body) for body in page.bodies], has_more=page.has_more, url="/v1/events"
    )


@stripe_endpoint(schemas.event_retrieve, permission="events:read", expandable=EVENT_EXPANDABLE)
async def retrieve_event(call: Call) -> Any:
    body = await stripe_event_log.get_event(
        call.conn, call.program_id, call.livemode, call.path_param("id")
    )
    return msgspec.Raw(body)


routes = [
    Route("/webhook_endpoints", create_webhook_endpoint, methods=["POST"]),
    Route("/webhook_endpoints", list_webhook_endpoints, methods=["GET"]),
    Route("/webhook_endpoints/{webhook_endpoint}", retrieve_webhook_endpoint, methods=["GET"]),
    Route("/webhook_endpoints/{webhook_endpoint}", update_webhook_endpoint, methods=["POST"]),
    Route("/webhook_endpoints/{webhook_endpoint}", delete_webhook_endpoint, methods=["DELETE"]),
    Route("/events", list_events, methods=["GET"]),
    Route("/events/{id}", retrieve_event, methods=["GET"]),
]
