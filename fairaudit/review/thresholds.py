"""Review thresholds: turn an audit summary into pass / breach.

Exit codes used by ``fairaudit review`` (for schedulers)::

    0  every threshold met
    3  a threshold breached (the report and the history record are still written)
    2  a user error (bad config, missing data, ...); other non-zero: a crash
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

import pandas as pd

from ..metrics.impact import is_above, is_below
from ..engine.verdicts import describe
from .config import Thresholds
from .history import METRICS

__all__ = ["Breach", "metric_rows", "evaluate_thresholds", "EXIT_PASS", "EXIT_BREACH"]

#: Exit code of ``fairaudit review`` when every threshold is met.
EXIT_PASS = 0
#: Exit code of ``fairaudit review`` when a threshold is breached (the report is still written).
EXIT_BREACH = 3


@dataclass(frozen=True)
class Breach:
    """One broken rule.

    Parameters
    ----------
    rule : {"min_impact_ratio", "match_rate_goal", "max_gap", "regression"}
        The rule broken (:func:`evaluate_thresholds`).
    stage : str
        The stage evaluated: ``"before"``, or ``"after"`` when job texts were rewritten.
    k : int
        The cut-off of the broken figure.
    attribute : str
        The attribute of the broken figure.
    metric : str
        The metric compared (one of :data:`METRICS`).
    value : float
        Its value this review.
    limit : float
        The threshold it broke; for a regression, the previous review's value.
    message : str
        One sentence saying what broke, for the report and the log.
    verdict : str or None, default None
        The audit's chance verdict of an impact-ratio breach, or the change's for a
        regression; None when not assessed.
    """

    rule: str
    stage: str
    k: int
    attribute: str
    metric: str
    value: float
    limit: float
    message: str
    verdict: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The breach's fields as a JSON-ready dict (one of a review's ``breaches`` in its summary JSON)."""
        return asdict(self)


def metric_rows(result: Any, stage: str = "before") -> list[dict[str, Any]]:
    """The stored summary of an :class:`~fairaudit.engine.result.AuditResult`.

    One dict per (k, attribute) with ``stage`` and the :data:`METRICS`
    (taken from ``result.summary_frame()``; nothing is recomputed).

    Parameters
    ----------
    result : AuditResult
        The audit of the stage.
    stage : str, default "before"
        ``"before"``, or ``"after"`` for the re-audit of rewritten job texts.

    Returns
    -------
    list of dict
        ``stage``, ``k``, ``attribute``, each metric (NaN when undefined) and,
        for audits with a chance level, ``verdict`` and ``p_value``.
    """
    summary = result.summary_frame()
    rows = []
    for rec in summary.to_dict(orient="records"):
        row = {"stage": stage, "k": int(rec["k"]), "attribute": str(rec["attribute"])}
        verdict = rec.get("verdict")
        if isinstance(verdict, str):  # the chance level of the audit's lowest impact ratio (schema 2 audits)
            row["verdict"], row["p_value"] = verdict, float(rec.get("p_value", float("nan")))
        for m in METRICS:
            v = rec.get(m)
            row[m] = float(v) if v is not None and not pd.isna(v) else float("nan")
        rows.append(row)
    return rows


def _bad(v: float) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def evaluate_thresholds(rows: Iterable[Mapping[str, Any]], thresholds: Thresholds,
                        regression_table: pd.DataFrame | None = None) -> list[Breach]:
    """Every threshold broken by the metric rows of the evaluated stage.

    Rules (each skipped when its threshold is unset; NaN metrics never breach; a metric
    equal to its limit up to float rounding does not breach, see
    :func:`fairaudit.metrics.is_below`):

    - ``min_impact_ratio < thresholds.min_impact_ratio``
    - ``match_rate < thresholds.match_rate_goal``
    - ``mean_gap > thresholds.max_gap``
    - with ``fail_on_regression``: every row of ``regression_table`` flagged
      ``regressed``: a change "worse beyond chance" (max-T adjusted) by more than
      the tolerance (see ``fairaudit.review.changes.change_table()``).

    Parameters
    ----------
    rows : iterable of mapping
        Metric rows (:func:`metric_rows`); only those of ``thresholds.stage`` are checked.
    thresholds : Thresholds
        The review's ``[thresholds]`` (``fairaudit.review.config``).
    regression_table : DataFrame, optional
        The changes against the previous review
        (``fairaudit.review.changes.change_table()``); needed for ``fail_on_regression``.

    Returns
    -------
    list of Breach
        Empty when the review passes.
    """
    out: list[Breach] = []
    stage = thresholds.stage
    for r in rows:
        if r.get("stage", "before") != stage:
            continue
        k, attr = int(r["k"]), str(r["attribute"])
        ir, mr, gap = r.get("min_impact_ratio"), r.get("match_rate"), r.get("mean_gap")
        if thresholds.min_impact_ratio is not None and not _bad(ir) and is_below(ir, thresholds.min_impact_ratio):
            chance = (f" ({describe(r['verdict'], r.get('p_value'))})" if r.get("verdict") else
                      " (chance not assessed)")
            out.append(Breach("min_impact_ratio", stage, k, attr, "min_impact_ratio", float(ir),
                              thresholds.min_impact_ratio,
                              f"{attr} @k={k}: minimum impact ratio {ir:.3f} is below the floor "
                              f"{thresholds.min_impact_ratio:.2f}{chance}", verdict=r.get("verdict")))
        if thresholds.match_rate_goal is not None and not _bad(mr) and is_below(mr, thresholds.match_rate_goal):
            out.append(Breach("match_rate_goal", stage, k, attr, "match_rate", float(mr),
                              thresholds.match_rate_goal,
                              f"{attr} @k={k}: diversity match rate {mr:.3f} is below the goal "
                              f"{thresholds.match_rate_goal:.2f}"))
        if thresholds.max_gap is not None and not _bad(gap) and is_above(gap, thresholds.max_gap):
            out.append(Breach("max_gap", stage, k, attr, "mean_gap", float(gap), thresholds.max_gap,
                              f"{attr} @k={k}: mean gap to the target {gap:.3f} exceeds "
                              f"{thresholds.max_gap:.2f}"))
    if thresholds.fail_on_regression and regression_table is not None and len(regression_table):
        reg = regression_table[(regression_table["regressed"]) & (regression_table["stage"] == stage)]
        for r in reg.to_dict(orient="records"):
            group = f" of {r['group']}" if isinstance(r.get("group"), str) and r["group"] else ""
            out.append(Breach("regression", stage, int(r["k"]), str(r["attribute"]), str(r["metric"]),
                              float(r["value"]), float(r["previous"]),
                              f"{r['attribute']} @k={int(r['k'])}: {r['metric']}{group} went from "
                              f"{r['previous']:.3f} ({r['previous_period']}) to {r['value']:.3f}: "
                              + (f"worse beyond chance (p = {r['p_value']:.3f}, adjusted over the "
                                 f"{int(r['n_family'])} changes compared), by more than the tolerance "
                                 f"{r['tolerance']:g}" if r.get("verdict") else
                                 f"worse by more than {r['tolerance']:g} (not judged against chance)"),
                              verdict=r.get("verdict")))
    return out
