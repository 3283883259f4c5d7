"""Dates and periods that have not happened are refused; a period has one spelling (issue 25, item 6).

``--created-at 2099-01-01`` became the LL144 "audit date" of a page signed today;
``２０２６-Q4`` (full-width digits) was recorded as a period beside ``2026-Q4``; and
``9999-Q4`` would have counted as the latest period and pushed real ones out of
``keep_periods`` retention.
"""
from __future__ import annotations

import datetime as dt

import pytest

from fairaudit.cli import main
from fairaudit.engine.auditing import resolve_created_at
from fairaudit.errors import ConfigError
from fairaudit.options import CLOCK_TOLERANCE, check_not_future
from fairaudit.review.config import parse_config, with_period
from fairaudit.review.history import HistoryStore
from fairaudit.review.period import period_label, period_start, reviewable_period

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.timezone.utc)
BASE = {"period": "2026-Q1", "source": {"kind": "synthetic"}, "recommender": {"name": "bm25"}}


def _soon(days: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).replace(microsecond=0).isoformat()


def test_check_not_future_has_a_day_of_tolerance():
    check_not_future(NOW + CLOCK_TOLERANCE, "x", now=NOW)
    check_not_future(dt.date(2026, 6, 16), "x", now=NOW)  # a date is its first moment, UTC
    with pytest.raises(ConfigError, match="x is after now"):
        check_not_future(NOW + CLOCK_TOLERANCE + dt.timedelta(seconds=1), "x", now=NOW)


def test_created_at_in_the_future_is_refused(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    with pytest.raises(ConfigError, match="created_at 2099-01-01T00:00:00\\+00:00 is after now"):
        resolve_created_at("2099-01-01")
    assert resolve_created_at(_soon(0.5))  # another time zone's "today" is fine
    assert resolve_created_at("2025-01-02") == "2025-01-02T00:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2099, 1, 1).timestamp())))
    with pytest.raises(ConfigError, match="after now"):
        resolve_created_at()


def test_cli_audit_refuses_a_future_created_at(tmp_path, capsys):
    from toy import toy_data

    jobs, cands = toy_data(n_jobs=4, n_cand=40)
    jobs.to_csv(tmp_path / "jobs.csv", index=False)
    cands.to_csv(tmp_path / "cands.csv", index=False)
    out = tmp_path / "a.json"
    rc = main(["audit", "--jobs", str(tmp_path / "jobs.csv"), "--candidates", str(tmp_path / "cands.csv"),
               "--recommender", "bm25", "--out", str(out), "--created-at", "2099-01-01", "--quiet"])
    assert rc == 2 and not out.exists()
    assert "2099-01-01" in capsys.readouterr().err


@pytest.mark.parametrize("given, label", [("２０２６-Q4", "2026-Q4"), ("２０２６－Ｑ４", "2026-Q4"), (" 2026-03 ", "2026-03")])
def test_period_labels_have_one_spelling(given, label):
    assert period_label(given) == label
    assert period_start(given) == period_start(label)
    assert reviewable_period(given, now=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)) == label


@pytest.mark.parametrize("label", ["٢٠٢٦-Q4", "२०२६-Q4"])  # Arabic-Indic, Devanagari digits: not folded by NFKC
def test_other_scripts_digits_are_refused(label):
    with pytest.raises(ConfigError, match="not a period label"):
        period_start(label)


@pytest.mark.parametrize("label", ["9999-Q4", "2026-Q4", "2026-07", "2026-H2", "2027"])
def test_periods_that_have_not_begun_are_refused(label):
    with pytest.raises(ConfigError, match="after now"):
        reviewable_period(label, now=NOW)


@pytest.mark.parametrize("label", ["2026-Q2", "2026-06", "2026-H1", "2026", "2026-W24", "2026-05"])
def test_periods_that_have_begun_are_accepted(label):
    assert reviewable_period(label, now=NOW) == label


def test_review_config_and_override_refuse_future_and_fold_full_width():
    with pytest.raises(ConfigError, match="9999-Q4"):
        parse_config({**BASE, "period": "9999-Q4"})
    cfg = parse_config({**BASE, "period": "２０２６-Q1"})
    assert cfg.period == "2026-Q1"
    with pytest.raises(ConfigError, match="after now"):
        with_period(cfg, "9999-Q4")
    assert with_period(cfg, "２０２５-Q4").period == "2025-Q4"


def test_history_records_one_spelling_and_no_future_period(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    try:
        store.add("2025-Q4", status="pass")
        store.add("２０２５-Q4", status="pass")  # the same period: version 2, not a new period
        with pytest.raises(ConfigError, match="9999-Q4"):
            store.start("9999-Q4")
        assert store.periods() == ["2025-Q4"]
        assert [r.version for r in store.records(period="2025-Q4")] == [1, 2]
    finally:
        store.close()
