"""Verdicts that separate chance from bias: every pass/fail with its chance level and power.

From the permutation null (:mod:`fairaudit.engine.permutation`) of one attribute at
one k this module derives, per group and for the attribute's lowest impact
ratio, the p-value, "what a recommender that ignores the attribute would show
here" (median and 5th percentile of the null), the power (the smallest
shortfall this pool can detect) and one verdict:

``breach, beyond chance``
    The four-fifths rule is broken (impact ratio < 0.8) *and* a recommender
    that ignores the attribute shows a ratio this low in at most ``alpha`` of
    the permutations (p <= alpha).
``shortfall, significant``
    The ratio is at or above 0.8 but p <= alpha: a difference chance rarely
    produces, which 29 CFR 1607.4(D) still counts as a possible adverse impact.
``breach, within chance``
    The rule is broken but p > alpha: a recommender that ignores the
    attribute shows a breach in X % of the permutations on this pool.
``too little power to judge``
    The group(s) that decide the verdict cannot detect a true impact ratio of
    0.6 with ``power`` (80 %) at ``alpha``: a pass or an unconfirmed breach
    there says nothing either way. Each such group says why: its own size (too
    few candidates and expected top-k places to tell even alone) or the
    attribute's test (this group alone could tell, but the lowest-ratio test's
    critical value at this k, set by chance in the other groups, is too low).
``pass``
    No rated group is below four-fifths or significantly short, and every
    rated group can detect a true impact ratio of ``judge_ratio`` (0.6).
``reference group`` (group rows only)
    The group with the highest selection rate (impact ratio 1): the others are
    compared with it and it has no test of itself.

One family of tests per attribute
---------------------------------
The attribute's verdict uses the test of its *lowest* impact ratio, so testing
many groups does not inflate false alarms (the minimum over groups is one
statistic with its own null). A group's p-value is adjusted for the number of
groups from the same permutations (Westfall & Young's single-step max-T, the
statistic being the impact ratio itself):

.. math:: p^{adj}_g = \\frac{1 + \\#\\{b : \\min_h IR^{(b)}_h \\le IR_g\\}}{1 + B}

so ``p_adj_g >= p_attribute`` for every group (the lowest ratio's adjusted
p-value *is* the attribute's p-value): a group row beyond chance implies the
attribute beyond chance, and the chance that any group row of an attribute is
beyond chance under the null is at most ``alpha``. The unadjusted p-value of
each group (its own null) is kept as ``p_value_raw`` for reading only.

References
----------
.. [1] 29 CFR 1607.4(D) (EEOC Uniform Guidelines): the four-fifths rule, and
       "smaller differences in selection rate may nevertheless constitute
       adverse impact, where they are significant in both statistical and
       practical terms"; conversely, differences from small numbers may not.
.. [2] Westfall, P. H. & Young, S. S. (1993). *Resampling-Based Multiple
       Testing*. Wiley, ch. 2 (single-step max-T adjusted p-values).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..metrics.impact import is_below, reference_groups, reference_mask
from .permutation import NullDraws, p_lower, p_upper

BEYOND, WITHIN, PASS = "breach, beyond chance", "breach, within chance", "pass"
SHORTFALL, TOO_SMALL = "shortfall, significant", "too little power to judge"
#: A group row's verdict for the highest-rate group: no test of itself.
REFERENCE = "reference group"
#: Most severe first: an attribute or an audit takes the most severe verdict of its parts. A significant
#: shortfall above 4/5 is confirmed evidence of a difference, so it ranks above an unconfirmed breach.
VERDICTS = (BEYOND, SHORTFALL, WITHIN, TOO_SMALL, PASS)
#: Verdicts that say "beyond chance" (p <= alpha).
SIGNIFICANT = (BEYOND, SHORTFALL)
#: Earlier words for a category (audit JSON schema version 2), read as today's.
RENAMED = {"too small to judge": TOO_SMALL}
#: Why a group has too little power (``Chance.low_power``).
LOW_POWER_SIZE, LOW_POWER_TEST = "group size", "attribute test"
#: The voluntary match-rate goal (not a legal test, so not the words of a breach).
GOAL_MET, GOAL_MISSED_BEYOND, GOAL_MISSED_WITHIN = ("goal met", "goal not met, beyond chance",
                                                    "goal not met, within chance")
#: True impact ratios at which power is simulated (the "smallest detectable shortfall" grid).
RATIO_GRID = tuple(np.round(np.arange(0.95, 0.0, -0.05), 2))
#: What p means, by its formula (``{n}``: the number of shuffles), in the words the terminal, the PDF, the LL144
#: summary and the README all print.
P_FORMULA = "p = (1 + number of shuffles whose lowest impact ratio is at or below the observed one) / (1 + {n})"
#: What the reference group is, in the words every output prints beside "reference group".
REFERENCE_NOTE = "highest selection rate; the others are compared with it, no test of itself"


def most_severe(verdicts: list[str]) -> str | None:
    """The most severe of ``verdicts`` in the order of :data:`VERDICTS` (None if none is known)."""
    known = [v for v in verdicts if v in VERDICTS]
    return min(known, key=VERDICTS.index) if known else None


def null_impact_ratios(selected: np.ndarray, pool: np.ndarray, n_jobs: int, rated: np.ndarray) -> np.ndarray:
    """Impact ratios of each null draw: (m, n_codes) selections -> (m, n_known), NaN for unrated groups.

    .. math:: IR^{(b)}_g = SR^{(b)}_g / \\max_{h\\ reference} SR^{(b)}_h

    with the observed audit's reference groups (:func:`~fairaudit.metrics.impact.reference_mask`).
    """
    n_known = len(rated)
    ref = reference_mask(pool, rated)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = selected[:, :n_known] / (pool[None, :n_known].astype(float) * n_jobs)
        rates = np.where(rated[None, :], rates, np.nan)
        top = np.nanmax(np.where(ref[None, :], rates, -np.inf), axis=1, keepdims=True) if ref.any() \
            else np.full((len(selected), 1), np.nan)
        return np.where(top > 0, rates / np.where(top > 0, top, 1), np.nan)


def lowest(ir: np.ndarray) -> np.ndarray:
    """The lowest impact ratio of each row of ``ir`` (m, n_known), NaN for a row without a rated group."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(ir).all(axis=1), np.nan, np.nanmin(np.where(np.isnan(ir), np.inf, ir), axis=1))


