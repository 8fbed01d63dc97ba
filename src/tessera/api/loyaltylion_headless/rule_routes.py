"""Headless API 2025-06: completing the rules a customer completes by hand (clickthrough,
follows...)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from tessera.api.responses import json_response
from tessera.kit.clock import utcnow
from tessera.loyalty import members, rules
from tessera.loyalty.program_cache import program_in_force
from tessera.store.transactions import write_transaction

from . import schemas
from .customer import customer_body, rule_outcome_action
from .endpoint import WRITE, Call, decode_body, headless_endpoint

RULE_KINDS = (
    "clickthrough",
    "facebook_like",
    "twitter_follow",
    "instagram_follow",
    "tiktok_follow",
    "custom",
)


def rule_complete(kind: str) -> Any:
    @headless_endpoint(scope=WRITE)
    async def complete(call: Call) -> Response:
        body: schemas.CompleteRuleIn = await decode_body(
            call, "CompleteRuleRequest", schemas.CompleteRuleIn
        )
        view = call.view
        program = await program_in_force(call.tessera.engine, call.site)
        async with write_transaction(call.tessera.engine) as conn:
            customer = await members.locked_customer(conn, program, body.customer_merchant_id)
            rule = rules.find_completable_rule(program, body.rule_id, kind)
            outcome = await rules.complete_rule(
                conn,
                program,
                customer,
                rule,
                channel=view.channel,
                currency=view.currency,
                now=utcnow(),
            )
            shown = await customer_body(conn, program, customer, view)
        return json_response({"actions": [rule_outcome_action(outcome, view)], "customer": shown})

    complete.__name__ = f"complete_{kind}"
    return complete


rule_routes = [
    Route(f"/{{site_id}}/rules/{kind}/complete", rule_complete(kind), methods=["POST"])
    for kind in RULE_KINDS
]
