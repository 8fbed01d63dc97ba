"""Every shell and Python example of README.md and docs/*.md runs against a live Tessera.

What runs (README.md, "Writing docs", says it for authors):

- Every fenced block of README.md and docs/*.md (found by glob, so a new page is included) names
  its language. sh, bash, shell, console and python blocks are examples and run; the others
  (yaml, json, text, ini, js...) are data. yaml and json blocks must parse, and a yaml block that
  is a program file example (its keys are program file fields) must pass the program file
  validator `tessera program apply` runs, together with the page's other program file examples
  (its own keys win), so a fragment may use the tiers another example defines.
- A block that is not meant to run says so on the line before its fence,
  ``<!-- not run: why -->``, with the reason. ``<!-- file: NAME -->`` makes a block the content
  of the file NAME, written into the page's folder for the page's examples to use. Nothing is
  skipped silently: the run and marked blocks add up to every fence of a runnable language,
  counted without the Markdown parser.
- Each page gets a fresh copy of one demo database (the real `tessera migrate` and
  `tessera demo --json`), its own `tessera serve` and its own working folder. Its blocks run in
  page order, each in its own process: shell blocks with `bash -euo pipefail`, python blocks with
  this suite's Python 3.11. A variable a shell block sets (exported or not) is set for the page's
  later shell blocks, and an exported one for its python blocks too; `cd` and shell functions do
  not carry over.
- The environment is what a reader has after "Using it" in the README: TESSERA_API_KEY (the
  demo's `pat_` key), STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY (its Stripe test keys),
  TESSERA_URL (the server), TESSERA_DATABASE_URL, and PATH with `tessera` and `python` first.
  The docs' `http://127.0.0.1:8000` (`tessera serve`'s default) becomes the test server's
  address, and curl fails on an HTTP error status (``--fail-with-body``). The server's
  TESSERA_RATE_LIMIT_DEFAULT is raised: blocks run faster than a reader pastes them.

A block is one test, named by page and line (``docs/stripe.md:57``). Since a block may use what
the page's earlier blocks set, a test run alone (``-k``) first runs those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tessera.kit.errors import Invalid
from tessera.programs.configuration import ProgramDocument, load_program_file
from tests.docs.blocks import (
    RUN_LANGUAGES,
    Block,
    all_blocks,
    count_runnable_fences,
    page_name,
    pages,
)
from tests.docs.live import Outcome, Pages, PageWorld, make_demo, tail

BLOCKS = all_blocks()
RUNNABLE = [block for block in BLOCKS if block.runnable]
PROGRAM_FIELDS = frozenset(ProgramDocument.__struct_fields__)


def page_blocks(page: str) -> list[Block]:
    return [block for block in BLOCKS if block.page == page]


def program_file_data(block: Block) -> dict[str, Any] | None:
    """The block's document when it is a program file example, else None."""
    if block.language not in ("yaml", "yml") or block.not_run is not None or block.file:
        return None
    try:
        data = yaml.safe_load(block.text)
    except yaml.YAMLError:
        return None
    if isinstance(data, dict) and data and set(data) <= PROGRAM_FIELDS:
        return data
    return None


PROGRAM_FILES = [block for block in BLOCKS if program_file_data(block) is not None]
DATA = [block for block in BLOCKS if block.language in ("yaml", "yml", "json")]


@pytest.fixture(scope="session")
def docs_pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pages]:
    root = tmp_path_factory.mktemp("docs")
    (root / "demo").mkdir()
    worlds = Pages(root=root, demo=make_demo(root / "demo"))
    try:
        yield worlds
    finally:
        worlds.close()


def failure_report(outcome: Outcome, world: PageWorld) -> str:
    block = outcome.block
    if outcome.returncode is None:
        why = "did not finish within its time"
    else:
        why = f"exit status {outcome.returncode}"
    lines = [f"{block.id} failed ({block.language} block, {why})"]
    earlier = [o.block.id for o in world.earlier_failures(block)]
    if earlier:
        lines.append(f"earlier blocks of the page failed too: {', '.join(earlier)}")
    lines += ["--- the block ---", block.text.rstrip("\n")]
    lines += ["--- stdout (its end) ---", tail(outcome.stdout)]
    lines += ["--- stderr (its end) ---", tail(outcome.stderr)]
    lines += ["--- the server's log (its end) ---", world.server_log()]
    return "\n".join(lines)


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.id)
def test_example_runs(block: Block, docs_pages: Pages) -> None:
    world = docs_pages.world(block.page, page_blocks(block.page))
    outcome = world.outcome(block)
    if not outcome.ok:
        pytest.fail(failure_report(outcome, world), pytrace=False)


@pytest.mark.parametrize("block", PROGRAM_FILES, ids=lambda block: block.id)
def test_program_file_example_is_accepted(block: Block) -> None:
    own = program_file_data(block)
    assert own is not None
    document: dict[str, Any] = {}
    for other in page_blocks(block.page):
        for key, value in (program_file_data(other) or {}).items():
            document.setdefault(key, value)
    document |= own
    try:
        load_program_file(yaml.safe_dump(document, allow_unicode=True), block.id)
    except Invalid as exc:
        details = "".join(f"\n  {path}: {why}" for path, why in (exc.details or {}).items())
        pytest.fail(f"{block.id}: {exc.message}{details}", pytrace=False)


@pytest.mark.parametrize("block", DATA, ids=lambda block: block.id)
def test_data_block_parses(block: Block) -> None:
    try:
        if block.language == "json":
            json.loads(block.text)
        else:
            yaml.safe_load(block.text)
    except ValueError as exc:
        pytest.fail(f"{block.id} is not valid {block.language}: {exc}", pytrace=False)
    except yaml.YAMLError as exc:
        pytest.fail(f"{block.id} is not valid {block.language}: {exc}", pytrace=False)


def test_every_block_names_its_language() -> None:
    unnamed = [block.id for block in BLOCKS if not block.language or block.indented]
    assert not unnamed, (
        f"fenced blocks without a language (an example nobody would run): {unnamed}; "
        "use ```sh or ```python for examples, ```text for output"
    )


def test_every_marker_gives_its_reason_or_file_name() -> None:
    bare = [b.id for b in BLOCKS if b.not_run == "" or b.file == ""]
    assert not bare, (
        f"`<!-- not run: why -->` needs its why, `<!-- file: NAME -->` its name: {bare}"
    )


def test_not_run_marks_only_examples() -> None:
    misplaced = [
        b.id
        for b in BLOCKS
        if b.not_run is not None and b.language not in {*RUN_LANGUAGES, "yaml", "yml"}
    ]
    assert not misplaced, f"`not run` on a block that never runs: {misplaced}"


def test_every_file_block_is_used_by_an_example_of_its_page() -> None:
    unused = [
        b.id
        for b in BLOCKS
        if b.file
        and not any(b.file in other.text for other in page_blocks(b.page) if other.runnable)
    ]
    assert not unused, f"file blocks no example of their page uses: {unused}"


@pytest.mark.parametrize("path", pages(), ids=page_name)
def test_no_example_is_skipped_silently(path: Path) -> None:
    page = page_name(path)
    fences = count_runnable_fences(path)
    run = [b for b in RUNNABLE if b.page == page]
    marked = [
        b
        for b in page_blocks(page)
        if b.language in RUN_LANGUAGES and (b.not_run is not None or b.file is not None)
    ]
    assert len(run) + len(marked) == fences, (
        f"{page} has {fences} sh/python fences, but {len(run)} run and {len(marked)} are "
        "marked: the Markdown parser reads a fence otherwise (inside an HTML block?)"
    )
