"""Issue 19, items 7-9: the LL144 summary's date rules, data statement and no local paths."""
from __future__ import annotations

import datetime as dt
import functools
import json
import warnings

import pytest

from fairaudit.cli import main
from fairaudit.errors import ConfigError, FairauditWarning
from fairaudit.report.summary import build_summary, render_summary
from fairaudit.report.summary_rules import NOT_STATED, TEST_DATA, check_dates, one_year_after, public_source

CREATED = "2025-03-01T09:00:00+00:00"  # audit date 2025-03-01


@functools.lru_cache(maxsize=None)
def _audit(source: str):
    from fairaudit import audit
    from fairaudit.data.datasets import make_hiring_data

    jobs, cands = make_hiring_data(12, 240, seed=3)
    return audit(jobs, cands, recommender="bm25", k=(10,), n_bootstrap=0, seed=0, created_at=CREATED,
                 drivers=False, decomposition=False, data_source=source, progress=False)


LOCAL = "jobs: ../secret/hr/jobs.csv; candidates: /home/alice/exports/candidates.parquet"


def _build(source=LOCAL, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = build_summary(_audit(source), **kw)
    return s, [str(w.message) for w in caught if issubclass(w.category, FairauditWarning)]


def test_distribution_date_before_the_audit_is_refused():
    with pytest.raises(ConfigError, match="before the audit date 2025-03-01"):
        build_summary(_audit(LOCAL), distribution_date="2025-02-28", data_explanation="historical data")


def test_distribution_date_on_the_audit_day_and_a_year_later_is_fine():
    for day in ("2025-03-01", "2026-03-01"):
        s, warned = _build(distribution_date=day, data_explanation="Historical data of 2024.")
        assert s.notices == [] and warned == []


def test_more_than_a_year_after_the_audit_warns_and_is_printed():
    s, warned = _build(distribution_date="2027-10-01", data_explanation="Historical data of 2024.")
    assert len(s.notices) == 1 and "more than one year after the bias audit of 2025-03-01" in s.notices[0]
    assert warned == s.notices
    html = render_summary(s)
    assert "more than one year after the bias audit" in html and "limit 2026-03-01" in html
    assert s.to_dict()["notices"] == s.notices


def test_one_year_after_a_leap_day():
    assert one_year_after(dt.date(2024, 2, 29)) == dt.date(2025, 3, 1)
    assert check_dates("2024-02-29", "2025-03-01") == [] and check_dates("2024-02-29", "2025-03-02")


def test_missing_data_explanation_warns_and_says_so():
    s, warned = _build(distribution_date="2025-06-01")
    assert any("historical or test data" in w and "--data-explanation" in w for w in warned)
    assert s.data_explanation.startswith(NOT_STATED)


def test_packaged_synthetic_data_states_test_data_without_a_warning():
    s, warned = _build("synthetic: 12 jobs, 240 candidates, seed 3", distribution_date="2025-06-01")
    assert s.data_explanation.startswith(TEST_DATA) and warned == []
    s2, _ = _build("fairaudit.data.datasets.make_hiring_data (n_jobs=12, n_candidates=240, seed=3)",
                   distribution_date="2025-06-01")
    assert s2.data_explanation.startswith(TEST_DATA)


def test_own_explanation_comes_first():
    s, warned = _build(distribution_date="2025-06-01", data_explanation="Historical applications, 2024.")
    assert s.data_explanation.startswith("Historical applications, 2024. The tool ranked") and warned == []


def test_no_local_path_is_published(tmp_path):
    s, _ = _build(distribution_date="2025-06-01", data_explanation="x")
    assert s.data_source == "jobs: jobs.csv; candidates: candidates.parquet"
    page = render_summary(s) + json.dumps(s.to_dict())
    for leak in ("secret", "/home", "alice", "exports", "../"):
        assert leak not in page
    own, _ = _build(distribution_date="2025-06-01", data_explanation="x", data_source="HR system export, Q4 2024")
    assert own.data_source == "HR system export, Q4 2024"


@pytest.mark.parametrize("raw, shown", [
    ("files: /srv/data/jobs.csv, /srv/data/my cands.csv", "files: jobs.csv, my cands.csv"),
    (r"jobs: C:\Users\bob\jobs.csv; candidates: c.csv", "jobs: jobs.csv; candidates: c.csv"),
    ("sql: sqlite:////var/lib/hr/hr.db", "sql: sqlite database hr.db"),
    ("sql: postgresql://reader:***@db.internal/hr", "sql: postgresql://reader:***@db.internal/hr"),
    ("jobs: a.csv; candidates: b.csv after AutoRefine (policy)", "jobs: a.csv; candidates: b.csv after AutoRefine (policy)"),
])
def test_public_source_keeps_file_names_only(raw, shown):
    assert public_source(raw) == shown


def test_cli_refuses_an_early_date_and_warns_late_and_missing(tmp_path, capsys):
    audit_json = tmp_path / "audit.json"
    _audit(LOCAL).to_json(audit_json)
    out = tmp_path / "s.html"
    assert main(["summary", "--audit", str(audit_json), "--out", str(out), "--distribution-date", "2024-12-31"]) == 2
    err = capsys.readouterr().err
    assert "before the audit date" in err and len(err.strip().splitlines()) == 1 and not out.exists()
    assert main(["summary", "--audit", str(audit_json), "--out", str(out), "--distribution-date", "2027-06-01",
                 "--data-source", "HR export"]) == 0
    err = capsys.readouterr().err
    assert "warning: The distribution date 2027-06-01 is more than one year" in err
    assert "warning: the summary does not say whether historical or test data" in err
    page = out.read_text(encoding="utf-8")
    assert "HR export" in page and "alice" not in page
