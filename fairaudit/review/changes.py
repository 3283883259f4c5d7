"""Every change since the previous period, judged against chance.

A review stores, with each stage's figures, their two-way bootstrap resamples
(:func:`review_spread`, :mod:`fairaudit.metrics.change`). The next review
compares each figure with the previous period's: the lowest impact ratio, the
impact ratio of every rated group, the demographic parity difference, the
match rate, the mean gap, the gap score and NDKL, at every k and attribute.
The null is "same recommender, new pool"; each stage's changes form one family,
corrected by max-T (:func:`fairaudit.metrics.change.change_test`), and every
change is shown with its adjusted p-value and a verdict (:data:`CHANGE_VERDICTS`).

A previous review stored without resamples (written by an earlier version)
cannot be compared against chance: its changes are listed with the verdict
"not judged against chance" and never fail the review.
"""
from __future__ import annotations

import json
import math
import warnings
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..data.groups import encode
from ..data.io import validate_candidates
from ..errors import DataError
from ..metrics.better import better
from ..metrics.change import ChangeSpread, change_replicates, change_test, share_floor
from ..metrics.impact import rated_mask

__all__ = ["CHANGE_VERDICTS", "CHANGE_COLUMNS", "CHANGE_RESAMPLES", "review_spread", "change_table", "change_line"]

WORSE, BETTER, WITHIN, NOT_JUDGED, REFERENCE = ("worse beyond chance", "better beyond chance", "within chance",
                                                "not judged against chance", "reference group in both periods")
#: The verdict of a change, most severe first. The best-selected group's own ratio is 1 by definition: where it is
#: the reference in both periods there is no change to test (and its spiky resamples would only widen the family).
CHANGE_VERDICTS = (WORSE, BETTER, WITHIN, NOT_JUDGED, REFERENCE)
#: Resamples stored per review and stage (p-values in steps of 1/201).
CHANGE_RESAMPLES = 200
#: Columns of :func:`change_table`.
CHANGE_COLUMNS = ["period", "previous_period", "stage", "k", "attribute", "metric", "group", "value", "previous",
                  "change", "worse_by", "tolerance", "se", "z", "p_value", "n_family", "verdict", "regressed"]


def review_spread(result: Any, candidates: pd.DataFrame, labels: Any = None,
                  n_resamples: int = CHANGE_RESAMPLES) -> ChangeSpread | None:
    """The figures of an audit and their two-way bootstrap resamples (None without rankings in memory).

    None too for a candidate-set, log or counts audit: the two-way bootstrap
    resamples a pool that every job ranks whole, which such an audit does not
    have, so its changes are reported as not judged against chance.

    Parameters
    ----------
    result : AuditResult
        A fresh audit (its ``rankings`` are kept in memory only).
    candidates : DataFrame
        The candidates the audit ranked, in the same row order.
    labels : mapping, optional
        The custom group labels the audit was run with.
    n_resamples : int
        Resamples to draw.
    """
    rankings = getattr(result, "rankings", None)
    prov = getattr(result, "provenance", None) or {}
    if rankings is None or prov.get("candidate_sets") is True or prov.get("source") in ("log", "counts"):
        return None
    cfg = result.config
    cands = validate_candidates(candidates, labels=labels)
    div = result.tables["diversity"]
    encs, rated, targets = [], {}, {}
    for attr, groups in result.groups.items():
        try:
            enc = encode(cands, attr, bool(getattr(cfg, "use_inferred", False)))
        except DataError:
            continue
        if list(enc.labels) != list(groups):  # not the audit's coding: leave the attribute out rather than guess
            continue
        row = div[div["attribute"] == attr]
        target = json.loads(str(row["target"].iloc[0])) if len(row) else {}
        encs.append(enc)
        rated[attr] = rated_mask(enc.pool_counts, enc.n_known, cfg.min_share)
        targets[attr] = np.array([float(target.get(g, np.nan)) for g in enc.labels])
    if not encs:
        return None
    ks = [k for k in cfg.ks if k <= rankings.k_max]
    return change_replicates(rankings.indices, encs, rated, targets, ks, cfg.tolerance, n_resamples, cfg.seed)


def _verdict(p: float, worse_by: float, alpha: float) -> str:
    if not math.isfinite(p):
        return NOT_JUDGED
    if p > alpha:
        return WITHIN
    return WORSE if worse_by > 0 else BETTER


def _tolerance(metric: str, tolerance: float | Mapping[str, float]) -> float:
    if isinstance(tolerance, Mapping):
        return float(tolerance.get(metric, 0.0))
    return float(tolerance) * (100.0 if metric == "paper_score" else 1.0)


