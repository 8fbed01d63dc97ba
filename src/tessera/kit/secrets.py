"""Secrets: generation with a readable prefix, hashing for storage, constant-time checks.

Every secret Tessera issues carries at least 128 bits from :mod:`secrets`. Because they are
high-entropy, a single SHA-256 is the right storage hash: a slow password hash would add
latency to every request and buy nothing against brute force of 2**128.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# 16 bytes = 128 bits, the floor the security model sets; hex keeps tokens URL- and header-safe.
SECRET_BYTES = 16


def new_secret(prefix: str = "", nbytes: int = SECRET_BYTES) -> str:
    """A fresh random secret, ``prefix`` followed by ``2 * nbytes`` hex characters."""
    return prefix + secrets.token_hex(nbytes)


def hash_secret(secret: str) -> str:
    """The value stored in place of ``secret`` (hex SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time check of ``secret`` against a stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def mask(secret: str, prefix: str, visible: int = 4) -> str:
    """``sk_test_********1234``: enough to recognise a secret in an error, never to use it."""
    tail = secret[-visible:] if len(secret) > len(prefix) + visible else ""
    return f"{prefix}{'*' * 8}{tail}"
