"""The review's section of the report: thresholds, breaches, trends, every change judged against chance, history.

The review report is the audit report of :mod:`fairaudit.report` (before/after
and rewrites) with one more :class:`~fairaudit.report.ReportSection`,
``review.html``, whose data :func:`review_context` builds. It is rendered by the
same function, templates and stylesheet as every other report.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Iterable, Mapping

import pandas as pd

from ..report import ReportSection
from ..report.charts import svg_data_uri
from .changes import CHANGE_VERDICTS
from .thresholds import Breach
from .config import ReviewConfig, config_hash
from .history import METRICS
from .trend import metric_label, trend_chart_svg

__all__ = ["CHART_METRICS", "TEMPLATE_NAME", "clean_row", "history_rows", "review_context", "review_section"]

TEMPLATE_NAME = "review.html"
CHART_METRICS = ("min_impact_ratio", "match_rate", "mean_gap")


def clean_row(d: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-ready copy of a metric row: NaN and infinity become None, numpy scalars Python numbers."""
    out = {}
    for k, v in d.items():
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            v = None
        elif hasattr(v, "item"):  # numpy scalar
            v = v.item()
        out[k] = v
    return out


def _utc(t: dt.datetime) -> str:
    return (t.replace(tzinfo=t.tzinfo or dt.timezone.utc).astimezone(dt.timezone.utc)
            .replace(microsecond=0).isoformat())


def history_rows(records: Iterable[Any], current: Mapping[str, Any], last: int = 12) -> list[dict[str, Any]]:
    """The history table of the section: the ``last`` finished reviews, then the one being written."""
    rows = [{"period": r.period, "version": r.version, "status": r.status, "created_at": _utc(r.created_at),
             "report_sha256": r.report_sha256} for r in records][-last:]
    return rows + [{**current, "report_sha256": None}]


def _previous_period(cfg: ReviewConfig, trend: pd.DataFrame, regression_table: pd.DataFrame) -> str | None:
    if not regression_table.empty:
        return str(regression_table["previous_period"].iloc[0])
    periods = trend["period"].drop_duplicates().tolist()
    i = periods.index(cfg.period) if cfg.period in periods else 0
    return periods[i - 1] if i > 0 else None


def _charts(cfg: ReviewConfig, trend: pd.DataFrame) -> list[dict[str, str]]:
    th = cfg.thresholds
    limits = {"min_impact_ratio": th.min_impact_ratio, "match_rate": th.match_rate_goal, "mean_gap": th.max_gap}
    out = []
    for m in CHART_METRICS:
        svg = trend_chart_svg(trend, m, stage=th.stage, threshold=limits.get(m))
        out.append({"metric": m, "label": metric_label(m), "svg": svg, "data_uri": svg_data_uri(svg)})
    return out


def review_context(cfg: ReviewConfig, *, version: int, created_at: str, status: str,
                   breaches: list[Breach], rows: list[dict[str, Any]], trend: pd.DataFrame,
                   regression_table: pd.DataFrame, history: list[dict[str, Any]],
                   input_hashes: Mapping[str, str], data_source: str, recommender: str) -> dict[str, Any]:
    """The data of ``review.html`` (``section.data``; its fields are listed in the template)."""
    th = cfg.thresholds
    reg = regression_table
    return {
        "title": cfg.title,
        "period": cfg.period,
        "version": version,
        "status": status,
        "created_at": created_at,
        "config_hash": config_hash(cfg),
        "input_hashes": dict(input_hashes),
        "data_source": data_source,
        "recommender": recommender,
        "thresholds": {
            "minimum impact ratio (floor)": th.min_impact_ratio,
            "diversity match rate (goal)": th.match_rate_goal,
            "mean gap to target (max)": th.max_gap,
            "regression tolerance": th.regression_tolerance,
            "regressions breach": th.fail_on_regression,
            "evaluated stage": th.stage,
        },
        "breaches": [b.to_dict() for b in breaches],
        "summary": [clean_row(r) for r in rows],
        "metric_labels": {m: metric_label(m) for m in METRICS},
        "figure_labels": {m: metric_label(m) for m in (*METRICS, "impact_ratio", "ndkl")},
        "charts": _charts(cfg, trend),
        "previous_period": _previous_period(cfg, trend, reg),
        "regressions": [clean_row(r) for r in reg[reg["regressed"]].to_dict("records")] if len(reg) else [],
        "changes": [clean_row(r) for r in reg.to_dict("records")],
        "change_counts": {v: int((reg["verdict"] == v).sum()) if "verdict" in reg else 0 for v in CHANGE_VERDICTS},
        "n_compared": int(len(reg)),
        "tolerance": th.regression_tolerance,
        "history": history,
    }


def review_section(context: Mapping[str, Any]) -> ReportSection:
    """The review's section of the report, from :func:`review_context`."""
    return ReportSection(TEMPLATE_NAME, dict(context))
