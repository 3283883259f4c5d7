"""Issue 11, item 10: a full disk is one line and exit 2, and leaves no partial output behind."""
from __future__ import annotations

from pathlib import Path

from fairaudit.cli import main
from fairaudit.review.history import HistoryStore
from test_review_run import write_config
from toy import toy_data


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


def test_audit_out_on_a_full_disk(tmp_path, small_disk, capsys):
    jobs, cands = toy_data(12, 120)
    j, c = tmp_path / "jobs.csv", tmp_path / "cands.csv"
    jobs.to_csv(j, index=False)
    cands.to_csv(c, index=False)
    disk = small_disk(16 * 1024)
    out = disk / "audit.json"
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--bootstrap", "20", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, err
    errors = [line for line in err.splitlines() if not line.startswith("fairaudit audit: warning:")]
    assert len(errors) == 1 and "No space left on device" in errors[0] and str(out) in errors[0]
    assert "Traceback" not in err
    assert _files(disk) == []  # neither the JSON nor a temporary file


def test_review_into_a_full_output_dir(tmp_path, small_disk, capsys):
    """The scheduler contract (0 pass, 3 breach, 2 error) holds when output_dir fills up."""
    disk = small_disk(96 * 1024)
    history = f"sqlite:///{tmp_path / 'history.sqlite'}"
    cfg = write_config(tmp_path, extra=f'[history]\nurl = "{history}"\n')
    cfg.write_text(cfg.read_text().replace('output_dir = "out"', f'output_dir = "{disk}"'))
    rc = main(["review", "--config", str(cfg), "-q"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "No space left on device" in err and err.count("\n") == 1 and "Traceback" not in err
    assert _files(disk) == []  # no report without its sidecar, no audit JSON of a failed review
    with HistoryStore(history) as store:
        (rec,) = store.records()
        assert rec.status == "error" and "No space left" in rec.message


def test_review_with_its_history_on_the_full_disk(tmp_path, small_disk, capsys):
    disk = small_disk(96 * 1024)
    cfg = write_config(tmp_path)
    cfg.write_text(cfg.read_text().replace('output_dir = "out"', f'output_dir = "{disk}"'))
    rc = main(["review", "--config", str(cfg), "-q"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not list(disk.glob("review-*")) and not list(disk.glob("audit-*"))
