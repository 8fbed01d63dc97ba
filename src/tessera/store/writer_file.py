"""The lock SQLite's writers of different processes queue on, in order.

SQLite has one write lock per database. Writers that miss it wait in SQLite's busy handler,
which polls, sleeping up to 100 ms between tries and serving no one in order: under load, the
workers of ``tessera serve --workers N`` saw p99s of a second. So a writer first takes an
advisory lock (``flock``) on a file beside the database, ``<database>-writers``, which the kernel
hands to the next waiter the moment it is released, and only then SQLite's lock, which is then
free. It is taken and given back on the thread that writes, right around ``BEGIN IMMEDIATE`` and
``COMMIT``, so no event-loop wait happens while a process holds it.

The file lock only orders writers: SQLite's lock still guarantees correctness, so a program that
does not take it (the CLI, a backup) is merely served out of order. Within a process, writers
queue on an asyncio lock first (tessera.store.transactions), so one descriptor per file and
process is enough."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager


class WriterFile:
    def __init__(self, database: str) -> None:
        self.path = database + "-writers"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> None:
        """Blocks until this process's turn: call it on a thread."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


_files: dict[str, WriterFile] = {}


def writer_file(database: str | None) -> WriterFile | None:
    """The writers' lock of the SQLite file ``database``; None for an in-memory database."""
    if not database or database == ":memory:":
        return None
    key = os.path.realpath(database)
    found = _files.get(key)
    if found is None:
        found = _files[key] = WriterFile(key)
    return found
