r"""Selection rates, impact ratios and the four-fifths rule over (job, candidate) pairs.

Each job's top-k is a selection decision about every candidate in the pool, so
group g's selection rate is

.. math:: SR_g = \frac{\sum_j |\mathrm{top}_k(j) \cap g|}{n_{jobs} \cdot n_g}

and its impact ratio :math:`IR_g = SR_g / \max_{h \in R} SR_h`, where the
reference set :math:`R` (:func:`reference_mask`) holds the rated groups that can
be judged: those with at least ``REFERENCE_MIN_SHARE`` (2 %) of the known
pool. LL144 divides by the rate of the most selected category; a category too
small to measure (one candidate, with ``min_share=0``) must not be that
category, or its chance rate would make every real group look like a breach.

References
----------
.. [1] NYC Local Law 144 of 2021 and 6 RCNY § 5-300/5-301 (bias audits of automated
       employment decision tools): selection rate, scoring rate, impact ratio,
       unknown category, optional exclusion of categories under 2 %.
.. [2] 29 CFR § 1607.4(D) (EEOC Uniform Guidelines): a selection rate for any group
       which is less than four-fifths (80 %) of the rate for the group with the
       highest rate is generally regarded as evidence of adverse impact.
"""
from __future__ import annotations

import numpy as np

#: Tolerances of threshold comparisons. Ratios of counts carry float rounding
#: ((2/3) / (5/6) = 0.7999999999999999), and "less than four-fifths" must not flag
#: a group that is exactly at four-fifths, so values this close count as equal.
RTOL, ATOL = 1e-9, 1e-12


def is_below(values, threshold: float) -> np.ndarray | bool:
    """``values < threshold``, values within rounding error of ``threshold`` counting as equal.

    NaN is never below. Used for every pass/fail comparison (four-fifths flags and
    pass, impact-ratio floors, match-rate goals) so that they agree with each other.
    "Within rounding error" is ``numpy.isclose`` with ``rtol=RTOL`` (1e-9) and
    ``atol=ATOL`` (1e-12).

    Parameters
    ----------
    values : array_like of float
        The values compared.
    threshold : float
        The limit.

    Returns
    -------
    ndarray of bool or bool
        An array of the shape of ``values``, or a bool for a scalar.
    """
    return _strictly(np.less, values, threshold)


def is_above(values, threshold: float) -> np.ndarray | bool:
    """``values > threshold`` with the tolerance of :func:`is_below` (NaN is never above).

    Parameters
    ----------
    values : array_like of float
        The values compared.
    threshold : float
        The limit.

    Returns
    -------
    ndarray of bool or bool
        An array of the shape of ``values``, or a bool for a scalar.
    """
    return _strictly(np.greater, values, threshold)


def _strictly(op, values, threshold: float) -> np.ndarray | bool:
    # ``op`` (np.less or np.greater), values within rounding error of the threshold counting as equal
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        out = op(v, threshold) & ~np.isclose(v, threshold, rtol=RTOL, atol=ATOL)
    return out if out.ndim else bool(out)


def selection_rates(selected: np.ndarray, pool_counts: np.ndarray, n_jobs: int) -> np.ndarray:
    """Selected pairs / all pairs per group (NaN for an empty group).

    Parameters
    ----------
    selected : ndarray, shape (n_codes,)
        Selected (job, candidate) pairs per group code: members of the group summed
        over every job's top-k.
    pool_counts : ndarray, shape (n_codes,)
        Candidates per group code in the pool.
    n_jobs : int
        Number of jobs; every job is a decision about every candidate, so a group
        has ``pool_counts[g] * n_jobs`` pairs.

    Returns
    -------
    ndarray of float, shape (n_codes,)
        :math:`SR_g` in [0, 1]; NaN for a group with no candidates.
    """
    pairs = pool_counts.astype(float) * n_jobs
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, selected / np.where(pairs > 0, pairs, 1), np.nan)


