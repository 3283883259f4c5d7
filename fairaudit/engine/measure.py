"""Turn rankings into the audit's tables (pure: no model, no files).

``measure`` receives the top-k of every job (:class:`~fairaudit.recommenders.base.Rankings`)
and the candidates' group codes, and returns the tidy tables described in
:mod:`fairaudit.engine.result`. Every number in a report comes from here.

For each attribute and k, :func:`measure_cut` computes the arrays once (a
:class:`Cut`, with its bootstrap intervals from
:func:`fairaudit.engine.intervals.bootstrap_intervals`); one small builder per table
turns a cut into rows. Audits of per-job candidate sets build their cuts in
:mod:`fairaudit.engine.sets_measure` and share these builders.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .crosscheck import pooled_tests
from ..data.groups import GroupEncoding
from ..metrics.counts import group_counts
from ..metrics.ties import order_decided
from ..metrics.diversity import gap as gap_fn
from ..metrics.diversity import gap_score, match, target_distribution, topk_shares
from ..metrics.impact import four_fifths_flags, impact_ratios, is_below, rated_mask, reference_mask, selection_rates
from ..metrics.parity import demographic_parity, dp_from_rates
from ..metrics.ranking import exposure, ndkl, skew_at_k
from ..recommenders.base import Rankings
from ..metrics.twoway import twoway_intervals
from .intervals import BOOTSTRAPPED, bootstrap_intervals  # noqa: F401  (their earlier home)
from .permutation import NullDraws, null_draws
from .result import AuditConfig
from .verdicts import Chance, assess, summary_fields


@dataclass
class JobGaps:
    """Per-job gap of one attribute at one k (used by measure, drivers and the reward)."""

    counts: np.ndarray  # (n_jobs, n_codes)
    shares: np.ndarray  # (n_jobs, n_known)
    gaps: np.ndarray  # (n_jobs,)
    target: np.ndarray  # (n_known,)


def job_gaps(indices: np.ndarray, enc: GroupEncoding, target: np.ndarray) -> JobGaps:
    """Group mix and gap to ``target`` of every job's top-k (``indices`` is (n_jobs, k))."""
    counts = group_counts(indices, enc.codes, enc.n_codes)
    shares = topk_shares(counts, enc.n_known)
    return JobGaps(counts=counts, shares=shares, gaps=gap_fn(shares, target), target=target)


def resolve_target(config_target, enc: GroupEncoding) -> np.ndarray:
    """The target distribution over ``enc``'s known groups ("pool", "uniform" or given shares).

    A vector already resolved for ``enc`` (from :func:`resolve_targets`) is returned as it is,
    so the engine resolves a target once and passes the vector on.
    """
    if isinstance(config_target, np.ndarray):
        if config_target.shape != (enc.n_known,):
            raise ConfigError(f"a resolved target for {enc.attribute!r} must have one share per known group "
                              f"({enc.n_known}), got shape {config_target.shape}")
        return config_target
    return target_distribution(config_target, enc.attribute, enc.labels, enc.pool_counts[: enc.n_known])


def resolve_targets(config_target: Any, encodings: Sequence[GroupEncoding]) -> dict[str, np.ndarray]:
    """The target of each attribute, resolved once per audit: ``{attribute: shares over its known groups}``.

    :func:`fairaudit.audit` calls it before any model runs (so a bad target fails early) and
    passes the result to :func:`measure`, :func:`fairaudit.engine.counterfactuals.counterfactuals`
    and, through them, :class:`fairaudit.engine.gap.GapScorer`.
    """
    return {enc.attribute: resolve_target(config_target, enc) for enc in encodings}


