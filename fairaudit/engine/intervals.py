"""Bootstrap intervals of an audit's rates, parity, match rate, gap and NDKL (resampling jobs).

The statistics are sums over jobs, so a resample is a weight per job
(:func:`fairaudit.metrics.bootstrap.bootstrap_weights`) and the intervals are BCa
with a closed-form jackknife. Selection rates divide the selected pairs by the
(job, candidate) pairs considered: every candidate for every job in an audit of
the whole pool, each job's own candidates with per-job candidate sets
(``considered``), where a resample also resamples the denominators.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..metrics import bootstrap as boot
from ..metrics.parity import dp_from_rates
from .result import AuditConfig

#: The statistics with bootstrap intervals (each a mean over jobs or a function of such means).
BOOTSTRAPPED = ("rate", "dpd", "dpr", "match", "gap", "ndkl")


def _jackknife(counts: np.ndarray, pool: np.ndarray, rated: np.ndarray, n_known: int, defined: np.ndarray,
               match0: np.ndarray, gaps0: np.ndarray, job_ndkl: np.ndarray,
               considered: np.ndarray | None = None) -> dict[str, np.ndarray] | None:
    """Each bootstrapped statistic with one job left out (closed form: they are sums over jobs).

    Feeds the acceleration of the BCa intervals; None with fewer than two jobs.
    """
    n = counts.shape[0]
    if n < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows of unrated groups
        pairs = pool[None, :] * (n - 1) if considered is None else considered.sum(axis=0)[None, :] - considered
        rates = (counts.sum(axis=0)[None, :] - counts) / pairs
        dpd, dpr = dp_from_rates(np.where(rated[None, :], rates[:, :n_known], np.nan))
        nd = defined.sum() - defined
        return {"rate": rates, "dpd": dpd, "dpr": dpr,
                "match": (match0.sum() - match0) / nd, "gap": (gaps0.sum() - gaps0) / nd,
                "ndkl": (job_ndkl.sum() - job_ndkl) / nd}


def bootstrap_intervals(counts: np.ndarray, pool: np.ndarray, rated: np.ndarray, n_known: int, gaps: np.ndarray,
                        job_match: np.ndarray, job_ndkl: np.ndarray, rates: np.ndarray,
                        config: AuditConfig, considered: np.ndarray | None = None
                        ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """BCa intervals of every :data:`BOOTSTRAPPED` statistic, resampling jobs.

    Parameters
    ----------
    counts : ndarray (n_jobs, n_codes)
        Each job's top-k group counts.
    pool : ndarray (n_codes,)
        Candidates per group.
    rated : ndarray (n_known,) of bool
        The rated known groups.
    n_known : int
        Number of known groups (the unknown code follows them).
    gaps, job_match, job_ndkl : ndarray (n_jobs,)
        Per-job gap (NaN when undefined), match and NDKL.
    rates : ndarray (n_codes,)
        Observed selection rates.
    config : AuditConfig
        ``n_bootstrap``, ``seed`` and ``confidence``.
    considered : ndarray (n_jobs, n_codes), optional
        Candidates of each group that each job considered (per-job candidate
        sets); default every candidate of ``pool`` for every job.

    Returns
    -------
    dict statistic -> (low, high)
    """
    n_jobs = counts.shape[0]
    counts = counts.astype(float)
    pool_f = pool.astype(float)
    cons = None if considered is None else considered.astype(float)
    defined = ~np.isnan(gaps)
    gaps0 = np.where(defined, gaps, 0.0)
    match0 = np.where(defined, job_match, 0.0)
    # NDKL is undefined exactly where the gap is (no known member in the top-k): both average over defined jobs
    ndkl0 = np.where(defined, job_ndkl, 0.0)
    stats: dict[str, list[np.ndarray]] = {key: [] for key in BOOTSTRAPPED}
    for w in boot.bootstrap_weights(n_jobs, config.n_bootstrap, config.seed):
        b_sel = w @ counts  # (B, n_codes)
        with np.errstate(invalid="ignore", divide="ignore"):
            b_rates = b_sel / (pool_f[None, :] * n_jobs if cons is None else w @ cons)
        stats["rate"].append(b_rates)
        d, r = dp_from_rates(np.where(rated[None, :], b_rates[:, :n_known], np.nan))
        stats["dpd"].append(d)
        stats["dpr"].append(r)
        nd = w @ defined.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats["match"].append((w @ match0) / nd)
            stats["gap"].append((w @ gaps0) / nd)
            stats["ndkl"].append((w @ ndkl0) / nd)
    if config.n_bootstrap > 0:
        s = {key: np.concatenate(v) for key, v in stats.items()}
    else:  # no resampling asked for: intervals are undefined
        s = {key: np.full((1, len(pool)) if key == "rate" else (1,), np.nan) for key in stats}
    jack = _jackknife(counts, pool_f, rated, n_known, defined, match0, gaps0, ndkl0, cons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        obs_dpd, obs_dpr = dp_from_rates(np.where(rated, rates[:n_known], np.nan))
    observed = {"rate": rates, "dpd": obs_dpd, "dpr": obs_dpr,
                "match": job_match[defined].mean() if defined.any() else np.nan,
                "gap": gaps[defined].mean() if defined.any() else np.nan,
                "ndkl": ndkl0[defined].mean() if defined.any() else np.nan}
    return {key: boot.bca_interval(observed[key], s[key], None if jack is None else jack[key], config.confidence)
            for key in s}
