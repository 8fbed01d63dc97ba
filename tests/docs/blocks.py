"""The code blocks of README.md and docs/*.md: what each is, where it is, and how it is marked.

A block is an example to run when its language is one of RUN_LANGUAGES. The line just before
its fence (blank lines aside) may hold one marker, an HTML comment that renders invisibly:

- ``<!-- not run: why -->``: an example that is not meant to run (it starts a server, runs for
  minutes, edits the repository...); the reason is required.
- ``<!-- file: NAME -->``: the block is the content of a file NAME, written into the page's
  working folder before the page runs; a runnable block of the page must use it by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
RUN_LANGUAGES = frozenset({"sh", "bash", "shell", "console", "python"})
SHELL_LANGUAGES = RUN_LANGUAGES - {"python"}

MARKER = re.compile(r"<!--\s*(not run|file)\b\s*:?\s*(.*?)\s*-->")
# The independent count: an opening fence with a runnable language, however the parser reads it.
FENCE_LINE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")


@dataclass(frozen=True)
class Block:
    page: str  # the page, relative to the repository root: "docs/stripe.md"
    line: int  # the line of its opening fence, from 1
    language: str  # the info string's first word, lowercased ("" when there is none)
    text: str
    not_run: str | None = None  # the reason of a `not run` marker ("" when it gives none)
    file: str | None = None  # the file name of a `file` marker ("" when it gives none)
    indented: bool = False  # an indented code block, which cannot name a language

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def runnable(self) -> bool:
        return self.language in RUN_LANGUAGES and self.not_run is None and self.file is None


def pages() -> list[Path]:
    """README.md, then every page of docs/ (a new page is picked up without listing it)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def page_name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def blocks_of(path: Path) -> list[Block]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for token in MarkdownIt("commonmark").parse(source):
        if token.type not in ("fence", "code_block") or token.map is None:
            continue
        start = token.map[0]
        kind, value = _marker(lines, start)
        found.append(
            Block(
                page=page_name(path),
                line=start + 1,
                language=token.info.split()[0].lower() if token.info.strip() else "",
                text=token.content,
                not_run=value if kind == "not run" else None,
                file=value if kind == "file" else None,
                indented=token.type == "code_block",
            )
        )
    return found


def _marker(lines: list[str], fence: int) -> tuple[str | None, str]:
    before = fence - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    if before < 0:
        return None, ""
    match = MARKER.fullmatch(lines[before].strip())
    if match is None:
        return None, ""
    return match.group(1), match.group(2)


def all_blocks() -> list[Block]:
    return [block for path in pages() for block in blocks_of(path)]


def count_runnable_fences(path: Path) -> int:
    """Opening fences with a runnable language, counted line by line without the parser."""
    count = 0
    inside: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = FENCE_LINE.match(line)
        if match is None:
            continue
        fence, language = match.groups()
        if inside is None:
            inside = fence
            count += language.lower() in RUN_LANGUAGES
        elif fence.startswith(inside) and not language:
            inside = None
    return count


def console_script(text: str) -> str:
    """A console block's commands: its ``$ `` lines and their ``\\`` continuations."""
    commands: list[str] = []
    continued = False
    for line in text.splitlines():
        if continued or line.startswith("$ "):
            commands.append(line if continued else line[2:])
            continued = line.endswith("\\")
    return "\n".join(commands) + "\n"