@dataclass
class Cut:
    """One attribute at one k: the measured arrays every table of that cut is built from.

    Arrays over groups have one entry per code of ``enc`` (the unknown group
    last) unless noted; arrays over jobs have one entry per job.
    """

    k: int
    enc: GroupEncoding
    target: np.ndarray          # (n_known,)
    rated: np.ndarray           # (n_known,) bool: categories that get an impact ratio
    known_share: np.ndarray     # (n_known,) share of the known pool
    gaps: JobGaps
    selected: np.ndarray        # selections per group (pairs in a top-k)
    rates: np.ndarray           # selection rates
    impact: np.ndarray          # (n_known,) impact ratios
    scoring_selected: np.ndarray
    scoring_rates: np.ndarray
    scoring_impact: np.ndarray  # (n_known,)
    codes_topk: np.ndarray      # (n_jobs, k) group codes of each top-k
    job_ndkl: np.ndarray
    job_match: np.ndarray
    job_dpd: np.ndarray
    defined: np.ndarray         # jobs whose gap is defined
    by_order: np.ndarray        # places decided by row order (see order_decided)
    ci: dict[str, tuple[np.ndarray, np.ndarray]]
    chance: Chance | None = None  # permutation null, power and verdicts (None without permutations)
    pairs: np.ndarray | None = None  # (n_codes,) (job, candidate) pairs considered; None: n_jobs x pool
    individuals: np.ndarray | None = None  # (n_codes,) distinct candidates considered; None: the pool

    def assessed(self) -> np.ndarray:
        """(job, candidate) pairs considered per group code: the selection rates' denominators."""
        return self.enc.pool_counts * self.gaps.gaps.shape[0] if self.pairs is None else self.pairs

    def people(self) -> np.ndarray:
        """Distinct candidates per group code that some job considered."""
        return self.enc.pool_counts if self.individuals is None else self.individuals


