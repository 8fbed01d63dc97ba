"""One version: pyproject.toml's, which the package and the changelog's newest entry repeat."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import tessera

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_package_says_the_version_pyproject_gives_it() -> None:
    assert tessera.__version__ == VERSION


def test_the_newest_changelog_entry_is_the_package_version() -> None:
    entries = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert entries[0] == VERSION
