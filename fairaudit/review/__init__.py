"""Periodic (e.g. quarterly) fairness reviews with a history.

- ``config``   the validated TOML configuration (:func:`load_config`)
- ``data``     the review's jobs, candidates and recommender
- ``history``  the SQLAlchemy history store (:class:`HistoryStore`), on ``database``;
  its records and export in ``records``, its tables in ``tables``
- ``trend``    trend table, regressions and SVG trend charts
- ``thresholds``   thresholds -> pass / breach (exit codes 0 / 3)
- ``report_section``   the review's section of the report (``review.html``)
- ``run``      :func:`run_review`, the whole review in one call (through
  :func:`fairaudit.pipeline.audit_rewrite_report`)
"""
from __future__ import annotations

from ..errors import HistoryError
from .thresholds import EXIT_BREACH, EXIT_PASS, Breach, evaluate_thresholds, metric_rows
from .config import ReviewConfig, config_hash, load_config, parse_config, period_start
from .history import METRICS, HistoryStore, ReviewRecord, open_store
from .trend import regressions, trend_chart_svg, trend_frame

__all__ = [
    "ReviewConfig", "load_config", "parse_config", "config_hash", "period_start",
    "HistoryStore", "HistoryError", "ReviewRecord", "open_store", "METRICS",
    "trend_frame", "regressions", "trend_chart_svg",
    "Breach", "evaluate_thresholds", "metric_rows", "EXIT_PASS", "EXIT_BREACH",
    "run_review", "ReviewOutcome",
]


def __getattr__(name: str):
    # run.py imports the audit stack; load it only when asked for
    if name in ("run_review", "ReviewOutcome"):
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module 'fairaudit.review' has no attribute {name!r}")
