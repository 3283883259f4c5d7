"""Ties in a ranking: the places of a top-k that the file order, not the recommender, decided."""
from __future__ import annotations

import numpy as np


def order_decided(scores: np.ndarray, k: int) -> np.ndarray:
    """Places of each job's top-k that were filled by row order because of tied scores.

    Rankings break ties by row number (an earlier candidate row wins). When the
    k-th best score equals the (k+1)-th, every top-k member with that score was
    chosen over an equally scored candidate by its position in the file:

    .. math:: o_j = |\\{i \\le k : s_{j,(i)} = s_{j,(k)}\\}| \\cdot 1[s_{j,(k)} = s_{j,(k+1)}]

    ``o_j = k`` means the whole top-k is row order (e.g. all scores equal), so
    the job's group mix says nothing about the recommender.

    Parameters
    ----------
    scores : ndarray of shape (n_jobs, m)
        Each job's best scores in rank order (``Rankings.scores``), ``m > k``
        unless the whole pool is selected.
    k : int

    Returns
    -------
    ndarray of int, shape (n_jobs,)
    """
    if scores.shape[1] <= k:  # the whole pool is selected: no choice was made
        return np.zeros(scores.shape[0], dtype=np.int64)
    kth, nxt = scores[:, k - 1], scores[:, k]
    tied_in = (scores[:, :k] == kth[:, None]).sum(axis=1)
    return np.where(kth == nxt, tied_in, 0).astype(np.int64)


def order_gap_range(fixed: np.ndarray, tied: np.ndarray, n_places: int, target: np.ndarray) -> tuple[float, float]:
    """The lowest and highest gap any tie-break could give a top-k with places decided by row order.

    Rankings break tied scores by row number (:func:`order_decided`). Which of
    the tied candidates fill the top-k's last ``o = n_places`` places is the
    file's choice, not the recommender's, so its gap (the total variation
    distance of the known groups' shares to ``target``; W1 for two groups,
    which equals it) is only known to lie in the returned range. Two bounds,
    and the tighter of each end is kept:

    * each known group's share ``s_g = (f_g + x_g) / (n_f + m)`` (``f``: the
      candidates above the tie, ``x``: the tied ones picked, ``m`` of them
      with a known group) grows with ``x_g`` and shrinks as other known groups
      are picked, so its extremes take as many (or as few) of group ``g`` as
      the tied candidates allow; the gap lies between
      :math:`\\tfrac12\\sum_g d(t_g, [lo_g, hi_g])` and
      :math:`\\tfrac12\\sum_g \\max(|lo_g - t_g|, |hi_g - t_g|)` (the highest is
      exact for two groups, both ends when the tied candidates share one group);
    * the shares move from the untied part's by at most
      :math:`\\mathrm{TV} \\le m / (n_f + m) \\le o / (n_f + o)`, and so does the gap
      (triangle inequality).

    Parameters
    ----------
    fixed : ndarray of int, shape (n_codes,)
        Top-k candidates that score above the tied score, per group code (the last code is unknown).
    tied : ndarray of int, shape (n_codes,)
        Candidates of the whole pool with exactly the tied score, per group code.
    n_places : int
        Places of the top-k filled from the tied candidates.
    target : ndarray, shape (n_known,)
        The target shares of the known groups.

    Returns
    -------
    (float, float)
        Within [0, 1]; ``(gap, gap)`` of the untied part when no place was decided by row order.
    """
    f = np.asarray(fixed, dtype=float)
    t_all = np.asarray(tied, dtype=float)
    t = np.asarray(target, dtype=float)
    n_known = len(t)
    o = float(n_places)
    n_f = f[:n_known].sum()
    lo_s, hi_s = np.zeros(n_known), np.ones(n_known)
    for g in range(n_known):
        others = t_all[:n_known].sum() - t_all[g]
        a = min(o, t_all[g])  # most of g, then unknown (no change to the shares), then other groups
        b = o - a - min(o - a, t_all[n_known:].sum())
        hi_s[g] = (f[g] + a) / (n_f + a + b) if n_f + a + b > 0 else 1.0
        x = max(0.0, o - others - t_all[n_known:].sum())  # fewest of g, then as many other known as there are
        y = min(o - x, others)
        lo_s[g] = (f[g] + x) / (n_f + x + y) if n_f + x + y > 0 else 0.0
    low = 0.5 * float(np.sum(np.maximum(0.0, np.maximum(lo_s - t, t - hi_s))))
    high = 0.5 * float(np.sum(np.maximum(np.abs(lo_s - t), np.abs(hi_s - t))))
    if n_f > 0 and o > 0:
        g0 = 0.5 * float(np.abs(f[:n_known] / n_f - t).sum())
        r = o / (n_f + o)
        low, high = max(low, g0 - r), min(high, g0 + r)
    return max(0.0, min(low, 1.0)), max(0.0, min(high, 1.0))
