"""Webhook endpoints, for both dialects: where a program's events are posted.

A LoyaltyLion webhook is one topic and an address, signed with its site's secret; a Stripe
webhook endpoint is a URL and ``enabled_events`` (``*`` for all), signed with its own
``whsec_`` secret. Each dialect's routes shape these rows; the rules are here: every read is
scoped by program, dialect and mode (404 across them), addresses are checked
(tessera.webhooks.outbound), and a deleted endpoint's pending deliveries are cancelled while
its history stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Invalid, NotFound
from tessera.kit.secrets import new_secret
from tessera.sealing import seal, unseal
from tessera.store.tables import webhook_deliveries, webhook_endpoints
from tessera.webhooks.outbound import AddressRefused, check_url

SEALED_AS = "webhook-secret"
ENABLED, DISABLED = "enabled", "disabled"


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: int
    public_id: str
    program_id: int
    dialect: str
    livemode: bool
    site_id: int | None
    url: str
    topics: list[str]
    attributes: dict[str, Any]
    status: str
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime
    has_secret: bool


def _endpoint(row: sa.Row[Any]) -> Endpoint:
    return Endpoint(
        id=row.id,
        public_id=row.public_id,
        program_id=row.program_id,
        dialect=row.dialect,
        livemode=row.livemode,
        site_id=row.site_id,
        url=row.url,
        topics=list(row.topics),
        attributes=dict(row.attributes),
        status=row.status,
        disabled_reason=row.disabled_reason,
        failing_since=None if row.failing_since is None else as_utc(row.failing_since),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        has_secret=row.secret_sealed is not None,
    )


def checked_url(url: str, allow_private: bool, field: str = "url") -> str:
    try:
        check_url(url, allow_private)
    except AddressRefused as refused:
        raise Invalid("Invalid webhook address", {field: str(refused)}) from None
    return url


def new_signing_secret() -> str:
    return new_secret("whsec_", 24)


async def create_endpoint(
    conn: AsyncConnection,
    *,
    program_id: int,
    dialect: str,
    public_id: str,
    url: str,
    topics: list[str],
    allow_private: bool,
    livemode: bool = False,
    site_id: int | None = None,
    attributes: dict[str, Any] | None = None,
    secret: str | None = None,
    server_key: bytes | None = None,
) -> Endpoint:
    """A new endpoint; ``secret`` (sealed under ``server_key``) signs its deliveries, else its
    site's secret does."""
    now = utcnow()
    sealed = None
    if secret is not None:
        if server_key is None:
            raise ValueError("a secret is sealed under the server key")
        sealed = seal(server_key, SEALED_AS, secret.encode())
    endpoint_id = (
        await conn.execute(
            webhook_endpoints.insert()
            .values(
                public_id=public_id,
                program_id=program_id,
                dialect=dialect,
                livemode=livemode,
                site_id=site_id,
                url=checked_url(url, allow_private),
                topics=topics,
                secret_sealed=sealed,
                attributes=attributes or {},
                status=ENABLED,
                created_at=now,
                updated_at=now,
            )
            .returning(webhook_endpoints.c.id)
        )
    ).scalar_one()
    return await _by_id(conn, endpoint_id)


async def _by_id(conn: AsyncConnection, endpoint_id: int) -> Endpoint:
    row = (
        await conn.execute(webhook_endpoints.select().where(webhook_endpoints.c.id == endpoint_id))
    ).one()
    return _endpoint(row)


def _scope(program_id: int, dialect: str, livemode: bool) -> list[sa.ColumnElement[bool]]:
    return [
        webhook_endpoints.c.program_id == program_id,
        webhook_endpoints.c.dialect == dialect,
        webhook_endpoints.c.livemode == livemode,
        webhook_endpoints.c.deleted_at.is_(None),
    ]


async def get_endpoint(
    conn: AsyncConnection,
    program_id: int,
    dialect: str,
    public_id: str,
    *,
    livemode: bool = False,
    for_update: bool = False,
) -> Endpoint:
    """The program's endpoint in this dialect and mode; NotFound for any other's."""
    query = webhook_endpoints.select().where(
        webhook_endpoints.c.public_id == public_id, *_scope(program_id, dialect, livemode)
    )
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).one_or_none()
    if row is None:
        raise NotFound("webhook")
    return _endpoint(row)


async def list_endpoints(
    conn: AsyncConnection, program_id: int, dialect: str, *, livemode: bool = False
) -> list[Endpoint]:
    """Oldest first."""
    rows = await conn.execute(
        webhook_endpoints.select()
        .where(*_scope(program_id, dialect, livemode))
        .order_by(webhook_endpoints.c.id)
    )
    return [_endpoint(row) for row in rows]


async def update_endpoint(
    conn: AsyncConnection,
    endpoint: Endpoint,
    *,
    allow_private: bool,
    url: str | None = None,
    topics: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
    enabled: bool | None = None,
) -> Endpoint:
    """Change what was given. Enabling a disabled endpoint clears why it was disabled and
    resumes its pending deliveries."""
    changes: dict[str, Any] = {"updated_at": utcnow()}
    if url is not None:
        changes["url"] = checked_url(url, allow_private)
    if topics is not None:
        changes["topics"] = topics
    if attributes is not None:
        changes["attributes"] = attributes
    if enabled is not None:
        changes["status"] = ENABLED if enabled else DISABLED
        changes["disabled_reason"] = None if enabled else "Disabled by request"
        changes["failing_since"] = None
    await conn.execute(
        webhook_endpoints.update().where(webhook_endpoints.c.id == endpoint.id).values(**changes)
    )
    return await _by_id(conn, endpoint.id)


async def delete_endpoint(conn: AsyncConnection, endpoint: Endpoint) -> None:
    """Gone from the API at once; its pending deliveries are cancelled, its history kept."""
    now = utcnow()
    await conn.execute(
        webhook_endpoints.update()
        .where(webhook_endpoints.c.id == endpoint.id)
        .values(deleted_at=now, updated_at=now)
    )
    await conn.execute(
        webhook_deliveries.update()
        .where(
            webhook_deliveries.c.endpoint_id == endpoint.id,
            webhook_deliveries.c.state == "pending",
        )
        .values(state="cancelled", leased_until=None)
    )


def endpoint_secret(server_key: bytes, sealed: bytes) -> bytes:
    return unseal(server_key, SEALED_AS, sealed)


def require_topics(topics: list[str], known: frozenset[str], field: str) -> list[str]:
    unknown = [topic for topic in topics if topic not in known]
    if unknown:
        raise Invalid("Invalid webhook", {field: f"unknown event type {unknown[0]!r}"})
    return topics
