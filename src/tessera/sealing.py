"""What the database must not reveal on its own, sealed under the server key (AES-GCM).

The server key is ``TESSERA_SECRET_KEY``, or the key file's (tessera.kit.secrets); every worker
and machine serving one database holds the same one. Secrets Tessera must use again, not only
compare (the site secret that signs LoyaltyLion webhooks, a Stripe endpoint's ``whsec_``
secret), are stored sealed; a ``purpose`` label keys each kind apart, so one sealed value
cannot be passed off as another.
"""

from __future__ import annotations

import hmac
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tessera.config import Settings
from tessera.kit import secrets as server_secrets

NONCE_BYTES = 12  # AES-GCM's standard nonce size


def server_key(settings: Settings) -> bytes:
    """``TESSERA_SECRET_KEY``, or the key file's (beside a SQLite database, else the user's data
    folder); an in-memory database gets a key of its own process."""
    path = settings.sqlite_path()
    in_memory = settings.is_sqlite and path is None
    key_file = None if in_memory else server_secrets.default_key_file(path)
    return server_secrets.server_key(settings.secret_key, key_file)


def _cipher(key: bytes, purpose: str) -> AESGCM:
    return AESGCM(hmac.digest(key, b"tessera-seal|" + purpose.encode(), "sha256"))


def seal(key: bytes, purpose: str, data: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + _cipher(key, purpose).encrypt(nonce, data, None)


def unseal(key: bytes, purpose: str, sealed: bytes) -> bytes:
    """The sealed data; raises ``cryptography.exceptions.InvalidTag`` if it was altered or
    sealed under another key or purpose."""
    return _cipher(key, purpose).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], None)
