"""Distance between each job's top-k group mix and a target distribution.

References
----------
.. [1] Wasserstein gap and reward: "Foundation Models at Work: Fine-Tuning for
       Fairness in Algorithmic Hiring", arXiv:2501.07324 (AutoRefine).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..errors import ConfigError


def target_distribution(target: Any, attribute: str, labels: tuple[str, ...], pool_counts: np.ndarray) -> np.ndarray:
    """Resolve a target spec into a probability vector over the known groups.

    Parameters
    ----------
    target : "pool" | "uniform" | mapping
        ``"pool"``: the known candidates' mix; ``"uniform"``: 1/G each; a mapping
        ``{group: share}`` or ``{attribute: {group: share}}``.
    labels : known group labels, code order.
    pool_counts : candidates per known group (unknown excluded).
    """
    g = len(labels)
    if isinstance(target, str):
        if target == "pool":
            counts = np.asarray(pool_counts[:g], dtype=float)
            return counts / counts.sum()
        if target == "uniform":
            return np.full(g, 1.0 / g)
        raise ConfigError(f"target must be 'pool', 'uniform' or a mapping of shares, got {target!r}")
    if not isinstance(target, Mapping):
        raise ConfigError(f"target must be 'pool', 'uniform' or a mapping, got {type(target).__name__}")
    spec = target.get(attribute, target) if attribute in target else target
    if isinstance(spec, str):
        return target_distribution(spec, attribute, labels, pool_counts)
    if not all(isinstance(v, (int, float)) for v in spec.values()):
        # a per-attribute mapping that does not name this attribute: use the pool
        return target_distribution("pool", attribute, labels, pool_counts)
    unknown = sorted(set(spec) - set(labels))
    from ..io import LABELS

    empty = [g for g in unknown if g in LABELS.get(attribute, {})]
    if empty:
        raise ConfigError(f"target for {attribute!r} gives a share to group(s) {empty} with zero candidates "
                          f"in the pool; groups with candidates are {list(labels)}")
    if unknown:
        raise ConfigError(f"target for {attribute!r} names unknown group(s) {unknown}; groups are {list(labels)}")
    vec = np.array([float(spec.get(lbl, 0.0)) for lbl in labels])
    if (vec < 0).any() or not np.isfinite(vec).all() or vec.sum() <= 0:
        raise ConfigError(f"target shares for {attribute!r} must be non-negative numbers with a positive sum")
    if abs(vec.sum() - 1.0) > 1e-6:
        raise ConfigError(f"target shares for {attribute!r} sum to {vec.sum():.4f}; they must sum to 1")
    return vec


def topk_shares(counts: np.ndarray, n_known: int) -> np.ndarray:
    """Shares of each known group among the known members of each top-k.

    ``counts`` is (n_jobs, n_codes) with the unknown bucket last. Rows whose
    top-k holds no known member are NaN.
    """
    known = counts[:, :n_known].astype(float)
    tot = known.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, known / np.where(tot > 0, tot, 1), np.nan)


def total_variation(shares: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Total variation distance per row.

    .. math:: \mathrm{TV}(p, q) = \tfrac12 \sum_g |p_g - q_g|
    """
    return 0.5 * np.abs(shares - target[None, :]).sum(axis=1)


def wasserstein_binary(shares: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Wasserstein-1 distance between two distributions on two ordered points.

    With the groups placed at 0 and 1, :math:`W_1(p, q) = |F_p(0) - F_q(0)| =
    |p_0 - q_0|`, which equals the total variation distance (checked against
    :func:`scipy.stats.wasserstein_distance` in the tests).
    """
    if shares.shape[1] != 2:
        raise ValueError("wasserstein_binary needs exactly two groups")
    return np.abs(shares[:, 0] - target[0])


def gap(shares: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The per-job gap: W1 for two groups (as in AutoRefine), TV otherwise."""
    if shares.shape[1] == 2:
        return wasserstein_binary(shares, target)
    return total_variation(shares, target)


def paper_score(gaps: np.ndarray) -> np.ndarray:
    r"""AutoRefine's score :math:`-100 \cdot W_1` (higher is fairer; 0 is a perfect match)."""
    return -100.0 * gaps


def match(gaps: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether each job's top-k mix is within ``tolerance`` of the target (TV / W1).

    A gap equal to the tolerance up to float rounding matches (see
    :func:`fairaudit.metrics.impact.is_above`); NaN gaps never do.
    """
    from .impact import is_above

    g = np.asarray(gaps, dtype=float)
    return ~np.asarray(is_above(g, tolerance), dtype=bool) & ~np.isnan(g)


def diversity_match_rate(gaps: np.ndarray, tolerance: float = 0.1) -> float:
    """Share of jobs whose top-k mix is within ``tolerance`` of the target.

    Jobs with an undefined gap (no known member in the top-k) are left out.
    """
    ok = ~np.isnan(gaps)
    return float(match(gaps[ok], tolerance).mean()) if ok.any() else float("nan")
