"""WebView sessions: a short-lived URL that opens one site's Loyalty Page, maybe for one customer.

The URL carries a token (128 bits, stored as a hash). Opening it exchanges the token for a
visit secret, set as a cookie, so the page survives reloads for the visit while the URL
itself expires after minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.kit.errors import Expired, NotFound
from tessera.kit.secrets import hash_secret, new_secret
from tessera.programs.sites import Site
from tessera.store.group_commit import GroupCommit
from tessera.store.tables import webview_sessions


@dataclass(frozen=True, slots=True)
class WebviewCustomer:
    merchant_id: str
    email: str


@dataclass(frozen=True, slots=True)
class IssuedWebviewSession:
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class WebviewSession:
    id: int
    program_id: int
    site_id: int
    channel: str
    language: str
    currency: str
    customer: WebviewCustomer | None
    expires_at: datetime
    # Set when a visit opens (see csrf_token); None for visits opened before migration 0004.
    csrf_secret: str | None = None


@dataclass(frozen=True, slots=True)
class Visit:
    session: WebviewSession
    secret: str
    expires_at: datetime


def prepare_webview_session(
    site: Site,
    *,
    channel: str,
    language: str | None,
    currency: str | None,
    customer: WebviewCustomer | None,
    public_url: str,
    ttl_seconds: int,
) -> tuple[dict[str, Any], IssuedWebviewSession]:
    """A new session for ``site``: the row to store, and what the caller gets once it is stored.

    Unsupported language or currency fall back to the site's defaults."""
    token = new_secret()
    now = utcnow()
    expires_at = (now + timedelta(seconds=ttl_seconds)).replace(microsecond=0)
    row = {
        "token_hash": hash_secret(token),
        "program_id": site.program_id,
        "site_id": site.id,
        "channel": channel,
        "language": site.effective_language(language),
        "currency": site.effective_currency(currency),
        "merchant_id": customer.merchant_id if customer else None,
        "email": customer.email if customer else None,
        "created_at": now,
        "expires_at": expires_at,
    }
    return row, IssuedWebviewSession(url=f"{public_url}/webview/{token}", expires_at=expires_at)


async def issue_webview_session(
    writes: GroupCommit,
    site: Site,
    *,
    channel: str,
    language: str | None,
    currency: str | None,
    customer: WebviewCustomer | None,
    public_url: str,
    ttl_seconds: int,
) -> IssuedWebviewSession:
    """Mint a session and store it; returns once it is committed, together with concurrent
    requests' sessions (tessera.store.group_commit)."""
    row, issued = prepare_webview_session(
        site,
        channel=channel,
        language=language,
        currency=currency,
        customer=customer,
        public_url=public_url,
        ttl_seconds=ttl_seconds,
    )
    await writes.insert(webview_sessions, row)
    return issued


def _session(row: sa.Row[Any]) -> WebviewSession:
    customer = (
        WebviewCustomer(merchant_id=row.merchant_id, email=row.email)
        if row.merchant_id is not None
        else None
    )
    return WebviewSession(
        id=row.id,
        program_id=row.program_id,
        site_id=row.site_id,
        channel=row.channel,
        language=row.language,
        currency=row.currency,
        customer=customer,
        expires_at=as_utc(row.expires_at),
        csrf_secret=row.csrf_secret,
    )


async def open_webview_session(conn: AsyncConnection, token: str, visit_ttl_seconds: int) -> Visit:
    """Exchange the URL's token for a new visit. Unknown: NotFound; past ``expires_at``: Expired."""
    row = (
        await conn.execute(
            sa.select(webview_sessions).where(webview_sessions.c.token_hash == hash_secret(token))
        )
    ).one_or_none()
    if row is None:
        raise NotFound("webview_session", "This loyalty page link is not valid.")
    session = _session(row)
    now = utcnow()
    if session.expires_at <= now:
        raise Expired("This loyalty page link has expired.")
    secret = new_secret()
    visit_expires_at = now + timedelta(seconds=visit_ttl_seconds)
    await conn.execute(
        webview_sessions.update()
        .where(webview_sessions.c.id == session.id)
        .values(
            visit_hash=hash_secret(secret),
            visit_expires_at=visit_expires_at,
            csrf_secret=new_secret(),
        )
    )
    return Visit(session=session, secret=secret, expires_at=visit_expires_at)


async def resume_visit(conn: AsyncConnection, secret: str) -> WebviewSession:
    """The session behind a visit cookie, while the visit lasts."""
    row = (
        await conn.execute(
            sa.select(webview_sessions).where(webview_sessions.c.visit_hash == hash_secret(secret))
        )
    ).one_or_none()
    if row is None:
        raise NotFound("webview_visit", "This loyalty page visit is not valid.")
    if as_utc(row.visit_expires_at) <= utcnow():
        raise Expired("This loyalty page visit has expired.")
    return _session(row)


def csrf_token(session: WebviewSession, visit_secret: str) -> str | None:
    """The token the visit's forms carry: HMAC of the visit secret under the visit's own random
    key. Random per visit, never stored, and useless without the visit cookie it is bound to."""
    if session.csrf_secret is None:
        return None
    key = session.csrf_secret.encode()
    return hmac.new(key, visit_secret.encode(), hashlib.sha256).hexdigest()


def csrf_token_matches(session: WebviewSession, visit_secret: str, submitted: str) -> bool:
    expected = csrf_token(session, visit_secret)
    return expected is not None and hmac.compare_digest(expected.encode(), submitted.encode())


async def delete_expired_webview_sessions(
    conn: AsyncConnection, before: datetime, limit: int
) -> int:
    """Delete up to ``limit`` sessions whose URL and visit both ended before ``before``; how
    many went. Deleting rows another worker deleted already is a no-op."""
    table = webview_sessions
    expired = (
        sa.select(table.c.id)
        .where(
            table.c.expires_at < before,
            sa.or_(table.c.visit_expires_at.is_(None), table.c.visit_expires_at < before),
        )
        .limit(limit)
    )
    result = await conn.execute(table.delete().where(table.c.id.in_(expired.scalar_subquery())))
    return int(result.rowcount)
