"""Admin API v2 activity endpoints: decode, call one service, encode."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.api.body import read_json_body
from tessera.api.contract import decode_against_contract
from tessera.api.paths import path_text
from tessera.api.responses import json_response
from tessera.auth.principal import Principal
from tessera.kit.clock import iso_z, utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.loyalty.activities import TrackedActivity, track_activity
from tessera.loyalty.activity_list import Activity, list_activities
from tessera.loyalty.activity_states import change_activity_state
from tessera.loyalty.program_cache import program_in_force
from tessera.programs.configuration import ProgramDocument, current_document, localized
from tessera.programs.sites import list_sites
from tessera.shapes.loyaltylion.customers import customer_brief
from tessera.state import Tessera
from tessera.store.transactions import write_transaction

from .activity_schemas import (
    ActivitiesOut,
    ActivityOut,
    ActivityRuleOut,
    CreateActivityIn,
    UpdateActivityIn,
)
from .endpoint import admin_endpoint
from .pagination import cursors, iso_datetime, linked, list_request
from .request_site import request_site

MAX_PROPERTIES_BYTES = 4096
FILTERS = {"created_at_min": iso_datetime, "created_at_max": iso_datetime}


def _storable(value: str, max_length: int) -> str | None:
    if len(value) > max_length:
        return f"must be at most {max_length} characters long"
    if "\x00" in value:
        return "must not contain NUL characters"
    return None


def tracked_activity(body: CreateActivityIn) -> TrackedActivity:
    """Beyond the contract's types: what fits the columns on every database, an email that
    looks like one, a date that is one and properties of a bounded size."""
    customer_id = str(body.customer_id)
    properties = {} if isinstance(body.properties, msgspec.UnsetType) else body.properties
    encoded = msgspec.json.encode(properties)
    problems = {
        "name": _storable(body.name, 100),
        "customer_id": _storable(customer_id, 255)
        or (None if customer_id.strip() else "must not be empty"),
        "customer_email": _storable(body.customer_email, 320)
        or (None if "@" in body.customer_email else "must be an email address"),
        "merchant_id": None if body.merchant_id is None else _storable(body.merchant_id, 255),
        "properties": (
            f"must be at most {MAX_PROPERTIES_BYTES} bytes of JSON"
            if len(encoded) > MAX_PROPERTIES_BYTES
            else ("must not contain NUL characters" if b"\\u0000" in encoded else None)
        ),
    }
    details = {field: problem for field, problem in problems.items() if problem}
    if details:
        raise Invalid("The request body is invalid", details)
    occurred_at = utcnow() if body.date is None else iso_datetime("date", body.date)
    return TrackedActivity(
        name=body.name,
        customer_merchant_id=customer_id,
        customer_email=body.customer_email,
        merchant_id=body.merchant_id,
        properties=properties,
        occurred_at=occurred_at,
        guest=body.guest,
    )


@admin_endpoint(scope="write_customers")
async def create_activity(request: Request, tessera: Tessera, principal: Principal) -> Response:
    site = await request_site(tessera, principal, request.query_params.get("site_id"))
    raw = await read_json_body(request, tessera.settings.max_body_bytes)
    body = decode_against_contract(
        raw,
        CreateActivityIn,
        "admin-v2",
        "ActivitiesCreateActivityRequestBody",
        "The request body is invalid",
    )
    tracked = tracked_activity(body)
    program = await program_in_force(tessera.engine, site)
    async with write_transaction(tessera.engine) as conn:
        await track_activity(conn, program, tracked, utcnow())
    return Response(status_code=201)


def _addressed(request: Request, name: str, max_length: int) -> str:
    """A path text no activity could have (too long, NUL) is not found, not looked up."""
    value = path_text(request, name)
    if not value or _storable(value, max_length) is not None:
        raise NotFound("activity", "Activity not found")
    return value


@admin_endpoint(scope="write_customers")
async def update_activity(request: Request, tessera: Tessera, principal: Principal) -> Response:
    name = _addressed(request, "name", 100)
    merchant_id = _addressed(request, "merchant_id", 255)
    raw = await read_json_body(request, tessera.settings.max_body_bytes)
    body = decode_against_contract(
        raw,
        UpdateActivityIn,
        "admin-v2",
        "ActivitiesUpdateActivityRequestBody",
        "The request body is invalid",
    )
    async with write_transaction(tessera.engine) as conn:
        await change_activity_state(
            conn, principal.program_id, name, merchant_id, body.state, utcnow()
        )
    return Response(status_code=204)


def activity_out(activity: Activity, document: ProgramDocument, language: str) -> ActivityOut:
    rule = next((r for r in document.rules if r.id == activity.rule_id), None)
    linked = activity.rule_id is not None
    return ActivityOut(
        id=activity.id,
        merchant_id=activity.merchant_id,
        value=activity.value,
        state=activity.state,
        customer=customer_brief(activity.customer, activity.balances),
        created_at=iso_z(activity.created_at, millis=True),
        rule=ActivityRuleOut(
            id=activity.rule_id,
            name=activity.name if linked else None,
            title=(localized(rule.title, language) if rule else activity.name) if linked else None,
        ),
    )


@admin_endpoint(scope="read_customers")
async def activities_list(request: Request, tessera: Tessera, principal: Principal) -> Response:
    listing = list_request(request, FILTERS)
    chosen = {name: iso_datetime(name, raw) for name, raw in listing.filters.items()}
    async with tessera.engine.connect() as conn:
        found = await list_activities(
            conn,
            principal.program_id,
            listing.window,
            created_at_min=chosen.get("created_at_min"),
            created_at_max=chosen.get("created_at_max"),
        )
        document = await current_document(conn, principal.program_id)
        sites = await list_sites(conn, principal.program_id)
    language = sites[-1].default_language if sites else "en"
    shown = [activity_out(activity, document, language) for activity in found.activities]
    ids = [activity.id for activity in found.activities]
    pages = cursors(request, tessera.settings.public_url, listing, found.page, ids)
    return linked(json_response(ActivitiesOut(activities=shown, cursor=pages.body)), pages)


routes: list[BaseRoute] = [
    Route("/activities", create_activity, methods=["POST"]),
    Route("/activities", activities_list, methods=["GET"]),
    Route("/activities/{name}/{merchant_id}", update_activity, methods=["PUT"]),
]
