"""Is a change between two review periods beyond chance? Two-way bootstrap spreads and a max-T test.

A review compares this period's figures with the previous period's: the same
recommender (or a new one) on a *new pool* of jobs and candidates. Under "same
recommender, new pool" every figure still moves, because other jobs and other
candidates came in. Each period therefore stores, beside its figures, how much
they move over resamples of its own pool (:func:`change_replicates`), and the
change test (:func:`change_test`) compares the difference with that spread.

**Resampling** is the two-way (product-Poisson, "pigeonhole") bootstrap of
:mod:`fairaudit.metrics.twoway`: each job gets a weight ``w_j`` and each
candidate in some top-k a weight ``v_c``, independent Poisson(1) draws; the
rankings are kept. Per resample, for every k and attribute:

* selection rates :math:`SR_g = \\sum_j w_j \\sum_{c \\in top_k(j) \\cap g} v_c /
  (\\sum_j w_j \\cdot \\sum_{c \\in g} v_c)`, and from them the impact ratio of
  each rated group, the lowest one and the demographic parity difference;
* each job's top-k in the resampled pool: its stored ranking with every
  candidate repeated ``v_c`` times (dropped at 0), cut at k; its mix, gap to
  the target, whether it matches, and its NDKL; the match rate, mean gap, gap
  score (-100 x mean gap) and NDKL are the ``w``-weighted means over jobs whose
  mix is defined. Places past the end of the stored ranking (at the largest k,
  where more than k candidates would be needed) are left unknown.

With all weights 1 these are exactly the audit's figures. Measured on
attribute-blind pools (``tests/test_review_changes.py``, ``benchmarks/verdict_bench.py``),
the resampled spread of the mean gap and NDKL is wider than their spread over
new pools (fewer changes called beyond chance), and a match rate observed at 0
in a period does not move in its resamples: :func:`share_floor` puts the
binomial variance of a share of jobs under it.

**Test.** For figures :math:`x` (now) and :math:`y` (before) with resamples
:math:`x^*_b, y^*_b`, the difference :math:`d = x - y` is studentised by
:math:`se = \\sqrt{\\mathrm{var}(x^*) + \\mathrm{var}(y^*)}` (independent pools)
(at least the floor ``min_var``) and the family of all figures compared is corrected by the single-step max-T
of Westfall & Young / Romano & Wolf: with the null resamples
:math:`t^*_{b,i} = ((x^*_{b,i} - \\bar x^*_i) - (y^*_{\\pi(b),i} - \\bar y^*_i)) / se_i`
(:math:`\\pi` a seeded shuffle, so two periods resampled with the same seed are
not paired draw for draw),

.. math:: p_i = \\frac{1 + \\#\\{b : \\max_j |t^*_{b,j}| \\ge |t_i|\\}}{1 + B}.

The family-wise error rate over every figure of the family is then about
``alpha``; strongly correlated figures (the mean gap and its score are one
figure) cost nothing, unlike Holm's correction.

References
----------
.. [1] Owen, A. B. (2007). The pigeonhole bootstrap. *Ann. Appl. Stat.* 1(2), 386-411.
.. [2] Westfall, P. H. & Young, S. S. (1993). *Resampling-Based Multiple Testing*, Wiley, ch. 2.
.. [3] Romano, J. P. & Wolf, M. (2005). Exact and approximate stepdown methods for
       multiple hypothesis testing. *JASA* 100(469), 94-108.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..data.groups import GroupEncoding
from .diversity import gap as gap_fn
from .diversity import match, topk_shares
from .impact import impact_ratios
from .parity import dp_from_rates
from .ranking import ndkl

__all__ = ["ATTRIBUTE_FIGURES", "ChangeSpread", "change_replicates", "change_test", "share_floor"]

#: Figures of a whole attribute (one per k and attribute); ``impact_ratio`` is per rated group.
ATTRIBUTE_FIGURES = ("min_impact_ratio", "dp_difference", "match_rate", "mean_gap", "paper_score", "ndkl")
METHOD = "two-way bootstrap (jobs x candidates), rankings kept"


@dataclass
class ChangeSpread:
    """One period's figures and their resamples, as a review stores them.

    Attributes
    ----------
    keys : list of (k, attribute, figure, group)
        ``group`` is the group label for ``impact_ratio`` and ``""`` otherwise.
    values : ndarray (M,)
        The figures (all weights 1: the audit's own).
    replicates : ndarray (B, M)
        The figures of each resample.
    method : str
        How the resamples were drawn.
    meta : dict
        The seed and the number of jobs of the period.
    """

    keys: list[tuple[int, str, str, str]]
    values: np.ndarray
    replicates: np.ndarray
    method: str = METHOD
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, digits: int = 6) -> dict[str, Any]:
        """JSON-ready (NaN as None, the resamples rounded to ``digits`` decimals, the figures exact)."""
        def clean(a: np.ndarray, digits: int | None = None) -> list:
            a = np.asarray(a, dtype=float)
            r = (a if digits is None else np.round(a, digits)).astype(object)
            r[~np.isfinite(np.asarray(a, dtype=float))] = None
            return r.tolist()

        return {"method": self.method, "n_resamples": int(self.replicates.shape[0]), **self.meta,
                "keys": [list(k) for k in self.keys], "values": clean(self.values),
                "replicates": clean(self.replicates, digits)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ChangeSpread":
        """The inverse of :meth:`to_dict`; a malformed record raises ValueError."""
        try:
            keys = [(int(k), str(a), str(f), str(g)) for k, a, f, g in d["keys"]]
            values = np.array([np.nan if v is None else v for v in d["values"]], dtype=float)
            reps = np.array([[np.nan if v is None else v for v in row] for row in d["replicates"]], dtype=float)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a change spread record: {exc}") from None
        if values.shape != (len(keys),) or reps.ndim != 2 or reps.shape[1] != len(keys):
            raise ValueError("change spread record: keys, values and replicates do not line up")
        meta = {k: v for k, v in d.items() if k not in ("keys", "values", "replicates", "method", "n_resamples")}
        return cls(keys, values, reps, str(d.get("method", METHOD)), meta)


def _resampled_topk(slot_codes: np.ndarray, slot_w: np.ndarray, cum: np.ndarray, k: int, pad: int) -> np.ndarray:
    """Group codes of each job's top-k in a resampled pool: its ranking with every candidate repeated ``v_c``
    times (dropped at 0), cut at k; places past the end of the stored ranking get the code ``pad`` (unknown)."""
    slot_of = (cum[:, :, None] <= np.arange(k)[None, None, :]).sum(axis=1)  # (n_jobs, k) place -> slot
    inside = slot_of < slot_codes.shape[1]
    codes = np.take_along_axis(slot_codes, np.minimum(slot_of, slot_codes.shape[1] - 1), axis=1)
    return np.where(inside, codes, pad)


def _figures(C: np.ndarray, C1: np.ndarray, w: np.ndarray, cands: np.ndarray, codes_k: np.ndarray,
             enc: GroupEncoding, rated: np.ndarray, target: np.ndarray, tolerance: float) -> np.ndarray:
    """The :data:`ATTRIBUTE_FIGURES` then each known group's impact ratio: rates from the weighted selections
    ``C``, the top-k mixes from the resampled top-k ``codes_k`` (its counts ``C1``)."""
    nk = enc.n_known
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = (w @ C) / (w.sum() * cands)
    ir = impact_ratios(rates[:nk], rated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no rated group: all NaN
        dpd, _ = dp_from_rates(np.where(rated, rates[:nk], np.nan))
        min_ir = np.nanmin(ir) if np.isfinite(ir).any() else np.nan
    gaps = gap_fn(topk_shares(C1, nk), target)
    defined = ~np.isnan(gaps)
    wd = w * defined
    nd = wd.sum()
    job_ndkl = ndkl(codes_k, target)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = (wd @ np.where(defined, gaps, 0.0)) / nd
        match_rate = (wd @ match(gaps, tolerance)) / nd
        mean_ndkl = (wd @ np.where(defined & np.isfinite(job_ndkl), job_ndkl, 0.0)) / nd
    return np.concatenate([[min_ir, dpd, match_rate, mean_gap, -100.0 * mean_gap, mean_ndkl], ir])


def change_replicates(indices: np.ndarray, encodings: Sequence[GroupEncoding], rated: Mapping[str, np.ndarray],
                      targets: Mapping[str, np.ndarray], ks: Sequence[int], tolerance: float,
                      n_resamples: int, seed: int) -> ChangeSpread:
    """Every figure a review compares, and its two-way bootstrap resamples (see the module docstring).

    Parameters
    ----------
    indices : ndarray (n_jobs, k_max)
        Each job's top-k (the audit's rankings), best first.
    encodings : sequence of GroupEncoding
        The audited attributes.
    rated : mapping attribute -> ndarray (n_known,) of bool
        The groups that get an impact ratio.
    targets : mapping attribute -> ndarray (n_known,)
        Each attribute's target mix.
    ks : sequence of int
        The cut-offs (each at most ``k_max``).
    tolerance : float
        The match tolerance of the gap.
    n_resamples : int
        Number of resamples (``B``).
    seed : int
        Seed of the resampling.

    Returns
    -------
    ChangeSpread
    """
    n_jobs = indices.shape[0]
    hit, col = np.unique(indices, return_inverse=True)
    col = col.reshape(indices.shape)
    keys: list[tuple[int, str, str, str]] = []
    parts = []
    for enc in encodings:
        slot_codes = enc.codes[indices]
        onehot = (slot_codes[:, :, None] == np.arange(enc.n_codes)[None, None, :]).astype(float)
        rest = (enc.pool_counts - np.bincount(enc.codes[hit], minlength=enc.n_codes)).astype(float)
        for k in ks:
            keys += [(int(k), enc.attribute, f, "") for f in ATTRIBUTE_FIGURES]
            keys += [(int(k), enc.attribute, "impact_ratio", lbl) for lbl in enc.labels]
            parts.append((enc, onehot[:, :k], onehot, slot_codes, rest, int(k)))
    rng = np.random.default_rng([int(seed), 0xC4A6])
    out = np.empty((n_resamples + 1, len(keys)))
    for b in range(n_resamples + 1):
        first = b == 0  # the observed figures: every weight 1
        w = np.ones(n_jobs) if first else rng.poisson(1.0, n_jobs).astype(float)
        v = np.ones(len(hit)) if first else rng.poisson(1.0, len(hit)).astype(float)
        slot_w = v[col]
        cum = np.cumsum(slot_w, axis=1)
        row = []
        cands_of: dict[str, np.ndarray] = {}
        for enc, oh, oh_full, sc_full, rest, k in parts:
            if enc.attribute not in cands_of:
                extra = rest if first else rng.poisson(rest)
                cands_of[enc.attribute] = np.bincount(enc.codes[hit], weights=v, minlength=enc.n_codes) + extra
            C = np.einsum("jk,jkg->jg", slot_w[:, :k], oh)
            codes_k = _resampled_topk(sc_full, slot_w, cum, k, enc.n_codes)
            C1 = (codes_k[:, :, None] == np.arange(enc.n_codes)[None, None, :]).sum(axis=1).astype(float)
            row.append(_figures(C, C1, w, cands_of[enc.attribute], codes_k, enc, rated[enc.attribute],
                                targets[enc.attribute], tolerance))
        out[b] = np.concatenate(row)
    return ChangeSpread(keys=keys, values=out[0], replicates=out[1:], meta={"seed": int(seed), "n_jobs": int(n_jobs)})


def change_test(now: np.ndarray, now_reps: np.ndarray, before: np.ndarray, before_reps: np.ndarray,
                seed: int = 0, min_var: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Studentised differences and their max-T adjusted p-values over one family of figures.

    Parameters
    ----------
    now, before : ndarray (M,)
        The figures of the two periods, aligned.
    now_reps, before_reps : ndarray (B1, M), (B2, M)
        Their resamples; ``min(B1, B2)`` null draws are formed.
    seed : int
        Seed of the shuffle that pairs the two periods' resamples.
    min_var : ndarray (M,), optional
        A floor under the variance of each difference (NaN: none). A share of
        jobs observed at 0 in a period, say, does not move in its resamples;
        :func:`share_floor` gives the binomial floor of such a figure.

    Returns
    -------
    se, t, p : ndarray (M,)
        Standard error of the difference, ``(now - before) / se`` and the
        family-wise adjusted two-sided p-value. NaN where a figure is missing
        in either period or has no spread (``p`` is 1 where both periods agree
        exactly and neither moves, e.g. the best-selected group's ratio of 1).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        dev_now = now_reps - np.nanmean(now_reps, axis=0)
        dev_before = before_reps - np.nanmean(before_reps, axis=0)
        var = np.nanvar(dev_now, axis=0, ddof=1) + np.nanvar(dev_before, axis=0, ddof=1)
        if min_var is not None:
            var = np.where(np.isfinite(min_var), np.fmax(var, min_var), var)
        se = np.sqrt(var)
    d = now - before
    m = len(d)
    t, p = np.full(m, np.nan), np.full(m, np.nan)
    still = np.isfinite(d) & (se == 0) & (d == 0)
    p[still], t[still] = 1.0, 0.0
    judged = np.isfinite(d) & np.isfinite(se) & (se > 0)
    b = min(len(now_reps), len(before_reps))
    if not judged.any() or b == 0:
        return se, t, p
    t[judged] = d[judged] / se[judged]
    pair = np.random.default_rng([int(seed), 0x7E57]).permutation(len(before_reps))[:b]
    null = np.abs(dev_now[:b, judged] - dev_before[pair][:, judged]) / se[judged]
    max_t = np.max(np.nan_to_num(null, nan=0.0), axis=1)  # a resample where a figure is undefined: no evidence
    p[judged] = (1 + (max_t[None, :] >= np.abs(t[judged])[:, None] - 1e-12).sum(axis=1)) / (1 + b)
    return se, t, p


def share_floor(now: np.ndarray, before: np.ndarray, n_now: int, n_before: int) -> np.ndarray:
    """The binomial variance of a difference of two shares of jobs, pooled: ``p(1-p)(1/n1 + 1/n2)``.

    The jobs of a period count as its sample: the floor :func:`change_test`
    puts under a share's bootstrap variance, which is 0 when no job (or every
    job) of a period matches and its resamples cannot move.
    """
    pooled = (np.asarray(now, dtype=float) * n_now + np.asarray(before, dtype=float) * n_before) / (n_now + n_before)
    return pooled * (1 - pooled) * (1 / n_now + 1 / n_before)
