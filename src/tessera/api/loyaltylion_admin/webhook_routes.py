"""Admin API v2 webhooks: decode, check the key may hear the topic, call one service, encode.

A key registers only topics its scopes allow, as LoyaltyLion's keys do ("a token without any
*_customers scopes will not be able to register a customers/update webhook"); listing and
deleting take any key of the program. The site whose secret signs the webhook is the request's
(``?site_id``, needed only when the program has several)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera.api.body import read_json_body
from tessera.api.contract import decode_against_contract
from tessera.api.paths import path_number
from tessera.api.responses import json_response
from tessera.auth.principal import Principal
from tessera.kit.clock import iso_z
from tessera.kit.errors import Forbidden, NotFound
from tessera.loyalty import program_events as topics
from tessera.loyalty import program_webhooks
from tessera.sealing import server_key
from tessera.state import Tessera
from tessera.store.tables import MAX_ID
from tessera.store.transactions import write_transaction
from tessera.webhooks.endpoints import Endpoint

from .endpoint import admin_endpoint
from .request_site import request_site
from .webhook_schemas import CreateWebhookIn, WebhookEnvelopeOut, WebhookOut, WebhooksOut

CUSTOMERS = ("read_customers",)
# What a key needs to hear each topic (a write_ scope includes its read_ one).
TOPIC_SCOPES: dict[str, tuple[str, ...]] = {
    **{topic: CUSTOMERS for topic in topics.SENT},
    topics.RULE_COMPLETED: ("read_customers", "read_orders"),
    topics.REFERRAL_COMPLETE: ("read_customers", "read_orders"),
    topics.UNSUBSCRIBE: ("read_unsubscribes",),
}


def require_topic_scopes(principal: Principal, topic: str) -> None:
    for scope in TOPIC_SCOPES.get(topic, ()):
        try:
            principal.require_scope(scope)
        except Forbidden:
            needed = " and ".join(TOPIC_SCOPES[topic])
            raise Forbidden(
                f"This API key does not have the {scope} scope: {topic} webhooks need {needed}",
                missing_scope=scope,
            ) from None


def webhook_out(endpoint: Endpoint) -> WebhookOut:
    integration = endpoint.attributes.get("service_integration_id")
    return WebhookOut(
        id=endpoint.id,
        topic=endpoint.topics[0],
        address=endpoint.url,
        created_at=iso_z(endpoint.created_at, millis=True),
        updated_at=iso_z(endpoint.updated_at, millis=True),
        service_integration_id=integration if isinstance(integration, int) else None,
    )


@admin_endpoint()
async def create_webhook(request: Request, tessera: Tessera, principal: Principal) -> Response:
    body = decode_against_contract(
        await read_json_body(request, tessera.settings.max_body_bytes),
        CreateWebhookIn,
        "admin-v2",
        "WebhooksCreateWebhookRequestBody",
        program_webhooks.INVALID,
    ).webhook
    topic = program_webhooks.sent_topic(body.topic)
    require_topic_scopes(principal, topic)
    site = await request_site(tessera, principal, request.query_params.get("site_id"))
    integration = body.service_integration_id
    async with write_transaction(tessera.engine) as conn:
        endpoint = await program_webhooks.register_webhook(
            conn,
            program_id=principal.program_id,
            site_id=site.id,
            topic=topic,
            address=body.address,
            service_integration_id=None if not isinstance(integration, int) else integration,
            allow_private=tessera.settings.webhooks_allow_private,
            server_key=server_key(tessera.settings),
        )
    return json_response(WebhookEnvelopeOut(webhook_out(endpoint)), 201)


@admin_endpoint()
async def list_webhooks(request: Request, tessera: Tessera, principal: Principal) -> Response:
    async with tessera.engine.connect() as conn:
        found = await program_webhooks.list_webhooks(conn, principal.program_id)
    return json_response(WebhooksOut(webhooks=[webhook_out(endpoint) for endpoint in found]))


@admin_endpoint()
async def delete_webhook(request: Request, tessera: Tessera, principal: Principal) -> Response:
    webhook_id = path_number(request, "webhook_id")
    if not 0 < webhook_id <= MAX_ID:
        raise NotFound("webhook", f"Webhook with ID `{webhook_id}` not found")
    async with write_transaction(tessera.engine) as conn:
        await program_webhooks.delete_webhook(conn, principal.program_id, webhook_id)
    return Response(status_code=204)


routes = [
    Route("/webhooks", create_webhook, methods=["POST"]),
    Route("/webhooks", list_webhooks, methods=["GET"]),
    Route("/webhooks/{webhook_id}", delete_webhook, methods=["DELETE"]),
]
