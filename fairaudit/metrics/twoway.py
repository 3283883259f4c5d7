"""Intervals for selection rates and impact ratios that resample jobs *and* candidates.

An audit's (job, candidate) pairs are crossed: every job ranks every
candidate. Resampling jobs only (:mod:`fairaudit.metrics.bootstrap`) leaves out
the larger source of chance for a small group's impact ratio: *which*
candidates happen to be in it. The product-weight ("pigeonhole") bootstrap for
crossed data gives each job a weight ``w_j`` and each candidate a weight
``v_c``, independent Poisson(1) draws, and weighs pair (j, c) by ``w_j v_c``:

.. math::
    SR^*_g = \\frac{\\sum_j w_j \\sum_{c \\in top_k(j) \\cap g} v_c}
                  {\\left(\\sum_j w_j\\right) \\left(\\sum_{c \\in g} v_c\\right)},
    \\qquad IR^*_g = SR^*_g / \\max_{h\\ reference} SR^*_h

and the interval is the percentile interval of the resamples. The rankings are
kept (a candidate drawn twice counts twice where it was selected), as in the
job bootstrap. Only candidates in some top-k need their own weight; the rest of
group g contributes ``sum of |g \\ S| Poisson(1) = Poisson(|g \\ S|)`` to the
denominator, drawn as one number.

References
----------
.. [1] Owen, A. B. (2007). The pigeonhole bootstrap. *Ann. Appl. Stat.* 1(2), 386-411.
.. [2] Owen, A. B. & Eckles, D. (2012). Bootstrapping data arrays of arbitrary
       order. *Ann. Appl. Stat.* 6(3), 895-927.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import sparse

from ..data.groups import GroupEncoding
from .bootstrap import percentile_ci
from .impact import reference_mask


def twoway_intervals(indices: np.ndarray, encodings: Sequence[GroupEncoding], rated: Mapping[str, np.ndarray],
                     n_resamples: int, seed: int, confidence: float = 0.95, chunk: int = 250
                     ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Two-way bootstrap percentile intervals of every group's selection rate and impact ratio.

    Parameters
    ----------
    indices : ndarray (n_jobs, k)
        Each job's top-k.
    encodings : the attributes; ``rated[attribute]`` their rated known groups.

    Returns
    -------
    dict attribute -> (rate_low, rate_high) over all codes and (ir_low, ir_high)
    over the known groups (NaN for unrated groups; all NaN without resamples).
    """
    n_jobs, k = indices.shape
    hit, col = np.unique(indices, return_inverse=True)  # candidates in some top-k, and each slot's column
    inc = sparse.csr_matrix((np.ones(indices.size), (np.repeat(np.arange(n_jobs), k), col.ravel())),
                            shape=(n_jobs, len(hit)))
    rng = np.random.default_rng([int(seed), 0x2A7])
    samples: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {e.attribute: ([], []) for e in encodings}
    rest = {e.attribute: e.pool_counts - np.bincount(e.codes[hit], minlength=e.n_codes) for e in encodings}
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        w = rng.poisson(1.0, (b, n_jobs)).astype(float)
        v = rng.poisson(1.0, (b, len(hit))).astype(float)
        weighted = np.asarray((inc.T @ w.T)).T * v  # (b, |S|): sum_j w_j [c in top_k(j)] v_c
        for enc in encodings:
            onehot = np.eye(enc.n_codes)[enc.codes[hit]]  # (|S|, n_codes)
            sel = weighted @ onehot
            cands = v @ onehot + rng.poisson(rest[enc.attribute].astype(float), (b, enc.n_codes))
            with np.errstate(invalid="ignore", divide="ignore"):
                rates = sel / (w.sum(axis=1, keepdims=True) * cands)
            r = rated[enc.attribute]
            ref = reference_mask(enc.pool_counts, r)
            known = np.where(r[None, :], rates[:, : enc.n_known], np.nan)
            top = np.nanmax(np.where(ref[None, :], known, -np.inf), axis=1, keepdims=True) if ref.any() \
                else np.full((b, 1), np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                ir = np.where(top > 0, known / np.where(top > 0, top, 1), np.nan)
            samples[enc.attribute][0].append(rates)
            samples[enc.attribute][1].append(ir)
        done += b
    out = {}
    for enc in encodings:
        if n_resamples <= 0:
            nan_c, nan_k = np.full(enc.n_codes, np.nan), np.full(enc.n_known, np.nan)
            out[enc.attribute] = (nan_c, nan_c.copy(), nan_k, nan_k.copy())
            continue
        rates, ir = (np.concatenate(x) for x in samples[enc.attribute])
        r_lo, r_hi = percentile_ci(rates, confidence)
        i_lo, i_hi = percentile_ci(ir, confidence)
        unrated = ~rated[enc.attribute]
        i_lo[unrated] = np.nan
        i_hi[unrated] = np.nan
        out[enc.attribute] = (r_lo, r_hi, i_lo, i_hi)
    return out
