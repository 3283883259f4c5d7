"""Top-k group counts: the one place that turns rankings into group mixes."""
from __future__ import annotations

import numpy as np


def group_counts(indices: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Top-k group mix per job: ``counts[j, g]`` = members of group g in job j's top-k.

    This is the single function that turns rankings into group counts; the
    audit, the rewriting reward, the backends and the permutation null all call it
    (it lived in ``fairaudit.recommenders.base``, which re-exports it).
    ``codes`` may carry leading batch axes (``(b, n_candidates)``: one labelling
    per permutation, see ``fairaudit.engine.permutation``); the result then has
    shape ``(b, n_jobs, n_groups)``. A loop over the few groups on small integer
    codes is faster than one ``bincount`` over (batch, job) offsets.

    Parameters
    ----------
    indices : ndarray of int, shape (n_jobs, k)
        Each job's top-k candidate rows.
    codes : ndarray of int, shape (n_candidates,) or (..., n_candidates)
        Each candidate's group code; codes outside ``0 .. n_groups - 1`` (unknown) are not counted.
    n_groups : int
        Number of group codes counted.

    Returns
    -------
    ndarray of int, shape (..., n_jobs, n_groups)
    """
    sel = codes[..., indices]  # (..., n_jobs, k)
    out = np.zeros(sel.shape[:-1] + (n_groups,), dtype=np.int64)
    for g in range(n_groups):
        out[..., g] = (sel == g).sum(axis=-1)
    return out