def _scoring(rankings: Rankings, enc: GroupEncoding, rated: np.ndarray, n_jobs: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Selections, rates and impact ratios of the LL144 scoring rate (NaN without above-median counts)."""
    above = rankings.above_median.get(enc.attribute)
    if above is None:
        return np.full(enc.n_codes, np.nan), np.full(enc.n_codes, np.nan), np.full(enc.n_known, np.nan)
    s_sel = above.sum(axis=0)
    s_rates = selection_rates(s_sel, enc.pool_counts, n_jobs)
    return s_sel, s_rates, impact_ratios(s_rates[: enc.n_known], rated, reference_mask(enc.pool_counts, rated))


def measure_cut(rankings: Rankings, enc: GroupEncoding, target: np.ndarray, k: int, config: AuditConfig,
                draws: NullDraws | None = None, twoway: tuple[np.ndarray, ...] | None = None) -> Cut:
    """Every array the tables of ``enc.attribute`` at ``k`` need, with bootstrap intervals and, given the
    permutation ``draws``, the chance level and verdicts (:func:`fairaudit.engine.verdicts.assess`)."""
    n_jobs = rankings.indices.shape[0]
    pool = enc.pool_counts
    rated = rated_mask(pool, enc.n_known, config.min_share)
    idx = rankings.top(k)
    jg = job_gaps(idx, enc, target)
    sel = jg.counts.sum(axis=0)  # (n_codes,)
    rates = selection_rates(sel, pool, n_jobs)
    s_sel, s_rates, s_ir = _scoring(rankings, enc, rated, n_jobs)
    codes_topk = enc.codes[idx]
    job_ndkl = ndkl(codes_topk, target)
    job_match = match(jg.gaps, config.tolerance)
    pool_f = pool.astype(float)
    job_rates = np.where(pool_f[None, : enc.n_known] > 0,
                         jg.counts[:, : enc.n_known] / np.maximum(pool_f[None, : enc.n_known], 1), np.nan)
    job_dpd, _ = dp_from_rates(np.where(rated[None, :], job_rates, np.nan))
    ci = bootstrap_intervals(jg.counts, pool, rated, enc.n_known, jg.gaps, job_match, job_ndkl, rates, config)
    if twoway is not None:  # selection rates and impact ratios: jobs and candidates resampled (metrics.twoway)
        ci["rate"], ci["impact"] = twoway[:2], twoway[2:]
    impact = impact_ratios(rates[: enc.n_known], rated, reference_mask(pool, rated))
    defined = ~np.isnan(jg.gaps)
    chance = None if draws is None else assess(
        draws, impact=impact, rated=rated, pool=pool, n_jobs=n_jobs,
        match_rate=float(job_match[defined].mean()) if defined.any() else float("nan"),
        mean_gap=float(jg.gaps[defined].mean()) if defined.any() else float("nan"), alpha=config.alpha,
        four_fifths=config.four_fifths, power=config.power, judge_ratio=config.judge_ratio, seed=config.seed)
    return Cut(k=k, enc=enc, target=target, rated=rated,
               known_share=pool[: enc.n_known] / max(pool[: enc.n_known].sum(), 1), gaps=jg, selected=sel,
               rates=rates, impact=impact, scoring_selected=s_sel,
               scoring_rates=s_rates, scoring_impact=s_ir, codes_topk=codes_topk, job_ndkl=job_ndkl,
               job_match=job_match, job_dpd=job_dpd, defined=defined,
               by_order=order_decided(rankings.scores, k), ci=ci, chance=chance)


def _exclusion(cut: Cut, g: int, config: AuditConfig) -> str:
    """Why group ``g`` is not rated ("" when it is)."""
    if g == cut.enc.n_known:
        return "unknown category: counted, not rated"
    if not cut.rated[g]:
        return f"under {100 * config.min_share:g}% of the known pool" if cut.assessed()[g] else "no candidates"
    return ""


def impact_rows(cut: Cut, config: AuditConfig) -> list[dict[str, Any]]:
    """Rows of the ``impact`` table: one per group, the unknown group last (counted, not rated)."""
    enc, pool, pairs = cut.enc, cut.people(), cut.assessed()
    rate_lo, rate_hi = cut.ci["rate"]
    flags = four_fifths_flags(cut.impact, config.four_fifths)
    fisher_p, two_sd_z = pooled_tests(cut.selected, pairs, 1, cut.rated)
    rows = []
    for g, label in enumerate(enc.all_labels()):
        is_unknown = g == enc.n_known
        reason = _exclusion(cut, g, config)
        rows.append({
            "k": cut.k, "attribute": enc.attribute, "group": label,
            "n_pool": int(pool[g]),
            "pool_share": float(cut.known_share[g]) if not is_unknown else float("nan"),
            "selected": int(cut.selected[g]), "selection_rate": float(cut.rates[g]),
            "selection_rate_ci_low": float(rate_lo[g]), "selection_rate_ci_high": float(rate_hi[g]),
            "impact_ratio": float(cut.impact[g]) if not is_unknown else float("nan"),
            "scoring_selected": float(cut.scoring_selected[g]), "scoring_rate": float(cut.scoring_rates[g]),
            "scoring_impact_ratio": float(cut.scoring_impact[g]) if not is_unknown else float("nan"),
            "excluded": bool(is_unknown or not cut.rated[g]), "exclusion_reason": reason,
            "four_fifths_flag": bool(flags[g]) if not is_unknown else False,
            **group_chance(cut, g),
            # two-way bootstrap (metrics.twoway); after the schema's declared columns, so a JSON round trip keeps
            # the column order
            "impact_ratio_ci_low": float(cut.ci["impact"][0][g]) if "impact" in cut.ci and not is_unknown
            else float("nan"),
            "impact_ratio_ci_high": float(cut.ci["impact"][1][g]) if "impact" in cut.ci and not is_unknown
            else float("nan"),
            # approximate (pairs are not independent): see fairaudit.engine.crosscheck
            "fisher_p_value": float(fisher_p[g]) if g < enc.n_known else float("nan"),
            "two_sd_z": float(two_sd_z[g]) if g < enc.n_known else float("nan"),
            # the selection rate's denominator: (job, candidate) pairs considered (n_pool x jobs for the whole pool)
            "n_assessed": int(pairs[g]),
        })
    return rows


def group_chance(cut: Cut, g: int) -> dict[str, Any]:
    """Group ``g``'s p-value, null median / 5th percentile, power and verdict (None / NaN when not rated)."""
    if cut.chance is not None and g < cut.enc.n_known and cut.rated[g]:
        return cut.chance.group_fields(g)
    nan = float("nan")
    return {"p_value": nan, "verdict": None, "null_ir_median": nan, "null_ir_p05": nan, "power_at_0_6": nan,
            "min_detectable_ratio": nan, "p_value_raw": nan, "own_power_at_0_6": nan, "expected_selected": nan,
            "low_power_reason": ""}


def ranking_rows(cut: Cut) -> list[dict[str, Any]]:
    """Rows of the ``ranking`` table: skew@k of the pooled top-k share and exposure, per known group."""
    enc = cut.enc
    exp = exposure(cut.codes_topk, cut.assessed() / max(cut.codes_topk.shape[0], 1), enc.n_codes)
    exp_known = exp[: enc.n_known]
    # the one reference rule: the impact ratio's, over the pairs assessed (the pool x jobs without candidate sets)
    exp_ratio = impact_ratios(exp_known, cut.rated, reference_mask(cut.assessed(), cut.rated))
    pooled_share = _pooled_share(cut)
    skew = skew_at_k(pooled_share, cut.target)
    return [{"k": cut.k, "attribute": enc.attribute, "group": label,
             "target_share": float(cut.target[g]), "topk_share": float(pooled_share[g]),
             "skew_at_k": float(skew[g]), "exposure": float(exp_known[g]), "exposure_ratio": float(exp_ratio[g])}
            for g, label in enumerate(enc.labels)]


def _pooled_share(cut: Cut) -> np.ndarray:
    known = cut.selected[: cut.enc.n_known]
    return known / max(known.sum(), 1)


def parity_row(cut: Cut, config: AuditConfig) -> dict[str, Any]:
    """The ``parity`` row: demographic parity (fairlearn) over the rated groups, and the four-fifths rule."""
    enc, pool, rated = cut.enc, cut.people(), cut.rated
    rated_labels = [lbl for g, lbl in enumerate(enc.labels) if rated[g]]
    dpd, dpr = demographic_parity(cut.selected[: enc.n_known][rated], cut.assessed()[: enc.n_known][rated],
                                  rated_labels)
    dpd_lo, dpd_hi = cut.ci["dpd"]
    dpr_lo, dpr_hi = cut.ci["dpr"]
    min_ir = float(np.nanmin(cut.impact)) if np.isfinite(cut.impact).any() else float("nan")
    return {
        "k": cut.k, "attribute": enc.attribute, "source": enc.source,
        "dp_difference": dpd, "dp_difference_ci_low": float(dpd_lo), "dp_difference_ci_high": float(dpd_hi),
        "dp_ratio": dpr, "dp_ratio_ci_low": float(dpr_lo), "dp_ratio_ci_high": float(dpr_hi),
        "min_impact_ratio": min_ir,
        "four_fifths_pass": bool(np.isfinite(min_ir) and not is_below(min_ir, config.four_fifths)),
        "n_unknown": int(pool[enc.n_known]),
        **(cut.chance.attribute_fields() if cut.chance is not None else {"verdict": None}),
    }


def diversity_row(cut: Cut, config: AuditConfig) -> dict[str, Any]:
    """The ``diversity`` row: match rate, mean gap, the gap score (``paper_score``) and NDKL, with intervals."""
    enc, defined, gaps = cut.enc, cut.defined, cut.gaps.gaps
    mean_gap = float(gaps[defined].mean()) if defined.any() else float("nan")
    m_lo, m_hi = cut.ci["match"]
    g_lo, g_hi = cut.ci["gap"]
    n_lo, n_hi = cut.ci["ndkl"]
    binary = enc.n_known == 2
    return {
        "k": cut.k, "attribute": enc.attribute,
        "target": json.dumps(dict(zip(enc.labels, np.round(cut.target, 6).tolist()))),
        "tolerance": config.tolerance, "distance": "wasserstein-1" if binary else "total variation",
        "match_rate": float(cut.job_match[defined].mean()) if defined.any() else float("nan"),
        "match_rate_ci_low": float(m_lo), "match_rate_ci_high": float(m_hi),
        "mean_gap": mean_gap, "mean_gap_ci_low": float(g_lo), "mean_gap_ci_high": float(g_hi),
        "mean_wasserstein": mean_gap if binary else float("nan"),
        "paper_score": float(gap_score(np.array(mean_gap))),
        "paper_score_ci_low": float(gap_score(g_hi)), "paper_score_ci_high": float(gap_score(g_lo)),
        "ndkl": float(cut.job_ndkl[defined].mean()) if defined.any() else float("nan"),
        "ndkl_ci_low": float(n_lo), "ndkl_ci_high": float(n_hi),
        "n_jobs_undefined": int((~defined).sum()),
        **(cut.chance.diversity_fields() if cut.chance is not None else {}),
    }


def per_job_rows(cut: Cut, job_ids: Sequence[str], titles: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of the ``per_job`` table: each job's gap, score, match, parity, NDKL and top-k mix."""
    jg, enc = cut.gaps, cut.enc
    return [{
        "job_id": job_ids[j], "title": titles[j], "k": cut.k, "attribute": enc.attribute,
        "gap": float(jg.gaps[j]), "paper_score": float(gap_score(jg.gaps[j])),
        "match": bool(cut.job_match[j]) if cut.defined[j] else None,
        "dp_difference": float(cut.job_dpd[j]), "ndkl": float(cut.job_ndkl[j]),
        "order_decided": int(cut.by_order[j]),
        "mix": mix_json(enc.labels, jg.shares[j]),
    } for j in range(len(job_ids))]


def mix_json(labels: Sequence[str], shares: np.ndarray) -> str:
    """A mix as stored in the per-job table: JSON of group -> share to 6 decimals, undefined shares left out."""
    return json.dumps({lbl: round(float(shares[g]), 6) for g, lbl in enumerate(labels) if np.isfinite(shares[g])})


def measure(rankings: Rankings, encodings: Sequence[GroupEncoding], config: AuditConfig,
            job_ids: Sequence[str], titles: Sequence[str],
            targets: Mapping[str, np.ndarray], strata: np.ndarray | None = None
            ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Compute every table of an audit from rankings.

    ``targets``: each attribute's target, resolved once by the audit (:func:`resolve_targets`).
    With ``config.n_permutations > 0`` every cut gets its permutation null
    (:func:`fairaudit.engine.permutation.null_draws`, within ``strata`` codes when given)
    and its verdicts.

    Returns
    -------
    tables : dict of DataFrames (impact, parity, diversity, ranking, per_job)
    summary : dict with the headline figures and the verdict
    """
    rows: dict[str, list[dict[str, Any]]] = {"impact": [], "parity": [], "diversity": [], "ranking": [],
                                             "per_job": []}
    targets = {enc.attribute: resolve_target(config.target, enc) for enc in encodings}
    draws = null_draws(rankings.indices, encodings, config.ks, targets, config.tolerance, config.n_permutations,
                       config.seed, strata, config.n_permutations_gap) if config.n_permutations > 0 and encodings else {}
    rated = {e.attribute: rated_mask(e.pool_counts, e.n_known, config.min_share) for e in encodings}
    twoway = {k: twoway_intervals(rankings.top(k), encodings, rated, config.n_bootstrap, config.seed,
                                  config.confidence) for k in config.ks} if encodings else {}
    for enc in encodings:
        target = targets[enc.attribute]
        for k in config.ks:
            cut = measure_cut(rankings, enc, target, k, config, draws.get((enc.attribute, k)),
                              twoway[k][enc.attribute])
            rows["impact"] += impact_rows(cut, config)
            rows["ranking"] += ranking_rows(cut)
            rows["parity"].append(parity_row(cut, config))
            rows["diversity"].append(diversity_row(cut, config))
            rows["per_job"] += per_job_rows(cut, job_ids, titles)
    tables = {name: pd.DataFrame(r) for name, r in rows.items()}
    return tables, summarize(tables, config)


def summarize(tables: dict[str, pd.DataFrame], config: AuditConfig) -> dict:
    """Headline figures and the verdict (four-fifths rule and diversity-match goal)."""
    par, div = tables["parity"], tables["diversity"]
    k0 = config.ks[0]
    head = par[par["k"] == k0]
    dhead = div[(div["k"] == k0) & (div["attribute"] == config.gap_attribute)]
    min_ir = float(head["min_impact_ratio"].min()) if len(head) else float("nan")
    worst = head.loc[head["min_impact_ratio"].idxmin()] if len(head) and head["min_impact_ratio"].notna().any() else None
    match_rate = float(dhead["match_rate"].iloc[0]) if len(dhead) else float("nan")
    goal = getattr(config, "match_goal", None)
    verdict = {
        "k": k0,
        "four_fifths_pass": bool(par[par["k"] == k0]["four_fifths_pass"].all()),
        "min_impact_ratio": min_ir,
        "worst_attribute": None if worst is None else str(worst["attribute"]),
        "match_rate": match_rate,
        "match_goal": goal,
        "diversity_goal_met": None if goal is None else bool(np.isfinite(match_rate)
                                                             and not is_below(match_rate, goal)),
        "paper_score": float(dhead["paper_score"].iloc[0]) if len(dhead) else float("nan"),
        "flagged_groups": int(tables["impact"].query("k == @k0")["four_fifths_flag"].sum()),
    }
    verdict.update(summary_fields(head, dhead, getattr(config, "alpha", 0.05), goal))
    return {"verdict": verdict}
