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