def critical_value(null_min: np.ndarray, alpha: float) -> float:
    """The largest lowest-ratio statistic is significant below this value.

    ``p_lower(null, v) <= alpha`` holds exactly when ``v`` is below the
    ``c+1``-th smallest null draw, ``c = floor(alpha (m + 1)) - 1``; ``-inf``
    when too few permutations can reach ``alpha``.
    """
    null = np.sort(null_min[~np.isnan(null_min)])
    c = int(np.floor(alpha * (len(null) + 1) + 1e-9)) - 1
    return float(null[c]) if 0 <= c < len(null) else float("-inf")


def family_p_values(null_ir: np.ndarray, impact: np.ndarray, rated: np.ndarray) -> np.ndarray:
    """Each rated group's p-value adjusted for the attribute's groups (single-step max-T, module docstring).

    ``p_lower`` of the group's impact ratio against the null of the *lowest*
    ratio, so the lowest group's adjusted p-value is the attribute's and no
    group's is smaller. NaN for unrated groups.
    """
    null_min = lowest(null_ir)
    return np.array([p_lower(null_min, impact[g]) if rated[g] else np.nan for g in range(len(rated))])


def power_by_thinning(selected: np.ndarray, pool: np.ndarray, n_jobs: int, rated: np.ndarray, crit: float,
                      four_fifths: float, seed: int, grid: tuple[float, ...] = RATIO_GRID,
                      crit_own: np.ndarray | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Power of the attribute's test against a shortfall in each group, by simulation.

    Each null draw is a recommender that ignores the attribute on this pool; thinning group
    g's selections there, ``S'_g ~ Binomial(S_g, r)``, gives a recommender whose
    true impact ratio for g is about ``r``. The power is the share of thinned draws
    whose lowest impact ratio is a breach beyond chance: ``min IR' < min(crit, 4/5)``.

    Parameters
    ----------
    selected : ndarray (m, n_codes), the null draws' selections per group code
    pool : ndarray (n_codes,), candidates per group code
    n_jobs : int, number of jobs
    rated : ndarray (n_known,) of bool, the groups with an impact ratio
    crit : float, the attribute test's critical value (:func:`critical_value`)
    four_fifths : float, the four-fifths threshold
    seed : int, seed of the thinning
    grid : tuple of float, the true impact ratios simulated
    crit_own : ndarray (n_known,), optional
        Each group's critical value for a test of its ratio alone (its own null).
        Given, the same thinned draws also give the power of that test,
        ``IR'_g < min(crit_own_g, 4/5)``: what the group's size alone allows.

    Returns
    -------
    ndarray (n_known, len(grid)), NaN rows for unrated groups; with ``crit_own``
    a pair (the attribute test's power, the group-alone power).
    """
    rng = np.random.default_rng([int(seed), 0xB0057])
    n_known = len(rated)
    out = np.full((n_known, len(grid)), np.nan)
    own = np.full((n_known, len(grid)), np.nan)
    limit = min(crit, four_fifths)
    for g in np.flatnonzero(rated):
        own_limit = min(crit_own[g], four_fifths) if crit_own is not None else -np.inf
        for i, r in enumerate(grid):
            thinned = selected.copy()
            thinned[:, g] = rng.binomial(selected[:, g], r)
            ir = null_impact_ratios(thinned, pool, n_jobs, rated)
            out[g, i] = float(np.mean(np.asarray(is_below(lowest(ir), limit)))) if np.isfinite(limit) else 0.0
            own[g, i] = float(np.mean(np.asarray(is_below(ir[:, g], own_limit)))) if np.isfinite(own_limit) else 0.0
    return out if crit_own is None else (out, own)


def min_detectable_ratio(power_row: np.ndarray, power: float, grid: tuple[float, ...] = RATIO_GRID) -> float:
    """The highest true impact ratio detected with at least ``power`` (NaN if none on the grid)."""
    ok = [r for r, p in zip(grid, power_row) if np.isfinite(p) and p >= power]
    return float(max(ok)) if ok else float("nan")


def group_verdict(ir: float, p: float, too_small: bool, alpha: float, four_fifths: float,
                  reference: bool | None = None) -> str | None:
    """One group's verdict from its impact ratio, its family-wise p-value and its power (None: unrated).

    The reference group (:func:`reference_groups`; by default, ratio 1) has no test of itself.
    Otherwise ``p <= alpha`` is beyond chance: a breach under 4/5, a significant
    shortfall at or above it. Not significant, a group without the power to
    detect a true ratio of 0.6 is "too little power to judge". A NaN ``p``
    (not assessed) is never significant. Pure: the same inputs give the same
    verdict wherever it is re-derived.
    """
    if not np.isfinite(ir):
        return None
    if (not is_below(ir, 1.0)) if reference is None else reference:
        return REFERENCE
    significant = bool(np.isfinite(p) and p <= alpha)
    if is_below(ir, four_fifths):
        return BEYOND if significant else TOO_SMALL if too_small else WITHIN
    return SHORTFALL if significant else TOO_SMALL if too_small else PASS


def attribute_verdict(obs_min: float, min_p: float, impact: np.ndarray, group_verdicts: list[str | None],
                      alpha: float, four_fifths: float) -> str:
    """The attribute's verdict from the test of its lowest impact ratio.

    A breach (lowest ratio < 4/5) with ``min_p <= alpha`` is beyond chance; a
    lowest ratio at or above 4/5 with ``min_p <= alpha`` is a significant
    shortfall. An unconfirmed breach is "too little power to judge" when every
    breaching group has too little power, else within chance. Otherwise it
    passes only when no rated group has too little power (the reference group
    has no test of itself and does not count).
    """
    if not np.isfinite(obs_min):
        return TOO_SMALL
    significant = bool(np.isfinite(min_p) and min_p <= alpha)
    if is_below(obs_min, four_fifths):
        if significant:
            return BEYOND
        breaching = [v for g, v in enumerate(group_verdicts) if v is not None and is_below(impact[g], four_fifths)]
        return TOO_SMALL if breaching and all(v == TOO_SMALL for v in breaching) else WITHIN
    if significant:
        return SHORTFALL
    return TOO_SMALL if TOO_SMALL in group_verdicts else PASS


def low_power_reason(kind: str, n_pool: int, expected_selected: float, n_jobs: int, crit: float,
                     own_power: float, judge_ratio: float) -> str:
    """Why a group has too little power, in one sentence ("" when it has enough).

    Parameters
    ----------
    kind : str, :data:`LOW_POWER_SIZE`, :data:`LOW_POWER_TEST` or ""
    n_pool : int, the group's candidates
    expected_selected : float, its expected top-k places over all jobs under the null
    n_jobs : int, the number of jobs (for places per job)
    crit : float, the attribute test's critical value of the lowest ratio
    own_power : float, the power of a test of this group alone against ``judge_ratio``
    judge_ratio : float, the true impact ratio the power is judged at
    """
    if kind == LOW_POWER_SIZE:
        return (f"too few to tell: {n_pool:,} candidates, about {expected_selected / max(n_jobs, 1):.1f} expected "
                f"top-k places per job ({expected_selected:,.0f} in all)")
    if kind == LOW_POWER_TEST:
        return (f"the attribute's test has little power at this k: it needs a lowest ratio under {crit:.2f}, "
                "a level set by chance in the other groups; tested alone this group would detect "
                f"{judge_ratio:g} (power {100 * own_power:.0f}%)")
    return ""


@dataclass
class Chance:
    """Chance level, power and verdicts of one attribute at one k.

    Per group (arrays over the known groups, NaN / None for unrated ones): ``p``
    (family-wise adjusted; NaN for the reference group), ``p_raw`` (the group's
    own null, for reading), ``null_median``, ``null_p05``, ``power_at_judge``
    (the attribute test's power against a true ratio of ``judge_ratio``),
    ``own_power`` (a test of the group alone), ``min_detectable``,
    ``expected_selected`` (null mean of its top-k places), ``low_power`` (why
    power is short: :data:`LOW_POWER_SIZE`, :data:`LOW_POWER_TEST` or "") and
    ``verdict``. For the lowest ratio: ``min_*`` fields, ``critical`` and
    ``verdict_attribute``. Diversity: ``match_*`` and ``gap_*``.
    """

    p: np.ndarray
    p_raw: np.ndarray
    null_median: np.ndarray
    null_p05: np.ndarray
    power_at_judge: np.ndarray
    own_power: np.ndarray
    min_detectable: np.ndarray
    expected_selected: np.ndarray
    too_small: np.ndarray
    low_power: list[str]
    verdict: list[str | None]
    min_p: float
    min_null_median: float
    min_null_p05: float
    critical: float
    null_breach_share: float
    verdict_attribute: str | None
    match_p: float
    match_null_median: float
    match_null_p05: float
    gap_p: float
    gap_null_median: float
    gap_null_p95: float
    n_permutations: int
    pool: np.ndarray
    n_jobs: int
    judge_ratio: float

    def attribute_fields(self) -> dict[str, Any]:
        """The columns this adds to the ``parity`` row."""
        return {"verdict": self.verdict_attribute, "p_value": self.min_p, "null_min_ir_median": self.min_null_median,
                "null_min_ir_p05": self.min_null_p05, "null_breach_share": self.null_breach_share,
                "critical_ratio": self.critical if np.isfinite(self.critical) else float("nan"),
                "n_permutations": self.n_permutations,
                "too_small_groups": int(np.nansum(self.too_small.astype(float)))}

    def diversity_fields(self) -> dict[str, Any]:
        """The columns this adds to the ``diversity`` row."""
        return {"match_rate_p_value": self.match_p, "match_rate_null_median": self.match_null_median,
                "match_rate_null_p05": self.match_null_p05, "mean_gap_p_value": self.gap_p,
                "mean_gap_null_median": self.gap_null_median, "mean_gap_null_p95": self.gap_null_p95}

    def group_fields(self, g: int) -> dict[str, Any]:
        """The columns this adds to group ``g``'s ``impact`` row (g < n_known)."""
        reason = low_power_reason(self.low_power[g], int(self.pool[g]), float(self.expected_selected[g]),
                                  self.n_jobs, self.critical, float(self.own_power[g]), self.judge_ratio) \
            if self.verdict[g] == TOO_SMALL else ""
        return {"p_value": float(self.p[g]), "verdict": self.verdict[g], "null_ir_median": float(self.null_median[g]),
                "null_ir_p05": float(self.null_p05[g]), "power_at_0_6": float(self.power_at_judge[g]),
                "min_detectable_ratio": float(self.min_detectable[g]), "p_value_raw": float(self.p_raw[g]),
                "own_power_at_0_6": float(self.own_power[g]), "expected_selected": float(self.expected_selected[g]),
                "low_power_reason": reason}


def _quantile(x: np.ndarray, q: float) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(np.quantile(x, q)) if len(x) else float("nan")


def assess(draws: NullDraws, *, impact: np.ndarray, rated: np.ndarray, pool: np.ndarray, n_jobs: int,
           match_rate: float, mean_gap: float, alpha: float, four_fifths: float, power: float,
           judge_ratio: float, seed: int) -> Chance:
    """Compare one cut's observed figures with its permutation null (see the module docstring)."""
    null_ir = null_impact_ratios(draws.selected, pool, n_jobs, rated)
    n_known = len(rated)
    null_min = lowest(null_ir)
    reference = reference_groups(impact, rated, pool)
    p = np.where(reference, np.nan, family_p_values(null_ir, impact, rated))  # no test of the reference itself
    p_raw = np.array([p_lower(null_ir[:, g], impact[g]) if rated[g] and not reference[g] else np.nan
                      for g in range(n_known)])
    obs_min = float(np.nanmin(impact)) if np.isfinite(impact).any() else float("nan")
    min_p = p_lower(null_min, obs_min)
    crit = critical_value(null_min, alpha)
    crit_own = np.array([critical_value(null_ir[:, g], alpha) if rated[g] else -np.inf for g in range(n_known)])
    pw, own = power_by_thinning(draws.selected, pool, n_jobs, rated, crit, four_fifths, seed, crit_own=crit_own)
    j = int(np.argmin(np.abs(np.array(RATIO_GRID) - judge_ratio)))
    at_judge, own_at_judge = pw[:, j], own[:, j]
    too_small = np.where(rated, ~(at_judge >= power), False)
    low = [("" if not too_small[g] else LOW_POWER_TEST if own_at_judge[g] >= power else LOW_POWER_SIZE)
           for g in range(n_known)]
    verdicts = [group_verdict(impact[g], p[g], bool(too_small[g]), alpha, four_fifths, bool(reference[g]))
                if rated[g] else None
                for g in range(n_known)]
    return Chance(
        p=p, p_raw=p_raw, null_median=np.array([_quantile(null_ir[:, g], 0.5) for g in range(n_known)]),
        null_p05=np.array([_quantile(null_ir[:, g], 0.05) for g in range(n_known)]),
        power_at_judge=at_judge, own_power=own_at_judge,
        min_detectable=np.array([min_detectable_ratio(pw[g], power) for g in range(n_known)]),
        expected_selected=draws.selected[:, :n_known].mean(axis=0) if len(draws.selected) else np.full(n_known, np.nan),
        too_small=too_small, low_power=low, verdict=verdicts, min_p=min_p, min_null_median=_quantile(null_min, 0.5),
        min_null_p05=_quantile(null_min, 0.05), critical=crit,
        null_breach_share=float(np.mean(np.asarray(is_below(null_min[~np.isnan(null_min)], four_fifths))))
        if np.isfinite(null_min).any() else float("nan"),
        verdict_attribute=attribute_verdict(obs_min, min_p, impact, verdicts, alpha, four_fifths),
        match_p=p_lower(draws.match_rate, match_rate), match_null_median=_quantile(draws.match_rate, 0.5),
        match_null_p05=_quantile(draws.match_rate, 0.05), gap_p=p_upper(draws.mean_gap, mean_gap),
        gap_null_median=_quantile(draws.mean_gap, 0.5), gap_null_p95=_quantile(draws.mean_gap, 0.95),
        n_permutations=int(len(draws.selected)), pool=np.asarray(pool), n_jobs=int(n_jobs), judge_ratio=judge_ratio)


def describe(verdict: str | None, p: float | None = None, breach_share: float | None = None) -> str:
    """A verdict in words, with its p-value and, for a breach within chance, how often chance shows it."""
    if verdict is None:
        return "not rated"
    if verdict == REFERENCE:
        return f"{REFERENCE} ({REFERENCE_NOTE})"
    text = verdict
    if verdict == WITHIN and breach_share is not None and np.isfinite(breach_share):
        text += (f" (a recommender that ignores the attribute shows it in {100 * breach_share:.0f}% "
                 "of permutations)")
    if verdict == SHORTFALL:
        text += " (impact ratio at or above 4/5, but a difference chance rarely produces: 29 CFR 1607.4(D))"
    if p is not None and np.isfinite(p):
        text += f", p = {p:.3f}"
    return text


def goal_verdict(match_rate: float, goal: float | None, p: float, alpha: float) -> str | None:
    """The voluntary match-rate goal: met, or not met beyond / within chance (None: no goal or no rate).

    A miss is beyond chance when the match rate's permutation p-value is at most
    ``alpha``. The goal is the user's own target, not a legal test, so its words
    are not those of a breach.
    """
    if goal is None or match_rate is None or not np.isfinite(match_rate):
        return None
    if not is_below(match_rate, goal):
        return GOAL_MET
    return GOAL_MISSED_BEYOND if np.isfinite(p) and p <= alpha else GOAL_MISSED_WITHIN


def summary_fields(parity_head: Any, diversity_head: Any, alpha: float, match_goal: float | None) -> dict[str, Any]:
    """The verdict categories of the headline k for ``summary["verdict"]``.

    ``parity_head`` / ``diversity_head``: the ``parity`` and ``diversity`` rows of
    the headline k (DataFrames). Returns ``category`` (the most severe attribute
    verdict), ``attributes`` (per attribute: verdict, p-value, lowest ratio, the
    null's median and 5th percentile, the share of permutations that breach, and the
    verdict in words) and ``diversity_category`` (the match-rate goal,
    :func:`goal_verdict`).
    """
    if "verdict" not in parity_head or parity_head["verdict"].isna().all():
        return {"category": None, "attributes": {}, "diversity_category": None}
    attrs = {}
    for _, r in parity_head.iterrows():
        share = r.get("null_breach_share")
        attrs[str(r["attribute"])] = {
            "verdict": r["verdict"], "p_value": r.get("p_value"), "min_impact_ratio": r.get("min_impact_ratio"),
            "null_min_ir_median": r.get("null_min_ir_median"), "null_min_ir_p05": r.get("null_min_ir_p05"),
            "null_breach_share": share, "text": describe(r["verdict"], r.get("p_value"), share)}
    div_cat = None
    if match_goal is not None and len(diversity_head) and "match_rate_p_value" in diversity_head:
        d = diversity_head.iloc[0]
        div_cat = goal_verdict(d["match_rate"], match_goal, d["match_rate_p_value"], alpha)
    return {"category": most_severe([a["verdict"] for a in attrs.values()]), "attributes": attrs,
            "diversity_category": div_cat}

