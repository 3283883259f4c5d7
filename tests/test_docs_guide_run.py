"""The guide's sample output and pictures come from one run of its own commands (docs/_ext/guide_run.py).

The docs build runs ``guide_run.STEPS`` (the commands the compliance and LL144 pages
show) and the pages include what that run printed and show its pictures. Checked here,
without a build: the steps are the pages' commands, verbatim and in the pages' order;
every file a page takes from the run is one the run writes; no docs page shows a
committed picture (those are the README's); a transcript keeps a command's output and
its warnings and drops its progress messages; a failing command or a missing tool stops
the build with one message.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from test_docs_commands import page_commands

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _ext():
    spec = importlib.util.spec_from_file_location("fairaudit_docs_guide_run", DOCS / "_ext" / "guide_run.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


G = _ext()
STEP = {s.name: s for s in G.STEPS}
#: What ``generate`` writes: a transcript per step, the summary.json excerpt and three pictures.
WRITTEN = {f"{s.name}.txt" for s in G.STEPS} | {"summary-json.txt", "report-page-1.png", "report-page-2.png",
                                                  "ll144-summary.png"}


@pytest.mark.parametrize("page", sorted(G.PAGES))
def test_the_run_is_the_pages_commands_in_their_order(page):
    shown = [c.line for c in page_commands(DOCS / page)]
    steps = [STEP[name].line for name in G.PAGES[page]]
    missing = [line for line in steps if line not in shown]
    assert not missing, f"{page} no longer shows {missing}: change guide_run.STEPS with the page"
    assert [line for line in shown if line in steps] == steps, f"{page} gives the commands in another order"


def test_the_run_keeps_the_steps_dependencies_in_order():
    names = [s.name for s in G.STEPS]
    for page_steps in G.PAGES.values():
        assert [n for n in names if n in page_steps] == list(page_steps)


def test_the_pages_take_only_what_the_run_writes():
    used = {}
    for page in DOCS.rglob("*.md"):
        if "_build" in page.parts:
            continue
        for name in re.findall(r"_generated/guide-run/([\w.-]+)", page.read_text(encoding="utf-8")):
            used.setdefault(name, []).append(page.relative_to(DOCS).as_posix())
    assert set(used) - WRITTEN == set()
    assert {"audit.txt", "report-page-1.png", "report-page-2.png", "ll144-summary.png", "summary.txt"} <= set(used)


def test_no_docs_page_shows_a_picture_of_another_run():
    """The committed pictures (docs/_static/img/) are the README's; a docs page shows its build's."""
    stale = [p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
             if "_build" not in p.parts and "_static/img/" in p.read_text(encoding="utf-8")]
    assert stale == []


def test_an_audit_runs_with_bm25_and_nothing_else_changes():
    assert STEP["audit"].run_line == STEP["audit"].line + " --recommender bm25"
    assert all(s.run_line == s.line for s in G.STEPS if s.name != "audit")


def test_a_transcript_keeps_output_and_warnings_not_progress():
    got = G.transcript("fairaudit summary --audit a.json --out s.html", "LL144 summary ...   \nwrote s.html\n",
                       "fairaudit: ranking 5 texts\nembedding: 41%|####  | 4/10\n"
                       "fairaudit summary: warning: the summary lacks the distribution date\n")
    assert got == ("$ fairaudit summary --audit a.json --out s.html\nLL144 summary ...\nwrote s.html\n"
                   "fairaudit summary: warning: the summary lacks the distribution date\n")


def test_the_commands_run_through_the_cli_in_a_child_process(tmp_path):
    got = G.run_steps(tmp_path, (G.Step("data", "fairaudit datasets write d --jobs 3 --candidates 30"),))
    assert got["data"].startswith("$ fairaudit datasets write d --jobs 3 --candidates 30\njobs:")
    assert (tmp_path / "d" / "jobs.csv").is_file()


def test_a_failing_command_stops_the_run_with_its_message(tmp_path):
    steps = (G.Step("verify", "fairaudit verify missing.pdf"), G.Step("never", "fairaudit datasets write d"))
    with pytest.raises(G.GuideRunError, match=r"`fairaudit verify missing\.pdf` exited 2:\n.*missing\.pdf"):
        G.run_steps(tmp_path, steps)
    assert not (tmp_path / "d").exists()


def test_a_missing_tool_is_named(monkeypatch):
    monkeypatch.setattr(G.shutil, "which", lambda name: "/usr/bin/pdftoppm" if name == "pdftoppm" else None)
    with pytest.raises(G.GuideRunError, match=r"needs chromium \(Debian package chromium\)"):
        G.tools()


def test_a_dependency_deprecation_notice_stays_off_the_cli_error_line():
    import warnings

    from fairaudit.cli import quiet_dependency_warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        quiet_dependency_warnings()
        # what cryptography 51 raises when pyHanko imports its DSA key class
        warnings.warn_explicit("DSA is deprecated and support will be removed in a future release.", UserWarning,
                               "pdf_cms.py", 20, module="pyhanko.sign.signers.pdf_cms")
        warnings.warn_explicit("something else", UserWarning, "pdf_cms.py", 21, module="pyhanko.sign.signers.pdf_cms")
    assert [str(w.message) for w in seen] == ["something else"]
