"""Issue 19, item 1: no command can overwrite one of its own inputs (or one output another).

Every command that writes files is run with each of its output options (and the
derived paths: a report's sidecar, a summary's figures) pointed at each of its
inputs, directly, through a symbolic link and through a hard link. Each run must
stop with exit code 2 and one line before any work, leaving every file as it was.
``verify`` writes nothing, ``keys init`` and ``demo`` read no file, so neither can
overwrite an input.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fairaudit.cli import main
from fairaudit.errors import OutputError
from fairaudit.paths import guard_outputs, inside, same_file, sqlite_file

INPUTS = ("jobs.csv", "cands.csv", "audit.json", "after.json", "rw.json", "ad.txt", "target.json", "cfg.toml",
          "key.json", "tj.csv", "old.html")


def _cases():
    d = ["--jobs", "jobs.csv", "--candidates", "cands.csv"]
    return {
        # command line, the input file that the output would replace
        "audit --out=--jobs": (["audit", *d, "--out", "jobs.csv"], "jobs.csv"),
        "audit --out=--candidates": (["audit", *d, "--out", "cands.csv"], "cands.csv"),
        "audit --out=--target": (["audit", *d, "--target", "target.json", "--out", "target.json"], "target.json"),
        "rewrite --out=--jobs": (["rewrite", *d, "--out", "jobs.csv"], "jobs.csv"),
        "rewrite --out=--candidates": (["rewrite", *d, "--out", "cands.csv"], "cands.csv"),
        "rewrite --out=--train-jobs": (["rewrite", *d, "--train", "--train-jobs", "tj.csv", "--out", "tj.csv"],
                                       "tj.csv"),
        "rewrite --adapter holds --jobs": (["rewrite", *d, "--train", "--adapter", ".", "--out", "o/rw.csv"],
                                           "jobs.csv"),
        "rewrite --checkpoint-dir holds --jobs": (["rewrite", *d, "--train", "--checkpoint-dir", ".",
                                                   "--out", "o/rw.csv"], "jobs.csv"),
        "report sidecar=--audit": (["report", "--audit", "audit.json", "--out", "audit.pdf"], "audit.json"),
        "report sidecar=--after": (["report", "--audit", "audit.json", "--after", "after.json", "--out", "after.pdf"],
                                   "after.json"),
        "report sidecar=--rewrites": (["report", "--audit", "audit.json", "--rewrites", "rw.json", "--out", "rw.pdf"],
                                      "rw.json"),
        "report sidecar=--p12": (["report", "--audit", "audit.json", "--p12", "key.json", "--out", "key.pdf"],
                                 "key.json"),
        "summary --out=--audit": (["summary", "--audit", "old.html", "--out", "old.html"], "old.html"),
        "summary figures=--audit": (["summary", "--audit", "audit.json", "--out", "audit.html"], "audit.json"),
        "check --out=--text": (["check", "--text", "ad.txt", "--out", "ad.txt"], "ad.txt"),
        "check --out=--candidates": (["check", "--text", "ad.txt", "--candidates", "cands.csv", "--out", "cands.csv"],
                                     "cands.csv"),
        "check --out=--target": (["check", "--text", "ad.txt", "--target", "target.json", "--out", "target.json"],
                                 "target.json"),
        "history --out=--config": (["history", "--config", "cfg.toml", "--export", "csv", "--out", "cfg.toml"],
                                   "cfg.toml"),
        "history --out=database": (["history", "--db", "sqlite:///hist.sqlite", "--export", "csv", "--out",
                                    "hist.sqlite"], "hist.sqlite"),
    }


CASES = _cases()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in INPUTS:
        Path(name).write_text(f"original {name}\n", encoding="utf-8")
    Path("cfg.toml").write_text('period = "2026-Q4"\n[source]\nkind = "synthetic"\n[recommender]\nname = "bm25"\n'
                                '[history]\nurl = "sqlite:///hist.sqlite"\n', encoding="utf-8")
    import sqlite3

    sqlite3.connect("hist.sqlite").close()
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _alias(argv: list[str], target: str, how: str) -> list[str]:
    """The same command line with the clashing input named through a link to it (the output named directly)."""
    if how == "direct":
        return argv
    link = f"alias-{target}"
    if how == "symlink":
        Path(link).symlink_to(Path(target).resolve())
    else:
        os.link(target, link)
    out = []
    for i, a in enumerate(argv):
        if argv[i - 1] != "--out" and a in (target, f"sqlite:///{target}"):
            a = a.replace(target, link)
        out.append(a)
    assert out != argv
    return out


@pytest.mark.parametrize("how", ["direct", "symlink", "hardlink"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_output_replaces_an_input(workdir, capsys, case, how):
    argv, target = CASES[case]
    argv = _alias(list(argv), target, how)
    before = _snapshot(workdir)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "overwrite the input" in err or "output folder" in err, err
    assert _snapshot(workdir) == before  # nothing written, nothing replaced


def test_report_sidecar_reached_through_a_symlinked_input(workdir, capsys):
    """``--audit link.json`` where link.json -> audit.json, ``--out audit.pdf``: the sidecar is the audit."""
    Path("link.json").symlink_to(workdir / "audit.json")
    before = _snapshot(workdir)
    assert main(["report", "--audit", "link.json", "--out", "audit.pdf"]) == 2
    assert "the sidecar of --out audit.json would overwrite the input --audit link.json" in capsys.readouterr().err
    assert _snapshot(workdir) == before


def test_review_history_cannot_be_an_input(workdir, capsys):
    Path("cfg2.toml").write_text('period = "2026-Q4"\n[source]\nkind = "files"\njobs = "jobs.csv"\n'
                                 'candidates = "cands.csv"\n[recommender]\nname = "bm25"\n'
                                 '[history]\nurl = "sqlite:///jobs.csv"\n', encoding="utf-8")
    before = _snapshot(workdir)
    assert main(["review", "--config", "cfg2.toml"]) == 2
    assert "would overwrite the input source.jobs" in capsys.readouterr().err
    assert _snapshot(workdir) == before


def test_outputs_clash_with_each_other(tmp_path):
    with pytest.raises(OutputError, match="are the same file"):
        guard_outputs({}, {"--out": tmp_path / "a.csv", "--adapter": tmp_path / "x" / ".." / "a.csv"})


def test_helper_paths(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("x")
    os.link(a, tmp_path / "hard.txt")
    (tmp_path / "soft.txt").symlink_to(a)
    assert same_file(a, tmp_path / "hard.txt") and same_file(a, tmp_path / "soft.txt")
    assert not same_file(a, tmp_path / "other.txt")
    assert inside(tmp_path / "sub" / "f.csv", tmp_path) and not inside(a, tmp_path / "nope")
    assert sqlite_file("sqlite:///h.sqlite") == Path("h.sqlite")
    assert sqlite_file("sqlite:///:memory:") is None and sqlite_file("postgresql://x/y") is None
    guard_outputs({"--jobs": a, "--target": None}, {"--out": tmp_path / "new.json"})  # no clash: no error


def test_existing_output_replaced_atomically(tmp_path, monkeypatch):
    """An existing output that is no input is replaced by a rename, never truncated in place."""
    from fairaudit.atomic import write_text

    out = tmp_path / "audit.json"
    out.write_text("old")
    ino = out.stat().st_ino
    hard = tmp_path / "keep.json"
    os.link(out, hard)  # a second name of the old file keeps the old bytes: it was not written in place
    write_text(out, "new")
    assert out.read_text() == "new" and hard.read_text() == "old" and out.stat().st_ino != ino
