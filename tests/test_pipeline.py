"""audit -> rewrite -> re-audit -> report, the one path the demo and the review take (fairaudit.pipeline)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

import fairaudit.report.pdf as pdf
from fairaudit.pipeline import audit_rewrite_report, flagged_jobs
from fairaudit.report import ReportSection
from fairaudit.data.rewrites_table import COLUMNS, REPORT_COLUMNS, apply_rewrites, empty_rewrites
from toy import ToyRecommender, toy_data


def drop_ninja(jobs: pd.DataFrame, before) -> pd.DataFrame:
    """A stand-in rewriter: removes the word the toy recommender reacts to, from the flagged jobs only."""
    todo = flagged_jobs(before, jobs)
    new = todo["text"].str.replace("ninja ", "", regex=False)
    return pd.DataFrame({"job_id": todo["job_id"], "original": todo["text"], "rewrite": new,
                         "accepted": (new != todo["text"]).to_numpy(), "gap_before": 0.5, "gap_after": 0.0,
                         "meaning_score": 0.9}).reindex(columns=list(COLUMNS))


drop_ninja.label = "test rewrites"


@pytest.fixture
def html(monkeypatch) -> list[str]:
    caught: list[str] = []
    monkeypatch.setattr(pdf, "html_to_pdf", lambda h: caught.append(h) or b"%PDF-1.7 test\n")
    return caught


def test_one_call_audits_rewrites_reaudits_and_reports(html):
    jobs, cands = toy_data()
    said, seen = [], []

    def sections(before, after):
        seen.append((before, after))
        return [ReportSection("review.html", {"title": "T", "period": "2026-Q1", "version": 1, "status": "pass",
                                              "created_at": "", "config_hash": "", "input_hashes": {},
                                              "data_source": "", "recommender": "toy", "thresholds": {},
                                              "breaches": [], "summary": [], "metric_labels": {}, "charts": [],
                                              "previous_period": None, "regressions": [], "n_compared": 0,
                                              "tolerance": 0.02, "history": []})]

    run = audit_rewrite_report(jobs, cands, rewriter=drop_ninja, sections=sections, say=said.append,
                               audit_options=dict(recommender=ToyRecommender(), k=(5, 10), n_bootstrap=0,
                                                  data_source="toy data"))
    assert seen == [(run.before, run.after)]
    assert run.after.provenance["data_source"] == "toy data after test rewrites"
    assert run.before.config == run.after.config  # one set of options: comparable audits
    rewritten = set(run.rewrites.loc[run.rewrites["accepted"], "job_id"])
    assert rewritten and rewritten == set(flagged_jobs(run.before, jobs)["job_id"])
    assert run.after.verdict()["min_impact_ratio"] >= run.before.verdict()["min_impact_ratio"]
    side = json.loads(run.report.sidecar)
    assert side["after"]["provenance"]["audit_id"] == run.after.provenance["audit_id"]
    assert len(side["rewrites"]["rows"]) == len(run.rewrites)
    assert set(side["rewrites"]["rows"][0]) == set(REPORT_COLUMNS)
    (page,) = html
    assert '<section class="review" id="review">' in page and ">Before</th>" in page
    assert set(run.seconds) == {"audit", "rewrite", "reaudit", "report"}
    assert said[0].startswith("auditing 20 jobs") and said[-1] == "rendering the PDF report"


def test_without_a_rewriter_the_report_shows_the_audit_alone(html):
    jobs, cands = toy_data()
    run = audit_rewrite_report(jobs, cands, audit_options=dict(recommender=ToyRecommender(), k=5, n_bootstrap=0))
    assert run.after is None and run.rewrites is None and set(run.seconds) == {"audit", "report"}
    assert ">Before</th>" not in html[0]


def test_rewrites_schema_helpers():
    jobs, _ = toy_data(4)
    empty = empty_rewrites()
    assert list(empty.columns) == list(COLUMNS) and len(apply_rewrites(jobs, empty)) == 4
    assert REPORT_COLUMNS == COLUMNS[:7]


def test_rewriting_writes_the_one_schema():
    from fairaudit.rewriting.rewrite import COLUMNS as written

    assert tuple(written) == COLUMNS