def _judged_rows(stage: str, now: ChangeSpread, before: ChangeSpread, alpha: float,
                 tolerance: float | Mapping[str, float], seed: int) -> list[dict[str, Any]]:
    """One stage's family: every figure in both periods, max-T adjusted."""
    where = {key: i for i, key in enumerate(before.keys)}
    common = [(i, where[key]) for i, key in enumerate(now.keys) if key in where]
    if not common:
        return []
    a, b = np.array([i for i, _ in common]), np.array([j for _, j in common])
    reference = np.array([now.keys[i][2] == "impact_ratio" for i in a]) & (now.values[a] == 1) & (before.values[b] == 1)
    x = np.where(reference, np.nan, now.values[a])
    n_now, n_before = now.meta.get("n_jobs"), before.meta.get("n_jobs")
    floor = None
    if n_now and n_before:  # a share of jobs at 0 or 1 in a period does not move in its resamples
        shares = np.array([now.keys[i][2] == "match_rate" for i in a])
        floor = np.where(shares, share_floor(now.values[a], before.values[b], int(n_now), int(n_before)), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        se, z, p = change_test(x, now.replicates[:, a], before.values[b], before.replicates[:, b], seed, floor)
    n_family = int(np.isfinite(p).sum())
    rows = []
    for n, i in enumerate(a):
        k, attr, metric, group = now.keys[i]
        value, prev = float(now.values[i]), float(before.values[b[n]])
        change = value - prev
        worse = -better(metric) * change
        tol = _tolerance(metric, tolerance)
        verdict = REFERENCE if reference[n] else _verdict(float(p[n]), worse, alpha)
        rows.append({"stage": stage, "k": k, "attribute": attr, "metric": metric, "group": group or None,
                     "value": value, "previous": prev, "change": change, "worse_by": worse, "tolerance": tol,
                     "se": float(se[n]), "z": float(z[n]), "p_value": float(p[n]), "n_family": n_family,
                     "verdict": verdict, "regressed": bool(verdict == WORSE and worse > tol + 1e-12)})
    return rows


def change_table(reg: pd.DataFrame, current: Mapping[str, ChangeSpread | None],
                 previous: Mapping[str, Mapping[str, Any] | ChangeSpread | None], alpha: float = 0.05,
                 tolerance: float | Mapping[str, float] = 0.02, seed: int = 0) -> pd.DataFrame:
    """Every change since the previous period with its p-value and verdict; none is dropped.

    Parameters
    ----------
    reg : DataFrame
        :func:`fairaudit.review.trend.regressions` of the stored figures (gives
        the periods and the changes of stages or cuts without resamples).
    current : mapping stage -> ChangeSpread or None
        This review's spreads (:func:`review_spread`).
    previous : mapping stage -> ChangeSpread, its stored dict, or None
        The previous period's (:meth:`fairaudit.review.history.HistoryStore.spreads`).
    alpha : float
        Family-wise level of each stage's family.
    tolerance : float or mapping metric -> float
        The smallest worsening that fails the review (``regressed``) when it is
        also worse beyond chance; a single float is x100 for ``paper_score``.
    seed : int
        Seed of the test's pairing of resamples.

    Returns
    -------
    DataFrame
        :data:`CHANGE_COLUMNS`, one row per compared figure: ``verdict`` one of
        :data:`CHANGE_VERDICTS`, ``p_value`` the max-T adjusted p-value over the
        stage's ``n_family`` judged figures (NaN when not judged), ``regressed``
        worse beyond chance by more than ``tolerance``.
    """
    if reg.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    period, prev_period = str(reg["period"].iloc[0]), str(reg["previous_period"].iloc[0])
    rows: list[dict[str, Any]] = []
    for stage in dict.fromkeys(reg["stage"]):
        now, before = current.get(stage), previous.get(stage)
        if isinstance(before, Mapping):
            try:
                before = ChangeSpread.from_dict(before)
            except ValueError:
                before = None
        if now is not None and before is not None:
            rows += _judged_rows(stage, now, before, alpha, tolerance, seed)
    judged = {(r["stage"], r["k"], r["attribute"], r["metric"]) for r in rows}
    for r in reg.to_dict("records"):  # figures without resamples on one side: shown, not judged
        if (r["stage"], int(r["k"]), r["attribute"], r["metric"]) in judged:
            continue
        rows.append({**{c: r.get(c) for c in ("stage", "attribute", "metric", "value", "previous", "change",
                                                "worse_by", "tolerance")},
                     "k": int(r["k"]), "group": None, "se": float("nan"), "z": float("nan"),
                     "p_value": float("nan"), "n_family": 0, "verdict": NOT_JUDGED, "regressed": False})
    out = pd.DataFrame(rows)
    out["period"], out["previous_period"] = period, prev_period
    return out[CHANGE_COLUMNS].sort_values(["stage", "k", "attribute", "metric", "group"], na_position="first",
                                           kind="mergesort").reset_index(drop=True)


def change_line(table: pd.DataFrame) -> str:
    """One line that counts the changes of :func:`change_table` by verdict (every verdict named, even at 0)."""
    if table.empty:
        return "no earlier period to compare with"
    counts = ", ".join(f"{int((table['verdict'] == v).sum())} {v}" for v in CHANGE_VERDICTS)
    return (f"{len(table)} changes since {table['previous_period'].iloc[0]}: {counts} "
            "(p-values adjusted over each stage's changes)")
