"""Idempotency keys: the first answer to a POST is stored with a fingerprint of its request,
and a retry with the same key gets that answer back, status and body, for 24 hours.

The database row is the source of truth, so replays survive restarts and are shared by every
worker. The key is claimed, the endpoint run and its answer stored in one write transaction
(the request's unit of work, group-committed with other requests'): a row is inserted before the
endpoint runs, so the unique key decides between concurrent first requests, and completed before
the commit, so a stored answer always describes a committed result and a crash leaves neither.
Rows ``in_flight`` are only ever seen from outside if written by an older version or by hand; a
request meeting one answers 409 until it is ``ABANDONED_AFTER`` old.

Answers hold secrets (a customer session's client secret), and Tessera stores secrets only in
a form the database alone cannot reveal: the row is found by an HMAC of the Idempotency-Key
under the server's secret key, and the answer is sealed with AES-256-GCM under a key derived
from both (in another domain than the lookup). Guessing a key (``order-1042``) opens nothing
without the server's key; a caller presenting the key again to a server holding it reads the
answer back, and a stored answer altered in the database fails to open instead of being
replayed.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import as_utc, utcnow
from tessera.sealing import server_key as server_key
from tessera.store.conflicts import claim_row
from tessera.store.prepared import Prepared
from tessera.store.tables import stripe_idempotency

from .errors import StripeApiError

REPLAY_WINDOW = timedelta(hours=24)
# A request still "in flight" after this long belonged to a worker that died; its key may be
# used again rather than answering 409 forever.
ABANDONED_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: bytes


NONCE_BYTES = 12  # AES-GCM's standard nonce size


def key_lookup(server_key: bytes, key: str) -> str:
    return hmac.digest(server_key, b"tessera-idempotency-key|" + key.encode(), "sha256").hex()


def _cipher(server_key: bytes, key: str) -> AESGCM:
    return AESGCM(hmac.digest(server_key, b"tessera-idempotency-body|" + key.encode(), "sha256"))


def seal(server_key: bytes, key: str, body: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + _cipher(server_key, key).encrypt(nonce, body, None)


def unseal(server_key: bytes, key: str, sealed: bytes) -> bytes:
    """The stored answer; raises ``cryptography.exceptions.InvalidTag`` if it was altered (or
    sealed under another server key)."""
    nonce, data = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return _cipher(server_key, key).decrypt(nonce, data, None)


def acceptable(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH


@dataclass(frozen=True, slots=True)
class Record:
    """A request that holds its key until its answer is stored."""

    id: int
    key: str
    server_key: bytes


def _mismatch(key: str) -> StripeApiError:
    return StripeApiError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
        type="idempotency_error",
    )


def _in_flight(key: str) -> StripeApiError:
    return StripeApiError(
        409,
        "There is currently another in-progress request using this Idempotent Key (that "
        "probably means you submitted twice, and the other request is still going through): "
        f"{key}. Please try again later.",
        type="idempotency_error",
        code="idempotency_key_in_use",
    )


async def begin(
    conn: AsyncConnection,
    program_id: int,
    livemode: bool,
    key: str,
    fingerprint: str,
    server_key: bytes,
) -> Record | Replay:
    """Claim ``key`` for this request in the request's write transaction ``conn``: a record to
    complete before that transaction commits, or the stored answer to replay. On PostgreSQL a
    concurrent first request with the same key waits here until the other's transaction ends,
    then replays its answer."""
    if not acceptable(key):
        raise StripeApiError(
            400,
            f"Invalid Idempotency-Key: it must be 1 to {MAX_KEY_LENGTH} characters long.",
            type="idempotency_error",
        )
    now = utcnow()
    table = stripe_idempotency
    values = dict(
        program_id=program_id,
        livemode=livemode,
        idempotency_key=key_lookup(server_key, key),
        fingerprint=fingerprint,
        state="in_flight",
        created_at=now,
    )
    record_id = await claim_row(conn.dialect.name, stripe_idempotency).scalar(conn, values)
    if record_id is not None:
        return Record(int(record_id), key, server_key)
    scope = {name: values[name] for name in ("program_id", "livemode", "idempotency_key")}
    row = (await conn.execute(_FIND, scope)).one()
    created: datetime = as_utc(row.created_at)
    stale = now - created > REPLAY_WINDOW or (
        row.state == "in_flight" and now - created > ABANDONED_AFTER
    )
    if stale:
        # Conditional on the row being unchanged, so two retakers cannot both win.
        retaken = await conn.execute(
            table.update()
            .where(table.c.id == row.id, table.c.created_at == row.created_at)
            .values(
                fingerprint=fingerprint, state="in_flight", status=None, body=None, created_at=now
            )
        )
        if retaken.rowcount == 1:
            return Record(int(row.id), key, server_key)
        raise _in_flight(key)
    if row.fingerprint != fingerprint:
        raise _mismatch(key)
    if row.state == "in_flight":
        raise _in_flight(key)
    try:
        body = unseal(server_key, key, bytes(row.body))
    except InvalidTag:
        # Only an answer altered in the database gets here: say so, in the envelope.
        raise StripeApiError(
            500,
            "The stored answer for this idempotency key cannot be read; retry with a new key.",
            type="api_error",
        ) from None
    return Replay(status=int(row.status), body=body)


_FIND = sa.select(stripe_idempotency).where(
    stripe_idempotency.c.program_id == sa.bindparam("program_id"),
    stripe_idempotency.c.livemode == sa.bindparam("livemode"),
    stripe_idempotency.c.idempotency_key == sa.bindparam("idempotency_key"),
)
_COMPLETE = Prepared(
    stripe_idempotency.update()
    .where(stripe_idempotency.c.id == sa.bindparam("record_id"))
    .values(state="done", status=sa.bindparam("answer_status"), body=sa.bindparam("answer_body"))
)


async def complete(conn: AsyncConnection, record: Record, status: int, body: bytes) -> None:
    """Store the answer, in the same transaction as the endpoint's writes."""
    answer = {
        "record_id": record.id,
        "answer_status": status,
        "answer_body": seal(record.server_key, record.key, body),
    }
    await _COMPLETE.rows(conn, answer)


async def delete_old_idempotency_records(
    conn: AsyncConnection, before: datetime, limit: int
) -> int:
    """Delete up to ``limit`` idempotency records created before ``before``."""
    table = stripe_idempotency
    old = sa.select(table.c.id).where(table.c.created_at < before).limit(limit)
    result = await conn.execute(table.delete().where(table.c.id.in_(old.scalar_subquery())))
    return int(result.rowcount)
