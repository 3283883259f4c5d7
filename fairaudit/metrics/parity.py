r"""Demographic parity over (job, candidate) pairs, computed with fairlearn.

The pairs are never materialised: every group contributes two weighted rows
(selected / not selected) whose weights are the pair counts, which gives
fairlearn exactly the selection rates of the full pair table.

.. math::
    \mathrm{DPD} = \max_g SR_g - \min_g SR_g, \qquad
    \mathrm{DPR} = \min_g SR_g / \max_g SR_g

References
----------
.. [1] Bird et al., "Fairlearn: A toolkit for assessing and improving fairness in AI",
       Microsoft Tech. Rep. MSR-TR-2020-32 (``MetricFrame``,
       ``demographic_parity_difference``, ``demographic_parity_ratio``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def _weighted_pairs(selected: np.ndarray, pairs: np.ndarray, labels: Sequence[str]):
    groups, y_pred, weight = [], [], []
    for g, lbl in enumerate(labels):
        groups += [lbl, lbl]
        y_pred += [1, 0]
        weight += [float(selected[g]), float(pairs[g] - selected[g])]
    y = np.asarray(y_pred)
    return y, y, np.asarray(groups, dtype=object), np.asarray(weight)


def selection_rate_frame(selected: np.ndarray, pairs: np.ndarray, labels: Sequence[str]):
    """A fairlearn ``MetricFrame`` of selection rates by group (from pair counts).

    Parameters
    ----------
    selected : ndarray, shape (G,)
        Selected (job, candidate) pairs per group.
    pairs : ndarray, shape (G,)
        All pairs per group (n_jobs x group size).
    labels : sequence of str
        The G group labels, in the order of ``selected`` and ``pairs``.

    Returns
    -------
    fairlearn.metrics.MetricFrame
        ``selection_rate`` by group (``.by_group``), equal to :func:`selection_rates`.
    """
    from fairlearn.metrics import MetricFrame, selection_rate

    y_true, y_pred, groups, weight = _weighted_pairs(selected, pairs, labels)
    return MetricFrame(metrics=selection_rate, y_true=y_true, y_pred=y_pred,
                       sensitive_features=pd.Series(groups, name="group"),
                       sample_params={"sample_weight": weight})


def demographic_parity(selected: np.ndarray, pairs: np.ndarray, labels: Sequence[str]) -> tuple[float, float]:
    """Demographic parity difference and ratio with fairlearn.

    Parameters
    ----------
    selected : ndarray, shape (G,)
        Selected (job, candidate) pairs per group.
    pairs : ndarray, shape (G,)
        All pairs per group (n_jobs x group size).
    labels : sequence of str
        Group labels (only groups with pairs > 0 should be passed).

    Returns
    -------
    tuple of float
        ``(difference, ratio)``: DPD in [0, 1] and DPR in [0, 1]; both NaN for fewer
        than two groups.
    """
    from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio

    if len(labels) < 2:
        return float("nan"), float("nan")
    y_true, y_pred, groups, weight = _weighted_pairs(selected, pairs, labels)
    d = demographic_parity_difference(y_true, y_pred, sensitive_features=groups, sample_weight=weight)
    r = demographic_parity_ratio(y_true, y_pred, sensitive_features=groups, sample_weight=weight)
    return float(d), float(r)


def dp_from_rates(rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised DPD and DPR from rate rows (..., G): used for per-job and bootstrap values.

    Identical to fairlearn's definition (max - min, min / max); the tests check
    the two agree.

    Parameters
    ----------
    rates : ndarray of float, shape (..., G)
        Selection rates, one row per job or bootstrap replicate; NaN marks a group
        left out (unrated) and is ignored.

    Returns
    -------
    tuple of ndarray
        ``(difference, ratio)``, each of shape ``rates.shape[:-1]``; the ratio is
        NaN where the highest rate is 0.
    """
    hi = np.nanmax(rates, axis=-1)
    lo = np.nanmin(rates, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(hi > 0, lo / np.where(hi > 0, hi, 1), np.nan)
    return hi - lo, ratio
