"""Rank-aware fairness: skew@k, NDKL and position-weighted exposure.

References
----------
.. [1] Geyik, Ambler & Kenthapadi, "Fairness-Aware Ranking in Search &
       Recommendation Systems with Application to LinkedIn Talent Search",
       KDD 2019 (skew@k, NDKL).
.. [2] Singh & Joachims, "Fairness of Exposure in Rankings", KDD 2018
       (exposure with logarithmic position discount).
"""
from __future__ import annotations

import numpy as np


def position_weights(k: int) -> np.ndarray:
    r"""DCG-style position weights :math:`w_i = 1/\log_2(1 + i)`, i = 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2))


def skew_at_k(topk_share: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Skew of each group: :math:`\log(p_{k,g} / p^*_g)`; 0 is proportional, -inf never selected."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(topk_share / target)


def ndkl(topk_codes: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Normalised discounted cumulative KL divergence per ranking.

    .. math::
        \mathrm{NDKL}(\tau) = \frac{1}{Z} \sum_{i=1}^{k} \frac{1}{\log_2(i+1)}
        D_{KL}(D_{\tau_i} \,\|\, D^*), \qquad Z = \sum_{i=1}^{k} \frac{1}{\log_2(i+1)}

    ``topk_codes`` is (n_jobs, k) group codes, known groups ``0..G-1`` and any
    code ``>= G`` unknown (left out of the prefix distributions). 0 means every
    prefix matches the target.
    """
    n, k = topk_codes.shape
    g = len(target)
    onehot = np.zeros((n, k, g))
    for c in range(g):
        onehot[:, :, c] = topk_codes == c
    cum = onehot.cumsum(axis=1)
    tot = cum.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tot > 0, cum / np.where(tot > 0, tot, 1), 0.0)
        terms = np.where(p > 0, p * np.log(p / target[None, None, :]), 0.0).sum(axis=2)
    w = position_weights(k)
    return (terms * w[None, :]).sum(axis=1) / w.sum()


def exposure(topk_codes: np.ndarray, pool_counts: np.ndarray, n_codes: int) -> np.ndarray:
    r"""Mean exposure per group member over all jobs.

    .. math:: E_g = \frac{1}{n_{jobs} n_g} \sum_j \sum_{i \le k: \tau_j(i) \in g} \frac{1}{\log_2(1+i)}
    """
    n, k = topk_codes.shape
    w = np.broadcast_to(position_weights(k), (n, k))
    tot = np.bincount(topk_codes.ravel(), weights=w.ravel(), minlength=n_codes)[:n_codes]
    denom = pool_counts.astype(float) * n
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, tot / np.where(denom > 0, denom, 1), np.nan)
