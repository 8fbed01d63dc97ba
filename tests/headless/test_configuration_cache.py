"""The configuration is built once per program version and served as cached bytes; applying a
program file (here, or in another process) replaces it, on both databases."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.demo.setup import demo_document_data
from tessera.loyalty.program_cache import RECHECK_SECONDS, ProgramCache
from tessera.programs.configuration import apply_document, parse_document
from tests.factories import Tenant, make_tenant
from tests.headless.helpers import call
from tests.loyalty.test_program_file import tessera


async def rule_ids(client: httpx.AsyncClient, tenant: Tenant) -> set[int]:
    body = (await call(client, tenant, "GET", "/configuration", status=200)).json()
    return {rule["id"] for rule in body["rules"]}


async def test_the_program_file_is_read_once_per_version(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    cache = ProgramCache(db, recheck_seconds=0.0)
    first = await cache.get(tenant.site)
    second = await cache.get(tenant.site)
    assert cache.loads == 1
    assert second is first


async def test_a_cached_view_is_dropped_with_its_version(db: AsyncEngine) -> None:
    tenant = await make_tenant(db)
    cache = ProgramCache(db, recheck_seconds=0.0)
    before = await cache.get(tenant.site)
    before.memo["view"] = b"old"
    async with db.begin() as conn:
        await apply_document(conn, tenant.program_id, parse_document(demo_document_data()))
    after = await cache.get(tenant.site)
    assert after.version == before.version + 1
    assert "view" not in after.memo


async def test_applying_a_program_file_in_this_process_shows_at_once(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    assert await rule_ids(client, tenant) == {1, 2}
    async with db.begin() as conn:
        await apply_document(conn, tenant.program_id, parse_document(demo_document_data()))
    assert len(await rule_ids(client, tenant)) > 2


async def test_a_request_between_apply_and_commit_does_not_keep_the_old_version(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    tenant = await make_tenant(db)
    assert await rule_ids(client, tenant) == {1, 2}
    async with db.begin() as conn:
        await apply_document(conn, tenant.program_id, parse_document(demo_document_data()))
        # Not committed yet: a request now still sees (and may cache) the old version...
        assert await rule_ids(client, tenant) == {1, 2}
    # ...but the first request after the commit sees the new one, not a second later.
    assert len(await rule_ids(client, tenant)) > 2


async def test_a_program_file_applied_by_another_process_shows_within_the_bound(
    client: httpx.AsyncClient, db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    tenant = await make_tenant(db)
    old = await rule_ids(client, tenant)
    demo = tmp_path / "program.yaml"
    demo.write_text(yaml.safe_dump(demo_document_data(), allow_unicode=True))
    applied = await asyncio.to_thread(
        tessera, database_url, "program", "apply", str(demo), "--program", str(tenant.program_id)
    )
    assert applied.returncode == 0, applied.stderr
    seen_at = None
    started = time.monotonic()
    while time.monotonic() - started < RECHECK_SECONDS + 1.0:
        if await rule_ids(client, tenant) != old:
            seen_at = time.monotonic() - started
            break
        await asyncio.sleep(0.05)
    assert seen_at is not None
    assert seen_at <= RECHECK_SECONDS + 0.5
