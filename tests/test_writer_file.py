"""SQLite writers of several processes queue for the write lock in order, on a file lock that
the writing thread takes with BEGIN IMMEDIATE and gives back with COMMIT."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.config import Settings, normalize_database_url
from tessera.store.engine import create_engine
from tessera.store.transactions import write_transaction


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = normalize_database_url(f"sqlite:///{tmp_path / 'writers.db'}")
    engine = create_engine(Settings(database_url=url))
    async with write_transaction(engine) as conn:
        await conn.execute(sa.text("CREATE TABLE notes (body TEXT)"))
    yield engine
    await engine.dispose()


def lock_file(engine: AsyncEngine) -> str:
    return f"{engine.url.database}-writers"


def taken_elsewhere(path: str) -> bool:
    """Whether another open file of the lock (as another process has) finds it taken."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextmanager
def another_process_writing(path: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


async def write_note(engine: AsyncEngine, body: str) -> None:
    async with write_transaction(engine) as conn:
        await conn.execute(sa.text("INSERT INTO notes VALUES (:body)"), {"body": body})


async def notes(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.text("SELECT body FROM notes"))).scalars())


async def test_a_write_transaction_holds_the_writers_lock_until_it_commits(
    engine: AsyncEngine,
) -> None:
    async with write_transaction(engine) as conn:
        await conn.execute(sa.text("INSERT INTO notes VALUES ('held')"))
        assert taken_elsewhere(lock_file(engine))
    assert not taken_elsewhere(lock_file(engine))
    assert await notes(engine) == ["held"]


async def test_a_rolled_back_write_gives_the_lock_back(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with write_transaction(engine) as conn:
            await conn.execute(sa.text("INSERT INTO notes VALUES ('undone')"))
            raise RuntimeError("refused")
    assert not taken_elsewhere(lock_file(engine))
    assert await notes(engine) == []


async def test_a_writer_waits_for_another_process_then_writes(engine: AsyncEngine) -> None:
    with another_process_writing(lock_file(engine)):
        waiting = asyncio.create_task(write_note(engine, "after"))
        await asyncio.sleep(0.1)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 5)
    assert await notes(engine) == ["after"]


async def test_a_writer_cancelled_while_waiting_leaves_the_database_writable(
    engine: AsyncEngine,
) -> None:
    with another_process_writing(lock_file(engine)):
        waiting = asyncio.create_task(write_note(engine, "cancelled"))
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    await asyncio.wait_for(write_note(engine, "next"), 5)
    assert await notes(engine) == ["next"]
    assert not taken_elsewhere(lock_file(engine))
