"""Issue 25, item 4: paired outputs (a report and its sidecar, a summary and its figures) are all or nothing.

``write_all`` used to move the files into place one by one and, when a later one
failed (a folder or an immutable file in its place), left the earlier ones
replaced: a genuine report's sidecar was overwritten by another report's, and the
genuine report no longer verified.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fairaudit import atomic
from fairaudit.atomic import write_all
from fairaudit.cli import main
from fairaudit.errors import OutputError


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.fixture
def immutable():
    """Factory: make a file immutable (chattr +i, root only); undone afterwards."""
    made: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0 or not shutil.which("chattr"):
            pytest.skip("chattr +i needs root and chattr(1)")
        r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"this file system has no immutable flag: {r.stderr.strip()}")
        made.append(path)

    yield make
    for p in made:
        subprocess.run(["chattr", "-i", str(p)], check=False)


def test_a_folder_in_the_way_changes_nothing(tmp_path):
    (tmp_path / "a.json").write_bytes(b"old a")
    (tmp_path / "b.pdf").mkdir()
    with pytest.raises(OutputError, match="b.pdf: it is a folder"):
        write_all({tmp_path / "a.json": b"new a", tmp_path / "b.pdf": b"new b"})
    assert (tmp_path / "a.json").read_bytes() == b"old a"
    assert _leftovers(tmp_path, {"a.json", "b.pdf"}) == []


def test_an_immutable_file_in_the_way_restores_what_was_replaced(tmp_path, immutable):
    (tmp_path / "a.json").write_bytes(b"old a")
    (tmp_path / "b.pdf").write_bytes(b"old b")
    immutable(tmp_path / "b.pdf")
    with pytest.raises(OutputError, match="b.pdf"):
        write_all({tmp_path / "a.json": b"new a", tmp_path / "b.pdf": b"new b"})
    assert (tmp_path / "a.json").read_bytes() == b"old a" and (tmp_path / "b.pdf").read_bytes() == b"old b"
    assert _leftovers(tmp_path, {"a.json", "b.pdf"}) == []


@pytest.mark.parametrize("existing", [True, False])
def test_a_failure_half_way_puts_back_or_removes_the_earlier_files(tmp_path, monkeypatch, existing):
    files = {tmp_path / n: f"new {n}".encode() for n in ("a.json", "b.pdf", "c.txt")}
    if existing:
        for p in files:
            p.write_bytes(b"old " + p.name.encode())
    real = atomic._publish

    def publish(tmp, target, overwrite):
        if Path(target).name == "c.txt":
            raise OSError(28, "No space left on device")
        real(tmp, target, overwrite)

    monkeypatch.setattr(atomic, "_publish", publish)
    with pytest.raises(OutputError, match="c.txt: No space left"):
        write_all(files)
    for p in files:
        assert (p.read_bytes() == b"old " + p.name.encode()) if existing else not p.exists()
    assert _leftovers(tmp_path, {p.name for p in files}) == []
    monkeypatch.setattr(atomic, "_publish", real)
    write_all(files)  # and a run that succeeds replaces them all, leaving no backup behind
    assert all(p.read_bytes() == data for p, data in files.items())
    assert _leftovers(tmp_path, {p.name for p in files}) == []


# ------------------------------------------------------------------ through the commands
@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    from test_report_render import audits

    d = tmp_path_factory.mktemp("paired")
    before, after, _ = audits()
    before.to_json(d / "audit.json")
    after.to_json(d / "other.json")  # another audit: another sidecar
    assert main(["keys", "init", "--dir", str(d / "keys"), "--key-type", "ec"]) == 0
    return d


def _report(d: Path, out: Path, audit: str) -> int:
    return main(["report", "--audit", str(d / audit), "--out", str(out), "--key-dir", str(d / "keys"), "--quiet"])


def _verifies(d: Path, pdf: Path) -> bool:
    return main(["verify", str(pdf), "--trust", str(d / "keys" / "signing-cert.pem")]) == 0


def test_report_onto_a_folder_keeps_the_earlier_sidecar(signed, tmp_path, capsys):
    d = signed
    (tmp_path / "r.pdf").mkdir()
    (tmp_path / "r.json").write_text("an earlier sidecar")
    assert _report(d, tmp_path / "r.pdf", "other.json") == 2
    err = capsys.readouterr().err
    assert "it is a folder" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "r.json").read_text() == "an earlier sidecar"


def test_report_onto_an_immutable_pdf_keeps_the_genuine_report_verifiable(signed, tmp_path, capsys, immutable):
    d = signed
    pdf = tmp_path / "r.pdf"
    assert _report(d, pdf, "audit.json") == 0 and _verifies(d, pdf)
    side = pdf.with_suffix(".json").read_bytes()
    immutable(pdf)
    assert _report(d, pdf, "other.json") == 2
    assert "r.pdf" in capsys.readouterr().err
    assert pdf.with_suffix(".json").read_bytes() == side
    assert _verifies(d, pdf)
    assert _leftovers(tmp_path, {"r.pdf", "r.json"}) == []


def test_a_failed_summary_leaves_the_earlier_pair(signed, tmp_path, capsys, immutable):
    d = signed
    out = tmp_path / "s.html"
    args = ["summary", "--audit", str(d / "audit.json"), "--out", str(out), "--distribution-date"]
    assert main([*args, "2027-01-15"]) == 0
    html, data = out.read_bytes(), out.with_suffix(".json").read_bytes()
    immutable(out.with_suffix(".json"))
    assert main([*args, "2027-02-15"]) == 2  # another date: both files would change
    capsys.readouterr()
    assert out.read_bytes() == html and out.with_suffix(".json").read_bytes() == data
    assert _leftovers(tmp_path, {"s.html", "s.json"}) == []
