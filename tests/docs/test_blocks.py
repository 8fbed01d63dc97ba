"""The collector of the docs' code blocks: languages, markers, and the count without the parser."""

from __future__ import annotations

from pathlib import Path

from tests.docs.blocks import blocks_of, console_script, count_runnable_fences

PAGE = """\
# A page

```sh
echo one
```

<!-- not run: it serves until stopped -->
```bash
tessera serve
```

<!-- not run -->

```python
print("no reason given")
```

<!-- file: example.py -->
```python
print("a file")
```

````text
```sh
echo inside another block
```
````

```yaml
rules: []
```
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_blocks_carry_their_page_line_and_language(tmp_path: Path) -> None:
    blocks = blocks_of(write(tmp_path, PAGE))
    assert [(b.id, b.language) for b in blocks] == [
        ("page.md:3", "sh"),
        ("page.md:8", "bash"),
        ("page.md:14", "python"),
        ("page.md:19", "python"),
        ("page.md:23", "text"),
        ("page.md:29", "yaml"),
    ]


def test_a_marker_on_the_line_before_the_fence_blank_lines_aside_is_read(tmp_path: Path) -> None:
    blocks = blocks_of(write(tmp_path, PAGE))
    assert [(b.not_run, b.file, b.runnable) for b in blocks[:4]] == [
        (None, None, True),
        ("it serves until stopped", None, False),
        ("", None, False),
        (None, "example.py", False),
    ]


def test_the_count_without_the_parser_skips_a_fence_inside_a_longer_one(tmp_path: Path) -> None:
    assert count_runnable_fences(write(tmp_path, PAGE)) == 4


def test_a_fence_the_parser_reads_as_html_is_still_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "<details>\n```sh\necho hidden\n```\n</details>\n")
    assert [b for b in blocks_of(path) if b.language == "sh"] == []
    assert count_runnable_fences(path) == 1


def test_a_console_block_runs_its_prompted_lines_and_their_continuations() -> None:
    text = "$ tessera program schema \\\n  > schema.json\n{\n$ ls\nschema.json\n"
    assert console_script(text) == "tessera program schema \\\n  > schema.json\nls\n"
