"""The live Tessera a page's examples run against, and how one block is run.

Each page gets its own copy of one demo database (made once by the real `tessera migrate` and
`tessera demo --json`) and its own `tessera serve`, so an example that revokes a key or applies a
program file changes nothing another page sees. See tests/docs/test_examples.py for the model.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import tessera
from tests.conftest import LiveServer, start_live_server
from tests.docs.blocks import SHELL_LANGUAGES, Block, console_script

# What the docs call the server: `tessera serve`'s default address, replaced by the test's.
DOCUMENTED_URL = "http://127.0.0.1:8000"
BLOCK_TIMEOUT = 120.0
TAIL = 40

# curl fails on an HTTP error status, printing the answer and why, so that an example whose
# request Tessera refuses fails.
PRELUDE = """\
curl() { command curl --fail-with-body --show-error "$@"; }
__docs_before=$'\\n'"$(declare -p)"$'\\n'
if [[ -f %(state)s ]]; then source %(state)s; fi
cd %(folder)s
"""

# Every variable the block set or changed (exported or not) is written out for the page's
# later blocks; bash's own changing variables are not.
EPILOGUE = """\
__docs_save() {
  local __docs_name __docs_line
  for __docs_name in $(compgen -v); do
    case "$__docs_name" in
      __docs_*|BASH*|_|PIPESTATUS|FUNCNAME|LINENO|SECONDS|RANDOM|SRANDOM|EPOCH*|HISTCMD|PWD|\\
OLDPWD|SHLVL|OPTIND|OPTARG|OPTERR|COLUMNS|LINES|GROUPS|DIRSTACK|PPID|UID|EUID|SHELLOPTS|COMP_*)
        continue ;;
    esac
    __docs_line=$(declare -p "$__docs_name" 2>/dev/null) || continue
    if [[ $__docs_before == *$'\\n'"$__docs_line"$'\\n'* ]]; then continue; fi
    printf '%%s\\n' "$__docs_line"
  done > %(state)s.new
  mv %(state)s.new %(state)s
}
__docs_save
"""


@dataclass(frozen=True)
class Demo:
    database: Path
    keys: dict[str, str]  # the demo's JSON: api_key, stripe_secret_key, stripe_publishable_key


@dataclass(frozen=True)
class Outcome:
    block: Block
    returncode: int | None  # None: it did not finish within BLOCK_TIMEOUT
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def tail(text: str, lines: int = TAIL, characters: int = 3000) -> str:
    end = "\n".join(text.rstrip("\n").splitlines()[-lines:])
    return end if len(end) <= characters else "…" + end[-characters:]


def base_environment(database: Path) -> dict[str, str]:
    """The caller's environment without its own TESSERA_ settings, with the code under test's
    `tessera` and Python 3.11 first on PATH."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    source = str(Path(tessera.__file__).resolve().parents[1])
    python_path = os.environ.get("PYTHONPATH")
    bin_dir = str(Path(sys.executable).parent)
    environment |= {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": source + (os.pathsep + python_path if python_path else ""),
        "TESSERA_DATABASE_URL": f"sqlite:///{database}",
    }
    return environment


