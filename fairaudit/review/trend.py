"""Trends across review periods: the tidy trend table, regressions and charts.

All functions take the tidy table of :func:`trend_frame` (one row per period,
stage, k and attribute), so a notebook can filter it before charting. Charts use
the report's style (:mod:`fairaudit.report.charts`).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..report import charts
from .history import METRICS, HistoryStore

__all__ = ["trend_frame", "regressions", "trend_chart_svg", "metric_label"]

_LABELS = {
    "min_impact_ratio": "Minimum impact ratio",
    "dp_difference": "Demographic parity difference",
    "match_rate": "Diversity match rate",
    "paper_score": "Gap score (-100 x mean gap)",
    "mean_gap": "Mean gap to target",
    "impact_ratio": "Impact ratio",
    "ndkl": "NDKL",
}
_RANGES = {"min_impact_ratio": (0.0, 1.05), "dp_difference": (0.0, 1.05), "match_rate": (0.0, 1.05),
           "mean_gap": (0.0, 1.05), "paper_score": (-105.0, 0.0)}
TREND_COLUMNS = ["period", "period_start", "version", "review_id", "status", "stage", "k",
                 "attribute", *METRICS]


def metric_label(metric: str) -> str:
    """A human label of a stored metric."""
    return _LABELS.get(metric, metric.replace("_", " "))


def trend_frame(store: HistoryStore, current: pd.DataFrame | None = None,
                stage: str | None = None) -> pd.DataFrame:
    """The latest finished version of every period, oldest period first.

    Parameters
    ----------
    store : HistoryStore
    current : DataFrame, optional
        Metric rows of a review not stored yet (columns ``period``,
        ``period_start``, ``version``, ``stage``, ``k``, ``attribute`` and the
        metrics). They replace stored rows of the same period, since the run in
        progress is that period's newest version.
    stage : {"before", "after"}, optional
        Keep one stage only.

    Returns
    -------
    DataFrame
        Columns ``period, period_start, version, review_id, status, stage, k,
        attribute`` and :data:`~fairaudit.review.METRICS`.
    """
    df = store.frame(latest_only=True)
    if current is not None and len(current):
        cur = current.copy()
        for col in TREND_COLUMNS:
            if col not in cur.columns:
                cur[col] = np.nan if col in METRICS else None
        df = df[~df["period"].isin(cur["period"].unique())]
        df = pd.concat([df[TREND_COLUMNS], cur[TREND_COLUMNS]], ignore_index=True) if len(df) else cur[TREND_COLUMNS]
    df = df[TREND_COLUMNS].copy()
    if stage is not None:
        df = df[df["stage"] == stage]
    df["period_start"] = pd.to_datetime(df["period_start"])
    for m in METRICS:
        df[m] = df[m].astype(float)
    df["k"] = df["k"].astype(int)
    return df.sort_values(["period_start", "period", "stage", "k", "attribute"]).reset_index(drop=True)


def regressions(frame: pd.DataFrame, tolerance: float | Mapping[str, float] = 0.02,
                period: str | None = None, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The stored metrics' changes since the previous period, and which got worse by more than a tolerance.

    This is the plain comparison of the stored figures; a review judges each
    change against chance with ``fairaudit.review.changes.change_table()``,
    which fails a review only on a change "worse beyond chance".

    For each stage, k, attribute and metric, with ``value`` in ``period`` and
    ``previous`` in the period just before it (by start date)::

        change = value - previous
        worse  = -change  if higher is better   (impact ratio, match rate, gap score)
                 +change  if lower is better    (dp difference, mean gap)
        regressed = worse > tolerance

    Parameters
    ----------
    frame : DataFrame
        From :func:`trend_frame` (one version per period).
    tolerance : float or mapping metric -> float
        Absolute worsening that is tolerated. ``paper_score`` is on a x100 scale,
        so a single float is multiplied by 100 for it.
    period : str, optional
        The period to check (default: the latest in ``frame``).
    metrics : sequence of str, optional
        Default: all of :data:`~fairaudit.review.METRICS`.

    Returns
    -------
    DataFrame
        One row per compared metric: period, previous_period, stage, k,
        attribute, metric, value, previous, change, worse_by, tolerance,
        regressed. Empty when there is no earlier period.
    """
    cols = ["period", "previous_period", "stage", "k", "attribute", "metric", "value", "previous",
            "change", "worse_by", "tolerance", "regressed"]
    metrics = list(metrics or METRICS)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {list(METRICS)}")
    if frame.empty:
        return pd.DataFrame(columns=cols)
    order = (frame[["period", "period_start"]].drop_duplicates("period")
             .sort_values(["period_start", "period"])["period"].tolist())
    period = period if period is not None else order[-1]
    if period not in order:
        raise ValueError(f"period {period!r} is not in the trend table; it has {order}")
    i = order.index(period)
    if i == 0:
        return pd.DataFrame(columns=cols)
    prev_period = order[i - 1]
    key = ["stage", "k", "attribute"]
    cur = frame[frame["period"] == period].set_index(key)
    prev = frame[frame["period"] == prev_period].set_index(key)
    rows: list[dict[str, Any]] = []
    for idx in cur.index.intersection(prev.index):
        for m in metrics:
            v, p = float(cur.at[idx, m]), float(prev.at[idx, m])
            if isinstance(tolerance, Mapping):
                tol = float(tolerance.get(m, 0.0))
            else:
                tol = float(tolerance) * (100.0 if m == "paper_score" else 1.0)
            change = v - p
            worse = -change if METRICS[m] == "higher" else change
            nan = math.isnan(v) or math.isnan(p)
            rows.append({"period": period, "previous_period": prev_period,
                         "stage": idx[0], "k": int(idx[1]), "attribute": idx[2], "metric": m,
                         "value": v, "previous": p, "change": change, "worse_by": worse,
                         "tolerance": tol, "regressed": bool(not nan and worse > tol + 1e-12)})
    return pd.DataFrame(rows, columns=cols)


