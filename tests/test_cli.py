"""The `tessera` command, run as a user runs it: its version, the database it says it uses,
settings refused before anything starts, and errors as one line.

The helpers here run the real command in a subprocess; the other tests/test_cli_*.py use them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tessera.config import Settings, normalize_database_url
from tests.conftest import app_client
from tests.services import free_port

# Nothing listens here: a PostgreSQL that cannot be reached.
CLOSED_PORT_URL = "postgresql://tessera:s3cret-pw@127.0.0.1:{port}/tessera"


def run(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tessera", *args],
        env={**os.environ, "COLUMNS": "200", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tessera(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = run(*args, env={"TESSERA_DATABASE_URL": database_url})
    if check and result.returncode != 0:
        raise AssertionError(f"tessera {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def problem(result: subprocess.CompletedProcess[str]) -> str:
    """Standard error without the line naming the database: what went wrong, if anything."""
    lines = result.stderr.splitlines()
    if lines and lines[0].startswith("Database: "):
        lines = lines[1:]
    return "\n".join(lines).strip()


async def whoami(database_url: str, key: str) -> tuple[int, Any]:
    settings = Settings(database_url=normalize_database_url(database_url), auth_cache_ttl=0.0)
    async with app_client(settings) as client:
        response = await client.get(
            "/v2/identity/whoami", headers={"Authorization": f"Bearer {key}"}
        )
    return response.status_code, response.json()


def unreachable_postgresql() -> str:
    return CLOSED_PORT_URL.format(port=free_port())


def test_version_prints_the_installed_version() -> None:
    result = run("--version", env={})
    assert result.returncode == 0
    assert result.stdout == f"tessera {version('tessera')}\n"


def test_every_command_names_its_database_first_on_standard_error(database_url: str) -> None:
    result = tessera(database_url, "programs", "list", "--json")
    first = result.stderr.splitlines()[0]
    if database_url.startswith("sqlite"):
        assert first == f"Database: sqlite {database_url.removeprefix('sqlite:///')}"
    else:
        assert first.startswith("Database: postgresql postgres@127.0.0.1:")
    assert json_of(result) == []


def test_the_database_line_never_shows_a_password() -> None:
    result = run("migrate", env={"TESSERA_DATABASE_URL": unreachable_postgresql()})
    assert result.stderr.startswith("Database: postgresql tessera@127.0.0.1:")
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_a_relative_sqlite_path_is_the_same_file_from_any_folder(tmp_path: Path) -> None:
    data, first, second = tmp_path / "data", tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    env = {"TESSERA_DATABASE_URL": "sqlite:///shop/tessera.db", "XDG_DATA_HOME": str(data)}
    results = [run("migrate", env=env, cwd=folder) for folder in (first, second)]
    expected = data / "tessera" / "shop" / "tessera.db"
    assert [r.stderr.splitlines()[0] for r in results] == [f"Database: sqlite {expected}"] * 2
    assert expected.is_file()
    assert not list(first.iterdir()) and not list(second.iterdir())


def test_the_default_database_is_in_the_data_folder(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path)}
    result = run("migrate", env={**env, "TESSERA_DATABASE_URL": ""}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tessera" / "tessera.db").is_file()


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_an_unreachable_postgresql_is_one_line_with_what_to_do(command: str) -> None:
    options = ["--port", str(free_port())] if command == "serve" else []
    result = run(command, *options, env={"TESSERA_DATABASE_URL": unreachable_postgresql()})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert problem(result).startswith("error: cannot reach the database (")
    assert "check TESSERA_DATABASE_URL" in problem(result)
    assert len(problem(result).splitlines()) == 1
    assert "✓" not in result.stdout


def test_debug_shows_the_traceback() -> None:
    result = run("--debug", "migrate", env={"TESSERA_DATABASE_URL": unreachable_postgresql()})
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ConnectionRefusedError" in result.stderr


def test_a_long_error_stays_one_line_in_an_80_column_terminal() -> None:
    url = "mysql://shop:hunter2@database.internal.example.com:3306/loyalty_program_production"
    result = run("migrate", env={"TESSERA_DATABASE_URL": url, "COLUMNS": "80"})
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert len(line) > 80
    assert line.startswith("error: TESSERA_DATABASE_URL must be a sqlite:/// URL")
    assert line.endswith("@database.internal.example.com:3306/loyalty_program_production'")
    assert "'mysql://shop:***@" in line
    assert "hunter2" not in result.stderr


def test_an_unsupported_database_names_the_variable_and_the_supported_schemes() -> None:
    result = run("demo", env={"TESSERA_DATABASE_URL": "mysql://root@localhost/tessera"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "TESSERA_DATABASE_URL" in result.stderr
    assert "sqlite:///" in result.stderr and "postgresql://" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["migrate"],
        ["serve", "--port", "1"],
        ["demo"],
        ["keys", "list"],
        ["sites", "list"],
        ["programs", "list"],
        ["programs", "show", "--program", "1"],
        ["transactions", "export", "--program", "1"],
    ],
    ids=" ".join,
)
def test_a_bad_redis_url_is_refused_by_every_command_before_it_starts(
    command: list[str], tmp_path: Path
) -> None:
    env = {"TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}", "TESSERA_REDIS_URL": "notaurl"}
    result = run(*command, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: TESSERA_REDIS_URL must be a Redis URL like redis://")
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_bad_setting_is_an_error_message_not_a_traceback(database_url: str) -> None:
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_LOG_LEVEL": "chatty"}
    result = run("migrate", env=env)
    assert result.returncode == 1
    assert "TESSERA_LOG_LEVEL must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_programs_list_shows_each_program_with_its_sites(database_url: str) -> None:
    made = json_of(tessera(database_url, "programs", "create", "--name", "Club", "--json"))
    program = str(made["program_id"])
    tessera(database_url, "sites", "create", "--program", program, "--name", "Shop")
    listed = json_of(tessera(database_url, "programs", "list", "--json"))
    assert [(p["id"], p["name"], p["sites"]) for p in listed] == [(made["program_id"], "Club", 1)]
    assert "Club" in tessera(database_url, "programs", "list").stdout


def test_program_is_still_a_name_for_the_programs_commands(database_url: str) -> None:
    made = json_of(tessera(database_url, "program", "create", "--name", "Old name", "--json"))
    assert [p["id"] for p in json_of(tessera(database_url, "program", "list", "--json"))] == [
        made["program_id"]
    ]
