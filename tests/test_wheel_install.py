"""Tessera installed from its wheel, not run from a clone.

The wheel is built from a copy of the source (pyproject.toml, README.md, src/) without build
isolation, so nothing is downloaded, and installed with ``--no-deps`` into a fresh virtualenv.
Its dependencies are this environment's: a ``.pth`` file in the new virtualenv names this
environment's site-packages, which adds them to ``sys.path`` but runs none of their ``.pth``
files, so an editable install of Tessera there stays invisible. The installed ``tessera`` then
runs from an empty folder with no ``PYTHONPATH``: whatever it reads from disk must come from
the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from tests.services import free_port, wait_for_port

SOURCE = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]["version"]
# Under src/tessera but only for working on the catalogs (pybabel's extraction config and
# template); the .po catalogs are compiled in memory at run time, so no .mo file is shipped.
DEVELOPMENT_ONLY = {"tessera/web/locales/babel.cfg", "tessera/web/locales/messages.pot"}
NOT_SHIPPED_SUFFIXES = {".pyc", ".mo"}
# The demo member `tessera demo` prints a curl for.
DEMO_CUSTOMER = {"merchant_id": "1000001", "email": "alice@example.com"}


def outside(home: Path, **settings: str) -> dict[str, str]:
    """The suite's environment without its Python path and Tessera settings, at home in
    ``home`` (the demo's key file goes under it), with ``settings`` added."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TESSERA_", "PYTHON", "VIRTUAL_ENV"))
    }
    return {**kept, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), **settings}


def run(command: list[str], home: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``command`` run in ``home`` in the :func:`outside` environment; it must succeed."""
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        command,
        cwd=home,
        env=outside(home, **settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def build_wheel(base: Path) -> Path:
    setuptools = version("setuptools")
    if int(setuptools.split(".")[0]) < 77:
        pytest.fail(f"setuptools {setuptools} cannot build the wheel: install the dev extra")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(SOURCE / name, source / name)
    shutil.copytree(
        SOURCE / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc", "*.mo"),
    )
    dist = base / "dist"
    wheel = ["wheel", "--no-deps", "--no-index", "--no-build-isolation", "-w", str(dist), "."]
    run([sys.executable, "-m", "pip", "--quiet", *wheel], source)
    (built,) = dist.glob("tessera-*.whl")
    return built


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    def tessera(self, home: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """The installed ``tessera`` run in ``home``, a folder outside the source tree."""
        return run([str(self.venv / "bin" / "tessera"), *args], home, COLUMNS="200", **settings)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(base)
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base)
    python = str(venv / "bin" / "python")
    install = ["install", "--no-deps", "--no-index", str(wheel)]
    run([sys.executable, "-m", "pip", "--quiet", "--python", python, *install], base)
    site_packages = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], base
    )
    ours = sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    Path(site_packages.stdout.strip(), "tessera-dependencies.pth").write_text(
        "\n".join(ours) + "\n"
    )
    return Installed(wheel=wheel, venv=venv)


@dataclass(frozen=True)
class Served:
    url: str
    demo: dict[str, object]


@pytest.fixture(scope="module")
def served(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The installed ``tessera serve`` on SQLite with the demo, as ``make run`` starts it."""
    home = tmp_path_factory.mktemp("serve")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    demo = installed.tessera(home, "demo", "--json", TESSERA_PUBLIC_URL=url)
    log = home / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(installed.venv / "bin" / "tessera"), "serve", "--port", str(port)],
            cwd=home,
            env=outside(home, TESSERA_PUBLIC_URL=url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            wait_for_port(port, timeout=30)
        except TimeoutError:
            pytest.fail(f"the installed tessera serve did not start:\n{log.read_text()}")
        yield Served(url=url, demo=json.loads(demo.stdout))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def shipped_files() -> set[str]:
    package = SOURCE / "src" / "tessera"
    return {
        path.relative_to(package.parent).as_posix()
        for path in package.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in NOT_SHIPPED_SUFFIXES
    } - DEVELOPMENT_ONLY


def test_the_wheel_carries_every_file_of_the_package(installed: Installed) -> None:
    in_wheel = set(zipfile.ZipFile(installed.wheel).namelist())
    assert sorted(shipped_files() - in_wheel) == []


def test_the_installed_package_is_imported_from_its_virtualenv(
    installed: Installed, tmp_path: Path
) -> None:
    python = str(installed.venv / "bin" / "python")
    where = run([python, "-c", "import tessera; print(tessera.__file__)"], tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(installed.venv)


def test_installed_tessera_migrates_a_new_database_in_its_data_folder(
    installed: Installed, tmp_path: Path
) -> None:
    result = installed.tessera(tmp_path, "migrate")
    assert "database is up to date" in result.stdout
    assert (tmp_path / "data" / "tessera" / "tessera.db").is_file()


def test_installed_tessera_serves_the_demo_loyalty_page(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        session = http.post(
            f"/v2/sites/{served.demo['site_id']}/webviews/sessions",
            headers={"Authorization": f"Bearer {served.demo['api_key']}"},
            json={"channel": "my-app", "customer": DEMO_CUSTOMER},
        )
        assert session.status_code == 201, session.text
        page = http.get(session.json()["webview_session"]["url"], follow_redirects=True)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Tessera Rewards" in page.text


def test_installed_tessera_is_ready_with_its_own_migrations(served: Served) -> None:
    ready = httpx.get(f"{served.url}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text


def test_installed_tessera_serves_its_contracts_and_their_docs(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        contract = http.get("/openapi/admin-v2.json")
        docs = http.get("/docs/admin-v2")
    assert contract.status_code == 200
    assert "/v2/sites/{site_id}/webviews/sessions" in contract.json()["paths"]
    assert docs.status_code == 200
    assert "webviews/sessions" in docs.text


def test_installed_tessera_prints_its_version(installed: Installed, tmp_path: Path) -> None:
    result = installed.tessera(tmp_path, "--version")
    assert VERSION in result.stdout
