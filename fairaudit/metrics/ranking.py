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
    r"""DCG-style position weights :math:`w_i = 1/\log_2(1 + i)`, i = 1..k.

    Parameters
    ----------
    k : int
        Number of places.

    Returns
    -------
    ndarray of float, shape (k,)
        1 for the first place, decreasing.
    """
    return 1.0 / np.log2(np.arange(2, k + 2))


def skew_at_k(topk_share: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Skew of each group: :math:`\ln(p_{k,g} / p^*_g)`; 0 is proportional, -inf never selected.

    Parameters
    ----------
    topk_share : ndarray of float, shape (..., G)
        Each group's share :math:`p_{k,g}` of the known members of the top-k (the
        audit passes the share pooled over all jobs).
    target : ndarray of float, shape (G,)
        The target share :math:`p^*_g` of each group.

    Returns
    -------
    ndarray of float
        The natural-log skew, of the shape of ``topk_share``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(topk_share / target)


def ndkl(topk_codes: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Normalised discounted cumulative KL divergence per ranking, skipping undefined prefixes.

    .. math::
        \mathrm{NDKL}(\tau) = \frac{1}{Z} \sum_{i \le k:\, n_i > 0} \frac{1}{\log_2(i+1)}
        D_{KL}(D_{\tau_{1..i}} \,\|\, D^*), \qquad Z = \sum_{i \le k:\, n_i > 0} \frac{1}{\log_2(i+1)}

    with :math:`D_{KL}(P\|Q) = \sum_g P_g \ln(P_g / Q_g)` (natural log),
    :math:`D_{\tau_{1..i}}` the group mix of the *known* members among the
    first ``i`` places and :math:`n_i` their number (Geyik et al. 2019, eq. 4,
    with their :math:`\log_2` discount).

    ``topk_codes`` is (n_jobs, k) group codes, known groups ``0..G-1`` and any
    code ``>= G`` unknown. Unknown members keep their places (the weight of a
    place is where the recommender put it) but a prefix with no known member
    has no group mix: it is *skipped*, in the sum and in the normaliser
    :math:`Z`, instead of counting as a perfect match (KL = 0). Dropping the
    unknowns and closing up the ranking would instead move known members to
    places the recommender did not give them. A ranking with no known member
    at all gives NaN. 0 means every defined prefix matches the target.
    See ``docs/concepts/ranking-metrics.md``.

    Parameters
    ----------
    topk_codes : ndarray of int, shape (n_jobs, k)
        The group code of the candidate at each place of each job's ranking; known
        groups are ``0..G-1``, any code ``>= G`` is unknown.
    target : ndarray of float, shape (G,) or (n_jobs, G)
        One target distribution :math:`D^*` for every ranking, or one per ranking
        (e.g. each job's own candidates' mix).

    Returns
    -------
    ndarray of float, shape (n_jobs,)
        NDKL of each ranking, >= 0 (natural-log units); NaN for a ranking with no
        known member.
    """
    n, k = topk_codes.shape
    g = target.shape[-1]
    tgt = target[None, None, :] if target.ndim == 1 else target[:, None, :]
    onehot = np.zeros((n, k, g))
    for c in range(g):
        onehot[:, :, c] = topk_codes == c
    cum = onehot.cumsum(axis=1)
    tot = cum.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tot > 0, cum / np.where(tot > 0, tot, 1), 0.0)
        terms = np.where(p > 0, p * np.log(p / tgt), 0.0).sum(axis=2)
    w = position_weights(k)[None, :] * (tot[:, :, 0] > 0)  # undefined prefixes weigh nothing
    z = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(z > 0, (terms * w).sum(axis=1) / np.where(z > 0, z, 1), np.nan)


def exposure(topk_codes: np.ndarray, pool_counts: np.ndarray, n_codes: int) -> np.ndarray:
    r"""Mean exposure per group member over all jobs.

    .. math:: E_g = \frac{1}{n_{jobs} n_g} \sum_j \sum_{i \le k: \tau_j(i) \in g} \frac{1}{\log_2(1+i)}

    Parameters
    ----------
    topk_codes : ndarray of int, shape (n_jobs, k)
        The group code at each place of each job's ranking, in ``0 .. n_codes - 1``.
    pool_counts : ndarray, shape (n_codes,)
        :math:`n_g`, the candidates per group code each job ranks (the audit passes the
        candidates assessed per job, averaged over the jobs, which may be fractional).
    n_codes : int
        Number of group codes, the unknown one included.

    Returns
    -------
    ndarray of float, shape (n_codes,)
        :math:`E_g`; NaN for a group with no candidates.
    """
    n, k = topk_codes.shape
    w = np.broadcast_to(position_weights(k), (n, k))
    tot = np.bincount(topk_codes.ravel(), weights=w.ravel(), minlength=n_codes)[:n_codes]
    denom = pool_counts.astype(float) * n
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, tot / np.where(denom > 0, denom, 1), np.nan)
