"""SQLite writers of several processes queue for the write lock in order, on a file lock."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tessera.store.transactions import WriterQueue, sqlite_write_lock


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}")
    yield engine
    await engine.dispose()


def held_elsewhere(path: str) -> bool:
    """Whether another open file (as another process has) can take the lock now."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


async def test_a_writer_holds_the_file_lock_other_processes_queue_on(
    engine: AsyncEngine,
) -> None:
    lock_file = f"{engine.url.database}-writers"
    async with sqlite_write_lock(engine):
        assert held_elsewhere(lock_file)
    assert not held_elsewhere(lock_file)


async def test_a_writer_waits_for_another_process_then_writes(tmp_path: Path) -> None:
    database = str(tmp_path / "wait.db")
    queue = WriterQueue(database)
    other = os.open(database + "-writers", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    entered = asyncio.Event()

    async def write() -> None:
        async with queue:
            entered.set()

    task = asyncio.create_task(write())
    await asyncio.sleep(0.05)
    assert not entered.is_set()
    fcntl.flock(other, fcntl.LOCK_UN)
    await asyncio.wait_for(task, 5)
    os.close(other)
    queue.close()


async def test_a_writer_cancelled_while_waiting_leaves_the_queue_usable(tmp_path: Path) -> None:
    database = str(tmp_path / "cancel.db")
    queue = WriterQueue(database)
    other = os.open(database + "-writers", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)

    async def write() -> None:
        async with queue:
            pass

    waiting = asyncio.create_task(write())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    fcntl.flock(other, fcntl.LOCK_UN)
    # The cancelled waiter's thread got the lock after all, and gave it back.
    await asyncio.wait_for(write(), 5)
    os.close(other)
    queue.close()
