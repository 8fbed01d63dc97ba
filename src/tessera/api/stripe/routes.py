"""Stripe API endpoints: decode, call one service, encode."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from tessera.customers import stripe as customers
from tessera.customers.stripe_objects import customer_out, live_customer_out, payment_method_out
from tessera.payments import methods
from tessera.sessions import customer_sessions

from . import schemas
from .endpoint import Call, stripe_endpoint
from .params import ParamError, form_metadata
from .wire import ListOut, claim_out, customer_session_out


def _customer_fields(params: dict[str, Any]) -> dict[str, str | None]:
    """Stripe clears a field sent as an empty string."""
    return {name: (params[name] or None) for name in customers.CUSTOMER_FIELDS if name in params}


@stripe_endpoint(
    schemas.customer_create, permission="customers:write", supported=schemas.CUSTOMER_SUPPORTED
)
async def create_customer(call: Call) -> Any:
    metadata, _ = form_metadata(call.params)
    customer = await customers.create_customer(
        call.conn,
        call.program_id,
        call.livemode,
        fields=_customer_fields(call.params),
        metadata=metadata,
        origin=call.origin,
    )
    return live_customer_out(customer)


@stripe_endpoint(schemas.RETRIEVE, permission="customers:read")
async def retrieve_customer(call: Call) -> Any:
    customer = await customers.get_customer(
        call.conn, call.program_id, call.livemode, call.path_param("customer")
    )
    return customer_out(customer)


@stripe_endpoint(
    schemas.customer_update, permission="customers:write", supported=schemas.CUSTOMER_SUPPORTED
)
async def update_customer(call: Call) -> Any:
    metadata, given = form_metadata(call.params)
    customer = await customers.update_customer(
        call.conn,
        call.program_id,
        call.livemode,
        call.path_param("customer"),
        fields=_customer_fields(call.params),
        metadata=metadata,
        metadata_given=given,
        origin=call.origin,
    )
    return live_customer_out(customer)


@stripe_endpoint(schemas.EMPTY, permission="customers:write")
async def delete_customer(call: Call) -> Any:
    customer = await customers.delete_customer(
        call.conn, call.program_id, call.livemode, call.path_param("customer"), call.origin
    )
    return customer_out(customer)


@stripe_endpoint(schemas.CUSTOMER_LIST, permission="customers:read")
async def list_customers(call: Call) -> Any:
    page = await customers.list_customers(
        call.conn,
        call.program_id,
        call.livemode,
        limit=call.params.get("limit", 10),
        starting_after=call.params.get("starting_after"),
        ending_before=call.params.get("ending_before"),
        email=call.params.get("email"),
    )
    return ListOut(
        data=[customer_out(c) for c in page.customers], has_more=page.has_more, url="/v1/customers"
    )


@stripe_endpoint(
    schemas.customer_session_create,
    permission="customer_sessions:write",
    expandable={"customer": "customers:read"},
)
async def create_customer_session(call: Call) -> Any:
    if "customer" not in call.params:
        # The contract's customer_session always names its customer, and Tessera has no
        # Accounts: a session needs a customer; customer_account is accepted beside it.
        raise ParamError(
            "parameter_missing",
            "Missing required param: customer. Tessera has no Accounts: a customer session "
            "needs a customer (customer_account is accepted beside it).",
            "customer",
        )
    issued = await customer_sessions.create_customer_session(
        call.conn,
        call.program_id,
        call.livemode,
        customer_id=call.params["customer"],
        customer_account=call.params.get("customer_account"),
        components=call.params["components"],
    )
    return customer_session_out(
        issued.session, issued.client_secret, expand_customer="customer" in call.expand
    )


@stripe_endpoint(schemas.PAYMENT_METHOD_CREATE, permission="payment_methods:write")
async def create_payment_method(call: Call) -> Any:
    params = call.params
    if "payment_method" in params:
        token, field = params["payment_method"], "payment_method"
    elif "card" in params:
        token, field = params["card"]["token"], "card[token]"
    else:
        raise ParamError(
            "parameter_missing",
            "Missing required param: card. Pass card[token]=tok_visa (or another test token).",
            "card",
        )
    customer = None
    if "customer" in params:
        customer = await customers.get_live_customer_field(
            call.conn, call.program_id, call.livemode, params["customer"]
        )
    metadata, _ = form_metadata(params)
    method = await methods.create_payment_method(
        call.conn,
        call.program_id,
        call.livemode,
        token=token,
        token_field=field,
        allow_redisplay=params.get("allow_redisplay", "unspecified"),
        billing_details=params.get("billing_details"),
        metadata=metadata,
        customer=customer,
        origin=call.origin,
    )
    return payment_method_out(method)


@stripe_endpoint(schemas.RETRIEVE, permission="payment_methods:read")
async def retrieve_payment_method(call: Call) -> Any:
    method = await methods.get_payment_method(
        call.conn, call.program_id, call.livemode, call.path_param("payment_method")
    )
    return payment_method_out(method)


@stripe_endpoint(schemas.PAYMENT_METHOD_UPDATE, permission="payment_methods:write")
async def update_payment_method(call: Call) -> Any:
    metadata, given = form_metadata(call.params)
    method = await methods.update_payment_method(
        call.conn,
        call.program_id,
        call.livemode,
        call.path_param("payment_method"),
        allow_redisplay=call.params.get("allow_redisplay"),
        metadata=metadata,
        metadata_given=given,
        origin=call.origin,
    )
    return payment_method_out(method)


@stripe_endpoint(schemas.PAYMENT_METHOD_ATTACH, permission="payment_methods:write")
async def attach_payment_method(call: Call) -> Any:
    method = await methods.attach_payment_method(
        call.conn,
        call.program_id,
        call.livemode,
        call.path_param("payment_method"),
        call.params["customer"],
        call.origin,
    )
    return payment_method_out(method)


@stripe_endpoint(schemas.RETRIEVE, permission="payment_methods:write")
async def detach_payment_method(call: Call) -> Any:
    method = await methods.detach_payment_method(
        call.conn, call.program_id, call.livemode, call.path_param("payment_method"), call.origin
    )
    return payment_method_out(method)


async def _list_methods(call: Call, customer_id: str, url: str, *, in_url: bool) -> ListOut:
    # The customer in the URL is the resource (a 404 on id); in the query, a parameter (a 400
    # naming customer).
    find = customers.get_live_customer if in_url else customers.get_live_customer_field
    customer = await find(call.conn, call.program_id, call.livemode, customer_id)
    redisplay = call.params.get("allow_redisplay")
    page = await methods.list_customer_payment_methods(
        call.conn,
        customer,
        limit=call.params.get("limit", 10),
        allow_redisplay=None if redisplay is None else [redisplay],
        type=call.params.get("type"),
        starting_after=call.params.get("starting_after"),
    )
    return ListOut(
        data=[payment_method_out(m) for m in page.payment_methods],
        has_more=page.has_more,
        url=url,
    )


@stripe_endpoint(schemas.CUSTOMER_PAYMENT_METHOD_LIST, permission="payment_methods:read")
async def list_customer_payment_methods(call: Call) -> Any:
    customer_id = call.path_param("customer")
    url = f"/v1/customers/{customer_id}/payment_methods"
    return await _list_methods(call, customer_id, url, in_url=True)


@stripe_endpoint(schemas.PAYMENT_METHOD_LIST, permission="payment_methods:read")
async def list_payment_methods(call: Call) -> Any:
    if "customer" not in call.params:
        raise ParamError(
            "parameter_missing",
            "Missing required param: customer. Tessera lists a customer's payment methods.",
            "customer",
        )
    return await _list_methods(call, call.params["customer"], "/v1/payment_methods", in_url=False)


# Client side: publishable key plus the single-use client secret, then the ephemeral key.


@stripe_endpoint(schemas.CLAIM, publishable=True)
async def claim_customer_session(call: Call) -> Any:
    claimed = await customer_sessions.claim_customer_session(
        call.conn, call.program_id, call.livemode, call.params["client_secret"]
    )
    return claim_out(claimed)


@stripe_endpoint(schemas.EPHEMERAL_DETACH, publishable=True)
async def detach_with_ephemeral_key(call: Call) -> Any:
    method = await customer_sessions.detach_with_ephemeral_key(
        call.conn,
        call.program_id,
        call.livemode,
        call.params["ephemeral_key"],
        call.path_param("payment_method"),
        call.origin,
    )
    return payment_method_out(method)


routes = [
    Route("/customers", create_customer, methods=["POST"]),
    Route("/customers", list_customers, methods=["GET"]),
    Route("/customers/{customer}", retrieve_customer, methods=["GET"]),
    Route("/customers/{customer}", update_customer, methods=["POST"]),
    Route("/customers/{customer}", delete_customer, methods=["DELETE"]),
    Route("/customers/{customer}/payment_methods", list_customer_payment_methods, methods=["GET"]),
    Route("/customer_sessions", create_customer_session, methods=["POST"]),
    Route("/customer_sessions/claim", claim_customer_session, methods=["POST"]),
    Route("/payment_methods", create_payment_method, methods=["POST"]),
    Route("/payment_methods", list_payment_methods, methods=["GET"]),
    Route("/payment_methods/{payment_method}", retrieve_payment_method, methods=["GET"]),
    Route("/payment_methods/{payment_method}", update_payment_method, methods=["POST"]),
    Route("/payment_methods/{payment_method}/attach", attach_payment_method, methods=["POST"]),
    Route("/payment_methods/{payment_method}/detach", detach_payment_method, methods=["POST"]),
    Route(
        "/customer_sessions/claim/payment_methods/{payment_method}/detach",
        detach_with_ephemeral_key,
        methods=["POST"],
    ),
]