def make_demo(folder: Path) -> Demo:
    """What a reader has after `tessera migrate` and `tessera demo --json`."""
    database = folder / "tessera.db"
    environment = base_environment(database)
    for command in (["migrate"], ["demo", "--json"]):
        result = subprocess.run(
            ["tessera", *command], env=environment, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"tessera {' '.join(command)}:\n{result.stderr}"
    return Demo(database=database, keys=json.loads(result.stdout))


def copy_database(source: Path, target: Path) -> None:
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()


@dataclass
class PageWorld:
    """One page's folder, database, server and shell state; its blocks run in page order."""

    page: str
    blocks: list[Block]
    folder: Path
    demo: Demo
    server: LiveServer | None = None
    environment: dict[str, str] = field(default_factory=dict)
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    def start(self) -> None:
        self.folder.mkdir(parents=True)
        database = self.folder / "tessera.db"
        copy_database(self.demo.database, database)
        # The server key beside it (tessera.db.key) sealed the demo site's secret.
        key_file = self.demo.database.with_name(self.demo.database.name + ".key")
        if key_file.exists():
            shutil.copyfile(key_file, database.with_name(database.name + ".key"))
        self.environment = base_environment(database)
        # A page's blocks run back to back, faster than a reader pastes them: the default
        # limit of 20 calls a second would refuse a page's twenty-first call within a second.
        self.server = start_live_server(
            f"sqlite:///{database}",
            self.folder,
            env=self.environment | {"TESSERA_RATE_LIMIT_DEFAULT": "1000/second"},
        )
        self.environment |= {
            "TESSERA_URL": self.server.url,
            "TESSERA_PUBLIC_URL": self.server.url,
            "TESSERA_API_KEY": self.demo.keys["api_key"],
            "STRIPE_SECRET_KEY": self.demo.keys["stripe_secret_key"],
            "STRIPE_PUBLISHABLE_KEY": self.demo.keys["stripe_publishable_key"],
        }
        for block in self.blocks:
            if block.file:
                (self.folder / block.file).write_text(self.localized(block.text), "utf-8")

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()

    def localized(self, text: str) -> str:
        assert self.server is not None
        return text.replace(DOCUMENTED_URL, self.server.url)

    def server_log(self) -> str:
        if self.server is None:
            return ""
        time.sleep(0.3)  # access lines are written within a quarter of a second
        return tail(self.server.log.read_text(errors="replace"), 20)

    def outcome(self, block: Block) -> Outcome:
        """Run the page's blocks up to ``block`` (those not run yet), then ``block``."""
        if self.server is None:
            self.start()
        for earlier in self.blocks:
            if earlier.runnable and earlier.line not in self.outcomes:
                self.outcomes[earlier.line] = self._run(earlier)
            if earlier.line == block.line:
                break
        return self.outcomes[block.line]

    def earlier_failures(self, block: Block) -> list[Outcome]:
        return [o for line, o in self.outcomes.items() if line < block.line and not o.ok]

    def _run(self, block: Block) -> Outcome:
        state = self.folder / ".docs-state.sh"
        paths = {"state": shlex.quote(str(state)), "folder": shlex.quote(str(self.folder))}
        prelude = PRELUDE % paths
        if block.language in SHELL_LANGUAGES:
            body = console_script(block.text) if block.language == "console" else block.text
            script = prelude + self.localized(body) + "\n" + EPILOGUE % paths
        else:
            program = self.folder / f".docs-block-{block.line}.py"
            program.write_text(self.localized(block.text), "utf-8")
            script = prelude + f"exec {shlex.quote(sys.executable)} {shlex.quote(str(program))}\n"
        driver = self.folder / f".docs-block-{block.line}.sh"
        driver.write_text(script, "utf-8")
        # Its own process group, ended with the block: nothing it starts outlives it.
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", str(driver)],
            cwd=self.folder,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=BLOCK_TIMEOUT)
            returncode: int | None = process.returncode
        except subprocess.TimeoutExpired:
            _end_group(process.pid)
            stdout, stderr = process.communicate()
            returncode = None
        _end_group(process.pid)
        return Outcome(block, returncode, stdout, stderr)


def _end_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


@dataclass
class Pages:
    """The page worlds of a session: one at a time, the previous one stopped when the next
    page's first block asks for its own."""

    root: Path
    demo: Demo
    current: PageWorld | None = None
    started: int = 0

    def world(self, page: str, blocks: list[Block]) -> PageWorld:
        if self.current is not None and self.current.page == page:
            return self.current
        self.close()
        self.started += 1
        folder = self.root / f"{self.started:02d}-{page.replace('/', '-').removesuffix('.md')}"
        self.current = PageWorld(page=page, blocks=blocks, folder=folder, demo=self.demo)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
