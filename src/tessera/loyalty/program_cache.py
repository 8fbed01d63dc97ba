"""The program in force, read once per version instead of once per request.

A program changes only when a program file is applied, and applying adds a row to
``program_configurations`` with the next version number. So each worker keeps the program it
last read and, at most once every ``RECHECK_SECONDS`` per program, asks the database for the
newest version number (one indexed ``max()``); only a new number reads and decodes the file
again. Applying in this process (``programs.configuration.apply_document``) marks the program
to be re-checked on every request until a newer version shows (for at most ``RECHECK_SECONDS``):
the apply runs inside its caller's transaction, so a request in the gap before that commit
still reads the old version, and must not keep it. Another worker, or the CLI, is seen within
``RECHECK_SECONDS``: that is the staleness bound (docs/headless.md).

What is derived from one version (encoded configuration, rendered texts) hangs off the
version's ``LoyaltyProgram.memo`` and goes with it.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.loyalty.program import LoyaltyProgram, load_program
from tessera.programs.configuration import newest_version, on_apply
from tessera.programs.sites import Site

RECHECK_SECONDS = 1.0


@dataclass(slots=True)
class _Entry:
    program: LoyaltyProgram
    checked_at: float
    by_site: dict[int, LoyaltyProgram] = field(default_factory=dict)
    # Until then (monotonic time), re-check on every request: an apply here has not shown yet.
    awaiting_until: float = 0.0


class ProgramCache:
    """Programs in force, by program id, for one engine (one database)."""

    def __init__(self, engine: AsyncEngine, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.engine = engine
        self.recheck_seconds = recheck_seconds
        self.loads = 0  # full reads of a program file; for tests
        self._entries: dict[int, _Entry] = {}

    def invalidate(self, program_id: int) -> None:
        entry = self._entries.get(program_id)
        if entry is not None:
            entry.checked_at = -float("inf")
            entry.awaiting_until = time.monotonic() + max(self.recheck_seconds, RECHECK_SECONDS)

    async def get(self, site: Site) -> LoyaltyProgram:
        entry = self._entries.get(site.program_id)
        now = time.monotonic()
        if (
            entry is None
            or now - entry.checked_at >= self.recheck_seconds
            or now < entry.awaiting_until
        ):
            entry = await self._refresh(site, entry, now)
        shown = entry.by_site.get(site.id)
        if shown is None or shown.site != site:
            shown = entry.by_site[site.id] = _for_site(entry.program, site)
        return shown

    async def _refresh(self, site: Site, entry: _Entry | None, now: float) -> _Entry:
        async with self.engine.connect() as conn:
            if entry is not None and await newest_version(conn, site.program_id) == (
                entry.program.version
            ):
                entry.checked_at = now
                return entry
            program = await load_program(conn, site)
        # A newer version: whatever an apply here was waiting for has shown.
        self.loads += 1
        fresh = _Entry(program=program, checked_at=now)
        self._entries[site.program_id] = fresh
        return fresh


def _for_site(program: LoyaltyProgram, site: Site) -> LoyaltyProgram:
    """The version as one site sees it; the memo is per site, since views differ by site."""
    if program.site == site:
        return program
    return LoyaltyProgram(
        program=program.program, site=site, version=program.version, document=program.document
    )


_caches: weakref.WeakKeyDictionary[AsyncEngine, ProgramCache] = weakref.WeakKeyDictionary()


def program_cache(engine: AsyncEngine) -> ProgramCache:
    cache = _caches.get(engine)
    if cache is None:
        cache = _caches[engine] = ProgramCache(engine)
    return cache


async def program_in_force(engine: AsyncEngine, site: Site) -> LoyaltyProgram:
    """``site``'s program as it is now (at most ``RECHECK_SECONDS`` old)."""
    return await program_cache(engine).get(site)


def _applied(program_id: int) -> None:
    for cache in list(_caches.values()):
        cache.invalidate(program_id)


on_apply(_applied)
