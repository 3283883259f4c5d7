"""The code in the documentation cannot drift from the code.

The example gallery is executed by every docs build; the snippets in the Markdown pages
(README.md and docs/**/*.md) are checked here without running them (they use your files):
every ``fairaudit ...`` command line parses with the real CLI parser (its sub-command,
options and choices exist), and every Python block compiles and imports only names that
exist.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import io
import re
import shlex
from pathlib import Path

import pytest

from fairaudit.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGES = [p for p in PAGES if "_build" not in p.parts and "auto_examples" not in p.parts]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(lang: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for m in FENCE.finditer(page.read_text(encoding="utf-8")):
            if m.group(1) in lang:
                out.append((f"{page.relative_to(ROOT)}:{page.read_text(encoding='utf-8')[:m.start()].count(chr(10)) + 1}",
                            m.group(2)))
    return out


def command_lines(text: str) -> list[str]:
    """``fairaudit`` invocations in a shell block: continuations joined, prompts, environment
    assignments and comments removed; lines with placeholders (``...``, ``[--opt]``) skipped."""
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = re.sub(r"^\s*\$\s+", "", line)
        line = re.sub(r"\s+#.*$", "", line).strip()
        line = re.sub(r"^(\w+=\S*\s+)+", "", line)
        if line.startswith("fairaudit ") and "..." not in line and "[" not in line:
            out.append(line)
    return out


CLI_LINES = [(where, line) for where, text in blocks(("bash", "sh", "console", "shell"))
             for line in command_lines(text)]
PY_BLOCKS = blocks(("python",))


def test_the_pages_have_code_to_check():
    assert len(CLI_LINES) >= 15 and len(PY_BLOCKS) >= 5


@pytest.mark.parametrize("where,line", CLI_LINES, ids=[f"{w} {l[:40]}" for w, l in CLI_LINES])
def test_cli_line_parses(where, line):
    parser = build_parser()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parser.parse_args(shlex.split(line)[1:])
    except SystemExit as exc:
        if exc.code not in (0, None):
            pytest.fail(f"{where}: `{line}` does not parse: {err.getvalue().strip().splitlines()[-1:]}")


@pytest.mark.parametrize("where,code", PY_BLOCKS, ids=[w for w, _ in PY_BLOCKS])
def test_python_block_compiles_and_imports_exist(where, code):
    tree = ast.parse(code, filename=where)  # a syntax error fails here
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "fairaudit":
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert alias.name == "*" or hasattr(module, alias.name), \
                    f"{where}: {node.module} has no {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fairaudit":
                    importlib.import_module(alias.name)


def test_a_wrong_option_is_caught():
    # the check can fail: an option that does not exist
    parser = build_parser()
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        parser.parse_args(["audit", "--jobs", "j.csv", "--no-such-option"])
    assert command_lines("$ FOO=1 fairaudit audit \\\n  --k 10  # comment\nfairaudit x [--y]\n") == \
        ["fairaudit audit --k 10"]
