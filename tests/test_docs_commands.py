"""Every shell command of getting-started and of the user guide runs as written.

A newcomer copies the commands of a page in the order given, from the repository folder;
each must work without files the page never made. Each page's ``bash``/``sh``/``shell``
blocks (and the ``$``-prompt lines of ``console`` blocks) are parsed into commands here:

- statically (fast): every file a command reads is written by an earlier command of the
  same page or ships with the repository (``examples/``), so no page starts from data the
  reader does not have;
- for real (slow: the commands load the packaged models): each page in a fresh temporary
  folder holding a copy of ``examples/`` (what a clone has), with the project's ``fairaudit``
  on ``PATH``, commands in order; each must exit 0, or with a code the line's comment
  announces (``# ... (exit 0 or 3)``). The embedding cache is shared by the pages, so the
  example data are embedded once.

Lines that set up the environment (``. .venv/bin/activate``, ``make demo``) are what this
test's environment already is, and are not run.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "docs" / "getting-started.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)
SHELL = ("bash", "sh", "shell", "console")
#: Lines that prepare the environment this test already runs in (the venv's fairaudit on PATH).
SETUP = re.compile(r"^(\.|source)\s+\S*\.venv/bin/activate$|^make( |$)")
#: Options whose value is a file a command reads, and those whose value it writes.
READS = ("--jobs", "--candidates", "--text", "--audit", "--after", "--rewrites", "--config", "--trust",
         "--key-dir", "--train-jobs")
WRITES = ("--out", "--jobs-out", "--dir")


@dataclass(frozen=True)
class Command:
    page: str
    line: str
    ok: frozenset[int]

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.line)


def commands(text: str, lang: str, page: str = "") -> list[Command]:
    """The commands of one fenced block: continuations joined, prompts and comments removed,
    the accepted exit codes read from the comment (``exit 0 or 3``; default 0)."""
    out = []
    for raw in re.sub(r"\s*\\\n\s*", " ", text).splitlines():
        if lang == "console":
            if not re.match(r"^\s*\$\s", raw):
                continue  # output, not a command
            raw = re.sub(r"^\s*\$\s+", "", raw)
        line, _, comment = raw.partition(" #")
        line = line.strip()
        if not line or line.startswith("#") or SETUP.match(line):
            continue
        codes = re.search(r"\bexit\s+(\d+(?:\s*(?:,|or)\s*\d+)*)", comment)
        ok = frozenset(int(c) for c in re.findall(r"\d+", codes.group(1))) if codes else frozenset({0})
        out.append(Command(page, line, ok))
    return out


def page_commands(page: Path) -> list[Command]:
    text = page.read_text(encoding="utf-8")
    name = str(page.relative_to(ROOT))
    return [c for m in FENCE.finditer(text) if m.group(1) in SHELL for c in commands(m.group(2), m.group(1), name)]


RUNNABLE = [p for p in PAGES if page_commands(p)]


def _value(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == option]


def missing_inputs(cmds: list[Command], repo: Path = ROOT) -> list[str]:
    """Files the commands read that no earlier command wrote and the repository does not ship."""
    made: set[str] = set()
    missing = []
    for c in cmds:
        argv = c.argv
        example_data = argv[:3] == ["fairaudit", "datasets", "write"]  # its --jobs/--candidates are counts
        for option in () if example_data else READS:
            for path in _value(argv, option):
                written = path in made or any(path.startswith(d.rstrip("/") + "/") for d in made)
                if option == "--key-dir" and path in made:
                    written = True
                if not written and not (repo / path).exists():
                    missing.append(f"{c.page}: `{c.line}` reads {path}, which nothing before it wrote")
        for option in WRITES:
            made.update(_value(argv, option))
        if example_data and len(argv) > 3:
            made.update({argv[3], f"{argv[3]}/jobs.csv", f"{argv[3]}/candidates.csv"})
    return missing


def test_the_parser_reads_blocks_as_a_reader_would():
    got = commands("$ fairaudit a --x 1 \\\n   --y 2   # exit 0 or 3\nsome output\n$ make demo\n", "console")
    assert [(c.line, set(c.ok)) for c in got] == [("fairaudit a --x 1 --y 2", {0, 3})]
    got = commands(". .venv/bin/activate\nfairaudit b  # a comment\n# only a comment\n", "bash")
    assert [(c.line, set(c.ok)) for c in got] == [("fairaudit b", {0})]


def test_a_page_that_reads_data_it_never_wrote_is_caught():
    cmds = commands("fairaudit audit --jobs jobs.csv --candidates candidates.csv --out audit.json\n", "bash")
    assert len(missing_inputs(cmds)) == 2
    cmds = commands("fairaudit datasets write d\nfairaudit audit --jobs d/jobs.csv --candidates d/candidates.csv "
                    "--out a.json\nfairaudit report --audit a.json --out r.pdf\n", "bash")
    assert missing_inputs(cmds) == []


def test_getting_started_has_commands_and_example_data():
    cmds = page_commands(ROOT / "docs" / "getting-started.md")
    assert cmds and cmds[0].argv[:3] == ["fairaudit", "datasets", "write"]
    assert len(RUNNABLE) >= 4  # getting-started and the guide pages that show commands


@pytest.mark.parametrize("page", RUNNABLE, ids=[p.stem for p in RUNNABLE])
def test_every_file_a_page_reads_is_made_first(page):
    assert missing_inputs(page_commands(page)) == []


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fairaudit-cache")


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNABLE, ids=[p.stem for p in RUNNABLE])
def test_the_commands_of_a_page_run_in_order(page, tmp_path, shared_cache):
    work = tmp_path / "clone"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples", ignore=shutil.ignore_patterns("review-out"))
    env = dict(os.environ, FAIRAUDIT_CACHE=str(shared_cache), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for c in page_commands(page):
        proc = subprocess.run(["bash", "-c", c.line], cwd=work, env=env, capture_output=True, text=True,
                              timeout=1800)
        assert proc.returncode in c.ok, (f"{c.page}: `{c.line}` exited {proc.returncode} "
                                         f"(expected {sorted(c.ok)}):\n{proc.stderr[-2000:]}")