def rated_mask(pool_counts: np.ndarray, n_known: int, min_share: float = 0.02) -> np.ndarray:
    """Known groups that are rated: non-empty and at least ``min_share`` of the known pool.

    Parameters
    ----------
    pool_counts : ndarray, shape (n_codes,)
        Candidates per group code, the known groups first.
    n_known : int
        Number of known groups G; the codes from ``n_known`` on (unknown) are never rated.
    min_share : float, default 0.02
        The least share of the known pool a rated group needs (0.02 = 2 %, the
        exclusion 6 RCNY § 5-301 allows); 0 rates every non-empty group.

    Returns
    -------
    ndarray of bool, shape (n_known,)
    """
    known = pool_counts[:n_known].astype(float)
    share = known / known.sum() if known.sum() else known
    return (known > 0) & (share >= min_share)


#: The least share of the known pool a group needs to be the reference of the impact ratios, whatever
#: ``min_share`` rates: 6 RCNY § 5-301 lets a category under 2 % be left out of the calculation, so such
#: a category is never the one every other group is divided by.
REFERENCE_MIN_SHARE = 0.02


def reference_mask(pool_counts: np.ndarray, rated: np.ndarray) -> np.ndarray:
    """The rated groups that may be the reference (the denominator) of the impact ratios.

    The rule, the same everywhere an impact ratio is computed (observed, scoring,
    exposure, permutation null, power, bootstrap, pooled tests): a rated group
    with at least ``REFERENCE_MIN_SHARE`` of the known pool. When no rated
    group has that much (more than 50 groups), the largest rated group(s).

    Parameters
    ----------
    pool_counts : ndarray
        Candidates per group code; the first ``len(rated)`` are the known groups.
    rated : ndarray of bool
        The rated known groups (:func:`rated_mask`).
    """
    rated = np.asarray(rated, dtype=bool)
    known = np.asarray(pool_counts[: len(rated)], dtype=float)
    total = known.sum()
    ref = rated & (known / (total if total else 1.0) >= REFERENCE_MIN_SHARE)
    if rated.any() and not ref.any():
        ref = rated & (known == known[rated].max())
    return ref


def reference_groups(impact: np.ndarray, rated: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """The group(s) the impact ratios divide by: ratio 1 among the groups allowed to be the reference.

    A small rated group outside :func:`~fairaudit.metrics.impact.reference_mask` may
    have a ratio above 1; it is not the reference and keeps a test of its own.

    Parameters
    ----------
    impact : ndarray
        Impact ratios of the known groups (NaN for unrated ones).
    rated : ndarray of bool
        The rated known groups.
    pool : ndarray
        Candidates per group code (the known groups first).
    """
    rated = np.asarray(rated, dtype=bool)
    allowed = reference_mask(np.nan_to_num(np.asarray(pool, dtype=float)), rated)
    return np.array([bool(allowed[g] and np.isfinite(impact[g]) and not is_below(impact[g], 1.0))
                     for g in range(len(rated))], dtype=bool)


def impact_ratios(rates: np.ndarray, rated: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Rate / highest rate among the reference groups, for each rated group; NaN for unrated groups.

    Parameters
    ----------
    rates : ndarray
        Selection (or scoring, or exposure) rates of the known groups.
    rated : ndarray of bool
        Groups that get a ratio.
    reference : ndarray of bool, optional
        Groups whose highest rate is the denominator (:func:`reference_mask`, a
        subset of ``rated``); default: every rated group. A rated group outside
        the reference can have a ratio above 1. All 1 when every rate is zero
        would be misleading, so a zero maximum gives NaN.
    """
    out = np.full(rates.shape, np.nan)
    ref = rated if reference is None else np.asarray(reference, dtype=bool) & rated
    if not ref.any():
        return out
    top = np.nanmax(rates[ref])
    if top > 0:
        out[rated] = rates[rated] / top
    return out


def four_fifths_flags(ratios: np.ndarray, threshold: float = 0.8) -> np.ndarray:
    """True where an impact ratio is less than the four-fifths threshold (see :func:`is_below`).

    A ratio exactly at the threshold, e.g. 2 of 3 selected against 5 of 6, is not flagged.

    Parameters
    ----------
    ratios : array_like of float
        Impact ratios (:func:`impact_ratios`); NaN (an unrated group) is never flagged.
    threshold : float, default 0.8
        The four-fifths threshold of 29 CFR § 1607.4(D).

    Returns
    -------
    ndarray of bool
        The shape of ``ratios``.
    """
    return np.asarray(is_below(np.asarray(ratios, dtype=float), threshold), dtype=bool)
