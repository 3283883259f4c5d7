"""Verdicts that separate chance from bias: every pass/fail with its chance level and power.

From the permutation null (:mod:`fairaudit.engine.permutation`) of one attribute at
one k this module derives, per group and for the attribute's lowest impact
ratio, the p-value, "what a recommender that ignores the attribute would show
here" (median and 5th percentile of the null), the power (the smallest
shortfall this pool can detect) and one of four verdicts:

``breach, beyond chance``
    The four-fifths rule is broken (lowest impact ratio < 0.8) *and* a
    recommender that ignores the attribute shows a ratio this low in at most
    ``alpha`` of the permutations (p <= alpha).
``breach, within chance``
    The rule is broken but p > alpha: a recommender that ignores the
    attribute shows a breach in X % of the permutations on this pool.
``pass``
    No rated group is below four-fifths, and every rated group is large
    enough to detect a true impact ratio of ``judge_ratio`` (0.6).
``too small to judge``
    The group(s) that decide the verdict cannot detect a true impact ratio of
    0.6 with ``power`` (80 %) at ``alpha``: a pass or an unconfirmed breach
    there says nothing either way.

The attribute's verdict uses the test of its *lowest* impact ratio, so testing
many groups does not inflate false alarms (the minimum over groups is one
statistic with its own null). Per-group p-values are shown for reading, not
for the verdict.

References
----------
.. [1] 29 CFR 1607.4(D) (EEOC Uniform Guidelines): the four-fifths rule, and
       "smaller differences in selection rate may nevertheless constitute
       adverse impact, where they are significant in both statistical and
       practical terms"; conversely, differences from small numbers may not.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..metrics.impact import is_below, reference_mask
from .permutation import NullDraws, p_lower, p_upper

BEYOND, WITHIN, PASS, TOO_SMALL = "breach, beyond chance", "breach, within chance", "pass", "too small to judge"
#: Most severe first: an attribute or an audit takes the most severe verdict of its parts.
VERDICTS = (BEYOND, WITHIN, TOO_SMALL, PASS)
#: True impact ratios at which power is simulated (the "smallest detectable shortfall" grid).
RATIO_GRID = tuple(np.round(np.arange(0.95, 0.0, -0.05), 2))


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


def critical_value(null_min: np.ndarray, alpha: float) -> float:
    """The largest lowest-ratio statistic is significant below this value.

    ``p_lower(null, v) <= alpha`` holds exactly when ``v`` is below the
    ``c+1``-th smallest null draw, ``c = floor(alpha (m + 1)) - 1``; ``-inf``
    when too few permutations can reach ``alpha``.
    """
    null = np.sort(null_min[~np.isnan(null_min)])
    c = int(np.floor(alpha * (len(null) + 1) + 1e-9)) - 1
    return float(null[c]) if 0 <= c < len(null) else float("-inf")


def power_by_thinning(selected: np.ndarray, pool: np.ndarray, n_jobs: int, rated: np.ndarray, crit: float,
                      four_fifths: float, seed: int, grid: tuple[float, ...] = RATIO_GRID) -> np.ndarray:
    """Power of the attribute's test against a shortfall in each group, by simulation.

    Each null draw is a recommender that ignores the attribute on this pool; thinning group
    g's selections there, ``S'_g ~ Binomial(S_g, r)``, gives a recommender whose
    true impact ratio for g is about ``r``. The power is the share of thinned draws
    whose lowest impact ratio is a breach beyond chance: ``min IR' < min(crit, 4/5)``.

    Returns
    -------
    ndarray (n_known, len(grid)); NaN rows for unrated groups.
    """
    rng = np.random.default_rng([int(seed), 0xB0057])
    n_known = len(rated)
    out = np.full((n_known, len(grid)), np.nan)
    limit = min(crit, four_fifths)
    for g in np.flatnonzero(rated):
        for i, r in enumerate(grid):
            thinned = selected.copy()
            thinned[:, g] = rng.binomial(selected[:, g], r)
            ir = null_impact_ratios(thinned, pool, n_jobs, rated)
            with np.errstate(invalid="ignore"):
                low = np.nanmin(np.where(np.isnan(ir), np.inf, ir), axis=1)
            out[g, i] = float(np.mean(np.asarray(is_below(low, limit)))) if np.isfinite(limit) else 0.0
    return out


def min_detectable_ratio(power_row: np.ndarray, power: float, grid: tuple[float, ...] = RATIO_GRID) -> float:
    """The highest true impact ratio detected with at least ``power`` (NaN if none on the grid)."""
    ok = [r for r, p in zip(grid, power_row) if np.isfinite(p) and p >= power]
    return float(max(ok)) if ok else float("nan")


def group_verdict(ir: float, p: float, too_small: bool, alpha: float, four_fifths: float) -> str | None:
    """One group's verdict (None for an unrated group)."""
    if not np.isfinite(ir):
        return None
    if is_below(ir, four_fifths):
        if p <= alpha:
            return BEYOND
        return TOO_SMALL if too_small else WITHIN
    return TOO_SMALL if too_small else PASS


