"""Trend table, regressions, threshold checks and trend charts."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from fairaudit.engine.result import AuditConfig, AuditResult
from fairaudit.review.thresholds import evaluate_thresholds, metric_rows
from fairaudit.review.config import Thresholds
from fairaudit.review.history import HistoryStore
from fairaudit.review.trend import regressions, trend_chart_svg, trend_frame


def hand_result(ir: dict, match: dict, gap: dict) -> AuditResult:
    """An AuditResult built by hand: keys are (k, attribute)."""
    keys = sorted(ir)
    parity = pd.DataFrame([{"k": k, "attribute": a, "min_impact_ratio": ir[(k, a)],
                            "four_fifths_pass": ir[(k, a)] >= 0.8, "dp_difference": 1 - ir[(k, a)],
                            "dp_ratio": ir[(k, a)]} for k, a in keys])
    diversity = pd.DataFrame([{"k": k, "attribute": a, "match_rate": match[(k, a)], "mean_gap": gap[(k, a)],
                               "paper_score": -100 * gap[(k, a)], "ndkl": 0.1} for k, a in keys])
    return AuditResult(config=AuditConfig(ks=(10, 50)), provenance={}, summary={},
                       tables={"parity": parity, "diversity": diversity})


@pytest.fixture
def result():
    return hand_result(
        ir={(10, "sex"): 0.9, (10, "race_ethnicity"): 0.7, (50, "sex"): np.nan, (50, "race_ethnicity"): 0.85},
        match={(10, "sex"): 0.6, (10, "race_ethnicity"): 0.4, (50, "sex"): 0.9, (50, "race_ethnicity"): 0.9},
        gap={(10, "sex"): 0.1, (10, "race_ethnicity"): 0.3, (50, "sex"): 0.05, (50, "race_ethnicity"): 0.2},
    )


def test_metric_rows_take_the_summary_frame(result):
    rows = metric_rows(result, "after")
    assert len(rows) == 4 and {r["stage"] for r in rows} == {"after"}
    r = next(r for r in rows if r["k"] == 10 and r["attribute"] == "race_ethnicity")
    assert r["min_impact_ratio"] == pytest.approx(0.7)
    assert r["dp_difference"] == pytest.approx(0.3) and r["paper_score"] == pytest.approx(-30)


def test_thresholds(result):
    rows = metric_rows(result)
    th = Thresholds(min_impact_ratio=0.8, match_rate_goal=0.5, max_gap=0.25)
    got = {(b.rule, b.k, b.attribute) for b in evaluate_thresholds(rows, th)}
    assert got == {("min_impact_ratio", 10, "race_ethnicity"), ("match_rate_goal", 10, "race_ethnicity"),
                   ("max_gap", 10, "race_ethnicity")}
    # the NaN impact ratio at k=50 never breaches; unset thresholds are skipped
    assert evaluate_thresholds(rows, Thresholds(min_impact_ratio=0.69)) == []
    assert evaluate_thresholds(rows, Thresholds(min_impact_ratio=None)) == []
    msg = evaluate_thresholds(rows, th)[0].message
    assert "race_ethnicity @k=10" in msg and "0.700" in msg
    # another stage is not evaluated
    assert evaluate_thresholds(rows, Thresholds(stage="after")) == []


def _store_with(tmp_path, series: dict[str, float]) -> HistoryStore:
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    for period, ir in series.items():
        store.add(period, status="pass", metrics=[
            {"stage": "before", "k": 10, "attribute": "sex", "min_impact_ratio": ir, "dp_difference": 1 - ir,
             "match_rate": ir, "paper_score": -100 * (1 - ir), "mean_gap": 1 - ir}])
    return store


def test_trend_frame_orders_by_period_and_takes_the_latest_version(tmp_path):
    store = _store_with(tmp_path, {"2026-Q2": 0.9, "2025-Q4": 0.8, "2026-Q1": 0.85})
    store.add("2026-Q1", status="breach", metrics=[{"k": 10, "attribute": "sex", "min_impact_ratio": 0.5}])
    tf = trend_frame(store)
    assert tf["period"].tolist() == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert tf.set_index("period").loc["2026-Q1", "min_impact_ratio"] == pytest.approx(0.5)
    assert tf.set_index("period").loc["2026-Q1", "version"] == 2
    # a run in progress replaces the stored rows of its period
    cur = pd.DataFrame([{"period": "2026-Q2", "period_start": dt.date(2026, 4, 1), "version": 2,
                         "stage": "before", "k": 10, "attribute": "sex", "min_impact_ratio": 0.6}])
    tf2 = trend_frame(store, current=cur)
    assert len(tf2) == 3
    assert tf2.set_index("period").loc["2026-Q2", "min_impact_ratio"] == pytest.approx(0.6)
    store.close()


def test_regressions_direction_and_tolerance(tmp_path):
    store = _store_with(tmp_path, {"2026-Q1": 0.90, "2026-Q2": 0.87, "2026-Q3": 0.95})
    tf = trend_frame(store)
    reg = regressions(tf, tolerance=0.02, period="2026-Q2").set_index("metric")
    assert reg["previous_period"].unique().tolist() == ["2026-Q1"]
    # higher is better: 0.90 -> 0.87 is worse by 0.03 > 0.02
    assert reg.loc["min_impact_ratio", "regressed"] and reg.loc["match_rate", "regressed"]
    assert reg.loc["min_impact_ratio", "worse_by"] == pytest.approx(0.03)
    # lower is better: gap 0.10 -> 0.13 is worse
    assert reg.loc["mean_gap", "regressed"] and reg.loc["dp_difference", "regressed"]
    # paper score is on a x100 scale: -10 -> -13 is 3 points, tolerance 2 points
    assert reg.loc["paper_score", "tolerance"] == pytest.approx(2.0) and reg.loc["paper_score", "regressed"]
    # wider tolerance: nothing regressed
    assert not regressions(tf, tolerance=0.05, period="2026-Q2")["regressed"].any()
    # improvements are never regressions; latest period is the default
    latest = regressions(tf, tolerance=0.0)
    assert (latest["period"] == "2026-Q3").all() and not latest["regressed"].any()
    # per-metric tolerance
    per = regressions(tf, tolerance={"min_impact_ratio": 0.1}, period="2026-Q2").set_index("metric")
    assert not per.loc["min_impact_ratio", "regressed"] and per.loc["match_rate", "regressed"]
    # first period: nothing to compare
    assert regressions(tf, period="2026-Q1").empty
    with pytest.raises(ValueError):
        regressions(tf, period="2030-Q1")
    store.close()


def test_regression_can_breach_when_asked(tmp_path):
    store = _store_with(tmp_path, {"2026-Q1": 0.90, "2026-Q2": 0.85})
    tf = trend_frame(store)
    reg = regressions(tf, tolerance=0.02)
    rows = tf[tf["period"] == "2026-Q2"].to_dict("records")
    assert evaluate_thresholds(rows, Thresholds(min_impact_ratio=0.8), reg) == []
    br = evaluate_thresholds(rows, Thresholds(min_impact_ratio=0.8, fail_on_regression=True), reg)
    assert {b.metric for b in br} == {"min_impact_ratio", "match_rate", "mean_gap", "dp_difference",
                                      "paper_score"}
    assert all(b.rule == "regression" for b in br)
    # judged against chance (issue 27): without the resamples of either period nothing is worse beyond chance
    from fairaudit.review.changes import change_table

    judged = change_table(reg, {}, {})
    assert evaluate_thresholds(rows, Thresholds(min_impact_ratio=0.8, fail_on_regression=True), judged) == []
    store.close()


def test_trend_chart_svg_is_valid_and_deterministic(tmp_path):
    store = _store_with(tmp_path, {"2026-Q1": 0.9, "2026-Q2": 0.85, "2026-Q3": 0.8})
    tf = trend_frame(store)
    svg = trend_chart_svg(tf, "min_impact_ratio", threshold=0.8)
    root = ET.fromstring(svg.encode())
    assert root.tag.endswith("svg")
    for p in ("2026-Q1", "2026-Q2", "2026-Q3", "sex @10"):
        assert p in svg
    assert svg == trend_chart_svg(tf, "min_impact_ratio", threshold=0.8)
    assert "no reviews yet" in trend_chart_svg(tf.iloc[0:0], "match_rate")
    with pytest.raises(ValueError):
        trend_chart_svg(tf, "accuracy")
    store.close()
