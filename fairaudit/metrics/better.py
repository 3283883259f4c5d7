"""Which direction of each reported figure is better.

One table for every place that colours a change or calls it a regression: the
before/after columns of a report (:mod:`fairaudit.report.tables`) and the
review's trend and regression checks (:mod:`fairaudit.review.trend`).
"""
from __future__ import annotations

HIGHER = 1
LOWER = -1
NEITHER = 0

#: +1 when a higher value is better, -1 when a lower one is, 0 when neither is (a rate, a share).
BETTER: dict[str, int] = {
    "impact_ratio": HIGHER,
    "scoring_impact_ratio": HIGHER,
    "min_impact_ratio": HIGHER,
    "dp_ratio": HIGHER,
    "dp_difference": LOWER,
    "match_rate": HIGHER,
    "gap": LOWER,
    "mean_gap": LOWER,
    "paper_score": HIGHER,
    "ndkl": LOWER,
    "exposure_ratio": HIGHER,
    "selection_rate": NEITHER,
    "scoring_rate": NEITHER,
    "topk_share": NEITHER,
    "skew_at_k": NEITHER,
    "exposure": NEITHER,
}


def better(metric: str) -> int:
    """+1 if a higher ``metric`` is better, -1 if a lower one is, 0 otherwise (also for unknown names)."""
    return BETTER.get(metric, NEITHER)