@dataclass
class Chance:
    """Chance level, power and verdicts of one attribute at one k.

    Per group (arrays over the known groups, NaN / None for unrated ones): ``p``,
    ``null_median``, ``null_p05``, ``power_at_judge`` (power against a true ratio of
    ``judge_ratio``), ``min_detectable`` and ``verdict``. For the lowest ratio:
    ``min_*`` fields and ``verdict_attribute``. Diversity: ``match_*`` and ``gap_*``.
    """

    p: np.ndarray
    null_median: np.ndarray
    null_p05: np.ndarray
    power_at_judge: np.ndarray
    min_detectable: np.ndarray
    too_small: np.ndarray
    verdict: list[str | None]
    min_p: float
    min_null_median: float
    min_null_p05: float
    null_breach_share: float
    verdict_attribute: str | None
    match_p: float
    match_null_median: float
    match_null_p05: float
    gap_p: float
    gap_null_median: float
    gap_null_p95: float
    n_permutations: int

    def attribute_fields(self) -> dict[str, Any]:
        """The columns this adds to the ``parity`` row."""
        return {"verdict": self.verdict_attribute, "p_value": self.min_p, "null_min_ir_median": self.min_null_median,
                "null_min_ir_p05": self.min_null_p05, "null_breach_share": self.null_breach_share,
                "n_permutations": self.n_permutations,
                "too_small_groups": int(np.nansum(self.too_small.astype(float)))}

    def diversity_fields(self) -> dict[str, Any]:
        """The columns this adds to the ``diversity`` row."""
        return {"match_rate_p_value": self.match_p, "match_rate_null_median": self.match_null_median,
                "match_rate_null_p05": self.match_null_p05, "mean_gap_p_value": self.gap_p,
                "mean_gap_null_median": self.gap_null_median, "mean_gap_null_p95": self.gap_null_p95}

    def group_fields(self, g: int) -> dict[str, Any]:
        """The columns this adds to group ``g``'s ``impact`` row (g < n_known)."""
        return {"p_value": float(self.p[g]), "verdict": self.verdict[g], "null_ir_median": float(self.null_median[g]),
                "null_ir_p05": float(self.null_p05[g]), "power_at_0_6": float(self.power_at_judge[g]),
                "min_detectable_ratio": float(self.min_detectable[g])}


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
    with np.errstate(invalid="ignore"):
        null_min = np.where(np.isnan(null_ir).all(axis=1), np.nan,
                            np.nanmin(np.where(np.isnan(null_ir), np.inf, null_ir), axis=1))
    p = np.array([p_lower(null_ir[:, g], impact[g]) if rated[g] else np.nan for g in range(n_known)])
    obs_min = float(np.nanmin(impact)) if np.isfinite(impact).any() else float("nan")
    min_p = p_lower(null_min, obs_min)
    crit = critical_value(null_min, alpha)
    pw = power_by_thinning(draws.selected, pool, n_jobs, rated, crit, four_fifths, seed)
    at_judge = pw[:, int(np.argmin(np.abs(np.array(RATIO_GRID) - judge_ratio)))]
    too_small = np.where(rated, ~(at_judge >= power), False)
    verdicts = [group_verdict(impact[g], p[g], bool(too_small[g]), alpha, four_fifths) if rated[g] else None
                for g in range(n_known)]
    return Chance(
        p=p, null_median=np.array([_quantile(null_ir[:, g], 0.5) for g in range(n_known)]),
        null_p05=np.array([_quantile(null_ir[:, g], 0.05) for g in range(n_known)]),
        power_at_judge=at_judge, min_detectable=np.array([min_detectable_ratio(pw[g], power) for g in range(n_known)]),
        too_small=too_small, verdict=verdicts, min_p=min_p, min_null_median=_quantile(null_min, 0.5),
        min_null_p05=_quantile(null_min, 0.05),
        null_breach_share=float(np.mean(np.asarray(is_below(null_min[~np.isnan(null_min)], four_fifths))))
        if np.isfinite(null_min).any() else float("nan"),
        verdict_attribute=attribute_verdict(obs_min, min_p, impact, verdicts, alpha, four_fifths),
        match_p=p_lower(draws.match_rate, match_rate), match_null_median=_quantile(draws.match_rate, 0.5),
        match_null_p05=_quantile(draws.match_rate, 0.05), gap_p=p_upper(draws.mean_gap, mean_gap),
        gap_null_median=_quantile(draws.mean_gap, 0.5), gap_null_p95=_quantile(draws.mean_gap, 0.95),
        n_permutations=int(len(draws.selected)))