def trend_chart_svg(frame: pd.DataFrame, metric: str, *, stage: str | None = "before",
                    title: str | None = None, threshold: float | None = None,
                    width: float = 6.4, height: float = 3.2) -> str:
    """A line chart of ``metric`` across periods, one line per (attribute, k).

    Parameters
    ----------
    frame : DataFrame
        From :func:`trend_frame`.
    metric : str
        One of :data:`~fairaudit.review.METRICS`.
    stage : str or None, default "before"
        Stage to plot (``None``: all stages, labelled).
    title : str, optional
        The chart's title; default "<metric> by period".
    threshold : float, optional
        Drawn as a dashed horizontal line (e.g. the impact-ratio floor).
    width, height : float, default 6.4 and 3.2
        Size of the figure in inches.

    Returns
    -------
    str
        A standalone SVG document (deterministic: no date, fixed element ids).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {list(METRICS)}")
    df = frame if stage is None else frame[frame["stage"] == stage]
    order = (df[["period", "period_start"]].drop_duplicates("period")
             .sort_values(["period_start", "period"])["period"].tolist())
    x_of = {p: i for i, p in enumerate(order)}
    with charts.style():
        fig = charts.new_figure(width, height)
        ax = fig.add_subplot(1, 1, 1)
        groups = df.groupby(["stage", "attribute", "k"], sort=True) if len(df) else []
        for (stg, attr, k), g in groups:
            g = g.sort_values("period_start")
            label = f"{attr} @{k}" + (f" ({stg})" if stage is None else "")
            ax.plot([x_of[p] for p in g["period"]], g[metric].to_numpy(dtype=float),
                    marker="o", linewidth=1.5, markersize=4, label=label)
        if threshold is not None:
            ax.axhline(threshold, linestyle="--", color="0.4", linewidth=1, label="threshold")
        ax.set_xticks(range(len(order)), order)
        if len(order) == 1:
            ax.set_xlim(-0.5, 0.5)
        ax.set_ylabel(metric_label(metric))
        ax.set_title(title or f"{metric_label(metric)} by period")
        ax.grid(True, axis="y", linewidth=0.5, alpha=0.5)
        lo, hi = _RANGES.get(metric, (None, None))
        values = df[metric].to_numpy(dtype=float)
        if lo is not None and (not len(values) or np.nanmin(values, initial=lo) >= lo):
            # fixed scale: a chart of 0.79 -> 0.81 must not look like a collapse
            ax.set_ylim(lo, hi)
        if len(df) or threshold is not None:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        if not len(df):
            ax.text(0.5, 0.5, "no reviews yet", ha="center", va="center", transform=ax.transAxes)
        fig.tight_layout()
        return charts.to_svg(fig)
