"""Approximate cross-checks of the impact ratios on pooled counts: Fisher's exact test and the two-SD rule.

Both treat every (job, candidate) pair as an independent trial, which they are
not: a candidate who suits many jobs is selected again and again, so pairs of
the same candidate (and of the same job) are correlated and these tests are
anti-conservative (their p-values too small) for a recommender. They are shown
because compliance practice knows them; the permutation test of
:mod:`fairaudit.engine.permutation`, which keeps that dependence, decides the verdict.

For each rated group g against the reference group h (the highest selection
rate among :func:`~fairaudit.metrics.impact.reference_mask`), with ``S`` selected of ``N = n_jobs x n_g`` pairs:

* Fisher's exact test, one-sided (g selected less often), of the 2 x 2 table
  ``[[S_g, N_g - S_g], [S_h, N_h - S_h]]`` (``scipy.stats.fisher_exact``);
* the two-standard-deviations rule: ``z = (SR_g - SR_h) / sqrt(p (1 - p) (1/N_g + 1/N_h))``
  with the pooled rate ``p = (S_g + S_h) / (N_g + N_h)``; flagged when ``z < -2``.

References
----------
.. [1] 29 CFR 1607.4(D) and the EEOC's Questions and Answers on the Uniform
       Guidelines (Q. 20-22): statistical significance beside the 4/5 rule.
.. [2] Hazelwood School District v. United States, 433 U.S. 299 (1977), n. 17:
       "two or three standard deviations".
.. [3] Fisher, R. A. (1922). On the interpretation of chi-square from contingency
       tables. *J. R. Stat. Soc.* 85(1), 87-94.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import fisher_exact

from ..metrics.impact import reference_mask


def pooled_tests(selected: np.ndarray, pool: np.ndarray, n_jobs: int, rated: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Fisher p-values and two-SD z of each known group against the reference group (highest rate).

    Parameters
    ----------
    selected, pool : ndarray (n_codes,)
        Selections and candidates per group code (the unknown code last).
    rated : ndarray (n_known,) of bool

    Returns
    -------
    fisher_p, z : ndarray (n_known,)
        NaN for unrated groups and for the highest-rate group itself.
    """
    n_known = len(rated)
    pairs = pool[:n_known].astype(float) * n_jobs
    fisher_p, z = np.full(n_known, np.nan), np.full(n_known, np.nan)
    if not rated.any() or n_jobs <= 0:
        return fisher_p, z
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(rated & (pairs > 0), selected[:n_known] / np.where(pairs > 0, pairs, 1), np.nan)
    if not np.isfinite(rates).any():
        return fisher_p, z
    ref_rates = np.where(reference_mask(pool, rated), rates, np.nan)
    if not np.isfinite(ref_rates).any():
        return fisher_p, z
    h = int(np.nanargmax(ref_rates))
    s_h, n_h = int(selected[h]), int(pairs[h])
    for g in np.flatnonzero(rated):
        if g == h or pairs[g] <= 0:
            continue
        s_g, n_g = int(selected[g]), int(pairs[g])
        fisher_p[g] = float(fisher_exact([[s_g, n_g - s_g], [s_h, n_h - s_h]], alternative="less").pvalue)
        p = (s_g + s_h) / (n_g + n_h)
        se = np.sqrt(p * (1 - p) * (1 / n_g + 1 / n_h))
        z[g] = (rates[g] - rates[h]) / se if se > 0 else np.nan
    return fisher_p, z