def attribute_verdict(obs_min: float, min_p: float, impact: np.ndarray, group_verdicts: list[str | None],
                      alpha: float, four_fifths: float) -> str:
    """The attribute's verdict from the test of its lowest impact ratio.

    A breach (lowest ratio < 4/5) with ``min_p <= alpha`` is beyond chance. An
    unconfirmed breach is "too small to judge" when every breaching group is
    too small, else within chance. Without a breach it passes only when no
    rated group is too small to judge.
    """
    if not np.isfinite(obs_min):
        return TOO_SMALL
    rated = [v for v in group_verdicts if v is not None]
    if is_below(obs_min, four_fifths):
        if min_p <= alpha:
            return BEYOND
        breaching = [v for g, v in enumerate(group_verdicts) if v is not None and is_below(impact[g], four_fifths)]
        return TOO_SMALL if breaching and all(v == TOO_SMALL for v in breaching) else WITHIN
    return TOO_SMALL if TOO_SMALL in rated else PASS


def describe(verdict: str | None, p: float | None = None, breach_share: float | None = None) -> str:
    """A verdict in words, with its p-value and, for a breach within chance, how often chance shows it."""
    if verdict is None:
        return "not rated"
    text = verdict
    if verdict == WITHIN and breach_share is not None and np.isfinite(breach_share):
        text += (f" (a recommender that ignores the attribute shows it in {100 * breach_share:.0f}% "
                 "of permutations)")
    if p is not None and np.isfinite(p):
        text += f", p = {p:.3f}"
    return text


def summary_fields(parity_head: Any, diversity_head: Any, alpha: float, match_goal: float | None) -> dict[str, Any]:
    """The verdict categories of the headline k for ``summary["verdict"]``.

    ``parity_head`` / ``diversity_head``: the ``parity`` and ``diversity`` rows of
    the headline k (DataFrames). Returns ``category`` (the most severe attribute
    verdict), ``attributes`` (per attribute: verdict, p-value, lowest ratio, the
    null's median and 5th percentile, the share of permutations that breach, and the
    verdict in words) and ``diversity_category`` (the match-rate goal: a miss is
    beyond chance when the match rate's p-value is at most ``alpha``).
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
        if np.isfinite(d["match_rate"]):
            missed = bool(is_below(d["match_rate"], match_goal))
            div_cat = (BEYOND if d["match_rate_p_value"] <= alpha else WITHIN) if missed else PASS
    return {"category": most_severe([a["verdict"] for a in attrs.values()]), "attributes": attrs,
            "diversity_category": div_cat}


def gap_causes(diversity: Any, decomposition: dict[str, Any] | None, k: int, alpha: float) -> dict[str, dict]:
    """Per attribute: does the job text, the identity cues in profiles, or neither explain the gap at ``k``?

    * **neither**: the mean gap is within chance (its permutation p-value > ``alpha``);
    * **identity cues in profiles**: masking names, titles and pronouns in the
      profiles (the identity-blind decomposition) removes a significant part of
      the gap (interval above 0 for a sampled decomposition, positive for the
      exact one) and at least half of it;
    * **job text and identity cues**: a significant identity part, under half of the gap;
    * **job text**: the gap is beyond chance and stays when identity cues are
      masked: the ranking follows what the job text asks for in the profiles.

    Parameters
    ----------
    diversity : DataFrame, the audit's ``diversity`` table (with the null columns)
    decomposition : the audit's ``summary["decomposition"]`` (``by_attribute``), or None
    """
    out: dict[str, dict] = {}
    rows = diversity[diversity["k"] == k] if "mean_gap_p_value" in diversity else diversity.iloc[0:0]
    by_attr = (decomposition or {}).get("by_attribute") or {}
    for r in rows.to_dict("records"):
        attr, p = str(r["attribute"]), r.get("mean_gap_p_value")
        base = {"k": k, "mean_gap": r["mean_gap"], "p_value": p, "chance_median": r.get("mean_gap_null_median")}
        if p is None or not np.isfinite(p):
            out[attr] = {**base, "cause": "not assessed", "reason": "no permutation null in this audit"}
            continue
        if p > alpha:
            out[attr] = {**base, "cause": "neither", "reason": (
                f"the mean gap {r['mean_gap']:.3f} is within chance (a recommender that ignores the attribute "
                f"shows {r.get('mean_gap_null_median', float('nan')):.3f}; p = {p:.3f})")}
            continue
        d = by_attr.get(attr)
        if not d:
            out[attr] = {**base, "cause": "not measured", "reason": "beyond chance; no identity-blind decomposition"}
            continue
        part, gap = d["mean_identity_part"], d["mean_gap"]
        low = d.get("identity_part_ci_low")
        significant = (low > 0) if low is not None and np.isfinite(low) else part > 0
        share = part / gap if gap > 0 else 0.0
        cause = ("identity cues in profiles" if significant and share >= 0.5 else
                 "job text and identity cues" if significant else "job text")
        out[attr] = {**base, "cause": cause, "identity_share": share, "reason": (
            f"gap beyond chance (p = {p:.3f}); masking identity cues in profiles changes it by "
            f"{part:+.3f} of {gap:.3f} ({100 * share:.0f}%{', significant' if significant else ', not significant'})")}
    return out
