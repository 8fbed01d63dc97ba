"""Migrations only add, so a release's workers keep working on the schema of the next one
(docs/upgrading.md): no table or column goes away, and a column added to an existing table is
nullable or has a server default, so the older release's inserts, which do not name it, still
succeed. Checked by applying the scripts one revision at a time on both databases."""

from __future__ import annotations

import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from tessera.config import Settings, normalize_database_url
from tessera.store.engine import create_engine
from tessera.store.migrate import alembic_config, migrate
from tests.conftest import _create_database
from tests.services import PostgresServer

# table -> column -> what the inspector says of it
Schema = dict[str, dict[str, dict[str, Any]]]


def revisions_oldest_first() -> list[str]:
    """Every revision, each after all of its ancestors."""
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def read_schema(conn: sa.Connection) -> Schema:
    inspector = sa.inspect(conn)
    return {
        table: {column["name"]: dict(column) for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


@pytest.fixture
async def empty_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = f"t_{uuid.uuid4().hex[:16]}"
        await _create_database(server.admin_url, name)
        url = server.url(name)
    return Settings(database_url=normalize_database_url(url))


@pytest.fixture
async def schemas(empty_database: Settings) -> list[tuple[str, Schema]]:
    """The schema after each revision, oldest first, starting from the empty database."""
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as conn:
            found = [("base", await conn.run_sync(read_schema))]
        for revision in revisions_oldest_first():
            await migrate(empty_database, revision)
            async with engine.connect() as conn:
                found.append((revision, await conn.run_sync(read_schema)))
    finally:
        await engine.dispose()
    return found


def steps(schemas: list[tuple[str, Schema]]) -> list[tuple[str, Schema, Schema]]:
    return [(revision, before, after) for (_, before), (revision, after) in pairwise(schemas)]


def test_no_migration_removes_a_table_or_a_column(schemas: list[tuple[str, Schema]]) -> None:
    removed = [
        f"{revision}: {table}.{column}"
        for revision, before, after in steps(schemas)
        for table, columns in before.items()
        for column in columns
        if column not in after.get(table, {})
    ]
    assert removed == []


def test_a_column_added_to_an_existing_table_is_nullable_or_has_a_default(
    schemas: list[tuple[str, Schema]],
) -> None:
    required = [
        f"{revision}: {table}.{name}"
        for revision, before, after in steps(schemas)
        for table in before
        for name, column in after[table].items()
        if name not in before[table] and not column["nullable"] and column["default"] is None
    ]
    assert required == []


def test_the_walk_applies_every_migration(schemas: list[tuple[str, Schema]]) -> None:
    assert len(schemas) == len(revisions_oldest_first()) + 1
    assert {"orders", "activities", "reward_codes"} <= set(schemas[-1][1])
