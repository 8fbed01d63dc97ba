"""Secrets: generation with a readable prefix, hashing for storage, constant-time checks.

Every secret Tessera issues carries at least 128 bits from :mod:`secrets`. Because they are
high-entropy, a single SHA-256 is the right storage hash: a slow password hash would add
latency to every request and buy nothing against brute force of 2**128.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from tessera.config import data_folder

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


# The server's own key, which seals what the database must not reveal on its own (stored
# idempotent answers). Every worker and machine serving one database must hold the same one.
SERVER_KEY_BYTES = 32


def default_key_file(sqlite_path: Path | None) -> Path:
    """Beside a SQLite database (``tessera.db.key``); otherwise in the user's data folder."""
    if sqlite_path is not None:
        return sqlite_path.with_name(sqlite_path.name + ".key")
    return data_folder(os.environ) / "secret.key"


@functools.lru_cache(maxsize=8)
def server_key(configured: str | None, key_file: Path | None) -> bytes:
    """The configured key (``TESSERA_SECRET_KEY``, checked by the settings) if set, else
    the key file's, the file created on first use. ``key_file`` None (an in-memory database,
    one process) gets a key of its own process."""
    if configured is not None:
        return hashlib.sha256(b"tessera-secret-key|" + configured.encode()).digest()
    if key_file is None:
        return secrets.token_bytes(SERVER_KEY_BYTES)
    return _key_from_file(key_file)


def _key_from_file(path: Path) -> bytes:
    """Read the key file, or create it: written whole to a file of its own (mode 0600), then
    linked into place, which fails if another worker linked its own first; then both read the
    one that won, so every worker on the machine agrees."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tessera-key-")
        try:
            with os.fdopen(fd, "w") as output:  # mkstemp creates it with mode 0600
                output.write(secrets.token_hex(SERVER_KEY_BYTES) + "\n")
                output.flush()
                os.fsync(output.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != SERVER_KEY_BYTES:
        raise ValueError(f"{path} does not hold a Tessera secret key ({2 * SERVER_KEY_BYTES} hex)")
    return key
