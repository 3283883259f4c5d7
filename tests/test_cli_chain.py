"""Issue 25, item 1: the documented command-line chain, audit -> rewrite -> re-audit -> report -> verify.

Small data (12 jobs x 240 candidates, BM25, the lexicon rewriter, few resamples).
The signed report's sidecar must say what the rewrites file says: the accepted
count and every attribute's mean gap before and after, read back from the CSV
here with the standard library (not with fairaudit's reader). With pandas 3 the
report used to crash on the per-attribute columns (text, not numbers) or count
every row as accepted (``astype(bool)`` of "False" is True).
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from fairaudit.cli import main
from fairaudit.data.datasets import make_hiring_data

pytestmark = pytest.mark.slow

AUDIT = ["--recommender", "bm25", "--k", "5", "10", "--bootstrap", "10", "--permutations", "20",
         "--decomposition", "none", "--created-at", "2026-01-01T00:00:00Z", "--quiet"]


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else None


def check_sidecar_against_rewrites(sidecar: Path, rewrites_csv: Path) -> dict:
    """Assert the report's rewrites summary equals what the CSV says; return the summary."""
    with rewrites_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["accepted"] for r in rows} <= {"True", "False"}
    accepted = [r for r in rows if r["accepted"] == "True"]
    summary = json.loads(sidecar.read_text())["rewrites"]["summary"]
    assert summary["n_rewrites"] == len(rows)
    assert summary["n_accepted"] == len(accepted)
    num = lambda r, c: float(r[c]) if r[c] != "" else math.nan  # noqa: E731
    attrs = sorted(c[len("gap_before_"):] for c in rows[0] if c.startswith("gap_before_"))
    assert attrs and sorted(a["attribute"] for a in summary["by_attribute"]) == attrs
    for entry in summary["by_attribute"]:
        a = entry["attribute"]
        for when in ("before", "after"):
            expect = _mean([num(r, f"gap_{when}_{a}") for r in accepted])
            assert entry[f"mean_gap_{when}_accepted"] == pytest.approx(expect), (a, when)
    assert summary["mean_gap_before"] == pytest.approx(_mean([num(r, "gap_before") for r in rows]))
    return summary


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    d = tmp_path_factory.mktemp("chain")
    jobs, cands = make_hiring_data(12, 240, seed=1)
    jobs.to_csv(d / "jobs.csv", index=False)
    cands.to_csv(d / "candidates.csv", index=False)
    data = ["--jobs", str(d / "jobs.csv"), "--candidates", str(d / "candidates.csv")]
    assert main(["audit", *data, "--out", str(d / "audit.json"), *AUDIT]) == 0
    assert main(["rewrite", *data, "--recommender", "bm25", "--method", "lexicon", "--k", "10",
                 "--out", str(d / "rewrites.csv"), "--quiet"]) == 0
    assert (d / "rewritten_jobs.csv").exists()  # written beside --out, for the re-audit
    assert main(["audit", "--jobs", str(d / "rewritten_jobs.csv"), "--candidates", str(d / "candidates.csv"),
                 "--out", str(d / "after.json"), *AUDIT]) == 0
    assert main(["keys", "init", "--dir", str(d / "keys"), "--key-type", "ec"]) == 0
    assert main(["report", "--audit", str(d / "audit.json"), "--after", str(d / "after.json"),
                 "--rewrites", str(d / "rewrites.csv"), "--out", str(d / "report.pdf"),
                 "--key-dir", str(d / "keys"), "--quiet"]) == 0
    return d


def test_chain_report_signs_what_the_rewrites_file_says(chain, capsys):
    d = chain
    assert main(["verify", str(d / "report.pdf"), "--trust", str(d / "keys" / "signing-cert.pem")]) == 0
    rows = pd.read_csv(d / "rewrites.csv", dtype=str, keep_default_na=False)
    summary = check_sidecar_against_rewrites(d / "report.json", d / "rewrites.csv")
    # the data make the check meaningful: some rewrites kept, some refused
    assert 0 < summary["n_accepted"] < len(rows), rows[["job_id", "accepted", "reason"]]


def test_rewritten_jobs_hold_exactly_the_accepted_rewrites(chain):
    d = chain
    from fairaudit.data.io import load_jobs
    from fairaudit.data.rewrites_table import read_rewrites

    jobs, new = load_jobs(d / "jobs.csv").set_index("job_id"), load_jobs(d / "rewritten_jobs.csv")
    rw = read_rewrites(d / "rewrites.csv").set_index("job_id")
    assert new["job_id"].tolist() == jobs.index.tolist()
    for job_id, text in zip(new["job_id"], new["text"]):
        if job_id in rw.index and rw.loc[job_id, "accepted"]:
            assert text == rw.loc[job_id, "rewrite"] != jobs.loc[job_id, "text"]
        else:
            assert text == jobs.loc[job_id, "text"]
    # the re-audit saw the rewritten texts: every accepted job's gap at k=10 is the rewrite's gap_after
    after = pd.DataFrame(json.loads((d / "after.json").read_text())["tables"]["per_job"])
    attrs = [c[len("gap_after_"):] for c in rw.columns if c.startswith("gap_after_")]
    assert "sex" in attrs
    for job_id in rw.index[rw["accepted"]]:
        for attr in attrs:
            row = after[(after["job_id"] == job_id) & (after["k"] == 10) & (after["attribute"] == attr)]
            assert float(row["gap"].iloc[0]) == pytest.approx(rw.loc[job_id, f"gap_after_{attr}"])
