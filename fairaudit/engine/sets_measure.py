"""Measure a ranking of per-job candidate sets (:class:`~fairaudit.engine.candidate_sets.SetRanking`).

The same tables as :func:`fairaudit.engine.measure.measure`, with every count
taken over the (job, candidate) pairs actually considered:

* **selection rate** of group g: selected pairs of g / pairs of g considered,
  :math:`SR_g = \\sum_j |top_k(j) \\cap g| / \\sum_j |C_j \\cap g|` (``C_j``: job
  j's candidates; a job with fewer than k candidates selects all of them). With
  every candidate in every set this is the whole-pool rate;
* **scoring rate**: pairs scoring above their job's median score over ``C_j``;
* **target** of the per-job gap: each job's own candidates' known mix
  (``target="own"``, the default with candidate sets: a "qualified pool"
  target), or the whole candidates table's mix (``"pool"``), ``"uniform"`` or
  given shares. Pooled figures (skew@k) use the mix of all considered pairs;
* **chance level**: the group labels permuted over *people*, each person's
  label kept in all of their jobs, within exchangeability blocks of people
  considered for the same jobs (:mod:`fairaudit.engine.person_null`); where no
  candidate is in more than one job's set, the same null is drawn directly as
  each job's multivariate hypergeometric counts
  (:func:`fairaudit.engine.permutation.set_null_draws`). ``summary["chance_level"]``
  says which, and the blocks;
* **intervals**: the job bootstrap, with each resample's own denominators. The
  two-way (jobs x candidates) bootstrap assumes every job ranks every candidate
  and is not used; ``impact_ratio_ci_*`` stay empty.

``k = 0`` (:data:`fairaudit.options.RECORDED_SELECTION`) measures the log's
``selected`` flags instead of a top-k: the same rates, ratios, verdicts and
gaps, without the measures of places (NDKL, exposure).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..data.groups import GroupEncoding
from ..errors import ConfigError
from ..metrics.diversity import gap as gap_fn
from ..metrics.diversity import match, topk_shares
from ..metrics.impact import impact_ratios, rated_mask, reference_mask, selection_rates
from ..metrics.parity import dp_from_rates
from ..metrics.ranking import ndkl
from ..metrics.ties import order_decided
from ..options import RECORDED_SELECTION
from .candidate_sets import SetRanking
from .intervals import bootstrap_intervals
from .measure import (Cut, JobGaps, diversity_row, impact_rows, mix_json, parity_row, per_job_rows, ranking_rows,
                      resolve_target, summarize)
from .permutation import NullDraws, set_null_draws
from .person_null import PER_JOB, PERSON, choose_null, exchangeability_blocks, person_null_draws
from .result import AuditConfig
from .verdicts import assess

#: The target of the per-job gaps with candidate sets: each job's own candidates' mix.
OWN = "own"
#: The per-job column holding that mix (JSON, as ``mix``), so the gaps can be re-derived from the file
#: (:mod:`fairaudit.engine.consistency`).
OWN_MIX = "own_mix"


def own_shares(considered: np.ndarray, n_known: int) -> np.ndarray:
    """Each job's known candidates' mix, (n_jobs, n_known); NaN rows for jobs without a known candidate."""
    return topk_shares(considered, n_known)


def set_targets(config_target: Any, enc: GroupEncoding, considered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-job targets (n_jobs, n_known) and the pooled target (n_known,) of one attribute.

    ``"own"``: each job's own candidates and, pooled, all considered pairs;
    anything else (``"pool"``: the whole candidates table) as
    :func:`fairaudit.engine.measure.resolve_target`, the same for every job.
    """
    if isinstance(config_target, str) and config_target == OWN:
        pairs = considered.sum(axis=0)[: enc.n_known].astype(float)
        return own_shares(considered, enc.n_known), pairs / max(pairs.sum(), 1.0)
    vec = resolve_target(config_target, enc)
    return np.broadcast_to(vec, (considered.shape[0], enc.n_known)), vec


def set_cut(sets: SetRanking, enc: GroupEncoding, k: int, config: AuditConfig, draws: NullDraws | None,
            considered: np.ndarray) -> Cut:
    """Every array the tables of ``enc.attribute`` at ``k`` need, over the considered pairs (see the module)."""
    n_known, n_codes = enc.n_known, enc.n_codes
    pairs = considered.sum(axis=0)
    rated = rated_mask(pairs, n_known, config.min_share)
    counts = sets.flagged(enc.codes, n_codes) if k == RECORDED_SELECTION else sets.top_counts(k, enc.codes, n_codes)
    sel = counts.sum(axis=0)
    rates = selection_rates(sel, pairs, 1)
    ref = reference_mask(pairs, rated)
    impact = impact_ratios(rates[:n_known], rated, ref)
    above = sets.above_median(enc.codes, n_codes)
    s_sel = np.full(n_codes, np.nan) if above is None else above.sum(axis=0)  # no scores: no scoring rate
    s_rates = selection_rates(s_sel, pairs, 1)
    s_ir = np.full(n_known, np.nan) if above is None else impact_ratios(s_rates[:n_known], rated, ref)
    rows, pooled = set_targets(config.target, enc, considered)
    shares = topk_shares(counts, n_known)
    gaps = gap_fn(shares, rows)
    codes_topk = np.append(enc.codes, n_codes)[sets.top(k)]  # padding: code n_codes, no group
    with np.errstate(invalid="ignore", divide="ignore"):
        # a recorded selection has no places: no NDKL (and no exposure, see measure_sets)
        job_ndkl = ndkl(codes_topk, np.asarray(rows, dtype=float)) if k else np.full(sets.n_jobs, np.nan)
        job_rates = np.where(considered[:, :n_known] > 0, counts[:, :n_known] / np.maximum(considered[:, :n_known], 1),
                             np.nan)
    job_dpd, _ = dp_from_rates(np.where(rated[None, :], job_rates, np.nan))
    job_match = match(gaps, config.tolerance)
    defined = ~np.isnan(gaps)
    ci = bootstrap_intervals(counts, pairs, rated, n_known, gaps, job_match, job_ndkl, rates, config,
                             considered=considered)
    chance = None if draws is None else assess(
        draws, impact=impact, rated=rated, pool=pairs, n_jobs=1,
        match_rate=float(job_match[defined].mean()) if defined.any() else float("nan"),
        mean_gap=float(gaps[defined].mean()) if defined.any() else float("nan"), alpha=config.alpha,
        four_fifths=config.four_fifths, power=config.power, judge_ratio=config.judge_ratio, seed=config.seed)
    return Cut(k=k, enc=enc, target=pooled, rated=rated, known_share=pairs[:n_known] / max(pairs[:n_known].sum(), 1),
               gaps=JobGaps(counts=counts, shares=shares, gaps=gaps, target=pooled), selected=sel, rates=rates,
               impact=impact, scoring_selected=s_sel, scoring_rates=s_rates, scoring_impact=s_ir,
               codes_topk=codes_topk, job_ndkl=job_ndkl, job_match=job_match, job_dpd=job_dpd, defined=defined,
               by_order=order_decided(sets.order_keys(k + 1), k) if k else np.zeros(sets.n_jobs, dtype=np.int64), ci=ci, chance=chance, pairs=pairs,
               individuals=sets.individuals(enc.codes, n_codes))


def measure_sets(sets: SetRanking, encodings: Sequence[GroupEncoding], config: AuditConfig,
                 titles: Sequence[str] | None = None, *, job_groups: np.ndarray | None = None,
                 strata: np.ndarray | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every table of an audit of per-job candidate sets (the tables of :func:`fairaudit.engine.measure.measure`).

    Parameters
    ----------
    sets : SetRanking
        Who each job considered, best first.
    encodings : sequence of GroupEncoding
        The attributes, over the rows of the candidates table.
    config : AuditConfig
        The audit's settings; ``config.target`` may be ``"own"``.
    titles : sequence of str, optional
        Job titles in the order of ``sets.job_ids`` (default empty).
    job_groups : ndarray (n_jobs,) of int, optional
        Each job's group code (a jobs-table ``strata`` column, e.g. occupation), in
        the order of ``sets.job_ids``: blocks of the person-level chance level.
    strata : ndarray (n_candidates,) of int, optional
        Candidate strata codes (candidate ``strata`` columns): no block mixes them.

    Returns
    -------
    tables : dict of DataFrames (impact, parity, diversity, ranking, per_job)
    summary : dict with the headline figures, the verdict and ``chance_level`` (which null, its blocks)
    """
    recorded = RECORDED_SELECTION in config.ks
    if not sets.ordered and not recorded:
        raise ConfigError("the log has neither a rank nor a score, so it has no top-k: add a 'rank' or 'score' "
                          "column, or audit its 'selected' flags with k=0 (--k 0)")
    if recorded and not sets.has_flags:
        raise ConfigError("k=0 audits the selection as recorded, which needs a 'selected' column in the log")
    titles = list(titles) if titles is not None else [""] * sets.n_jobs
    rows: dict[str, list[dict[str, Any]]] = {"impact": [], "parity": [], "diversity": [], "ranking": [],
                                             "per_job": []}
    considered = {e.attribute: sets.considered(e.codes, e.n_codes) for e in encodings}
    targets = {e.attribute: set_targets(config.target, e, considered[e.attribute])[0] for e in encodings}
    all_draws, chance_level = set_chance(sets, encodings, config, targets, considered, job_groups, strata)
    for enc in encodings:
        for k in config.ks:
            cut = set_cut(sets, enc, k, config, all_draws.get((enc.attribute, k)), considered[enc.attribute])
            rows["impact"] += impact_rows(cut, config)
            rows["ranking"] += [{**r, "exposure": float("nan"), "exposure_ratio": float("nan")} if not k else r
                                for r in ranking_rows(cut)]  # a recorded selection has no places
            rows["parity"].append(parity_row(cut, config))
            div = diversity_row(cut, config)
            if config.target == OWN:  # per-job targets: the row names the rule, not one mix
                div["target"] = OWN
            rows["diversity"].append(div)
            job_rows = per_job_rows(cut, list(sets.job_ids), titles)
            if config.target == OWN:
                for r, shares in zip(job_rows, targets[enc.attribute]):
                    r[OWN_MIX] = mix_json(enc.labels, shares)
            rows["per_job"] += job_rows
    tables = {name: pd.DataFrame(r) for name, r in rows.items()}
    summary = summarize(tables, config)
    summary["chance_level"] = chance_level
    return tables, summary


#: What each null of candidate sets does, in one sentence (``summary["chance_level"]["description"]``, the report).
NULL_TEXT = {
    PERSON: "group labels shuffled over people, each person keeping one label in all of the jobs that considered "
            "them, within blocks of people considered for the same jobs (else the same job groups, else the same "
            "number of jobs and a similar selectivity)",
    PER_JOB: "group labels shuffled within each job's own candidates (multivariate hypergeometric draws); exact "
             "here, as no candidate was considered for more than one job",
}


def set_chance(sets: SetRanking, encodings: Sequence[GroupEncoding], config: AuditConfig,
               targets: dict[str, np.ndarray], considered: dict[str, np.ndarray],
               job_groups: np.ndarray | None = None, strata: np.ndarray | None = None
               ) -> tuple[dict[tuple[str, int], NullDraws], dict[str, Any]]:
    """The null draws of every (attribute, k) of an audit of candidate sets, and which null gave them.

    The person-level permutation (:mod:`fairaudit.engine.person_null`), or the per-job
    hypergeometric draws where they are the same null (:func:`~fairaudit.engine.person_null.choose_null`).

    Parameters
    ----------
    sets : SetRanking
        Who each job considered, best first.
    encodings : sequence of GroupEncoding
        The attributes.
    config : AuditConfig
        Permutations, seed, cut-offs, tolerance.
    targets : dict
        Attribute -> each job's target of the gap, (n_jobs, n_known).
    considered : dict
        Attribute -> each job's candidates per group code, (n_jobs, n_codes).
    job_groups : ndarray (n_jobs,) of int, optional
        Each job's group code, for the blocks.
    strata : ndarray (n_candidates,) of int, optional
        Candidate strata codes, for the blocks.

    Returns
    -------
    draws : dict (attribute, k) -> NullDraws (empty without permutations)
    chance_level : dict with ``null`` (:data:`~fairaudit.engine.person_null.PERSON`, ``PER_JOB`` or None),
        ``description`` and, for the person-level null, ``people``, ``blocks``, ``people_by_block``.
    """
    if config.n_permutations <= 0 or not encodings:
        return {}, {"null": None, "description": "not assessed (no permutations)"}
    profile = sets.person_profile(job_groups)
    null = choose_null(profile, strata)
    info: dict[str, Any] = {"null": null, "description": NULL_TEXT[null], "strata": list(config.strata)}
    if null == PERSON:
        blocks = exchangeability_blocks(profile, strata)
        selected = {k: sets.selected_pairs(k) for k in config.ks}
        draws = person_null_draws(blocks, selected, encodings, targets, sets.n_jobs, config.tolerance,
                                  config.n_permutations, [int(config.seed), 0x9E50], config.n_permutations_gap)
        return draws, {**info, **blocks.summary()}
    draws = {}
    for a, enc in enumerate(encodings):
        for k in config.ks:
            n_selected = (sets.flagged(enc.codes, enc.n_codes).sum(axis=1) if k == RECORDED_SELECTION
                          else np.minimum(sets.sizes, k))
            draws[(enc.attribute, k)] = set_null_draws(considered[enc.attribute], n_selected, enc.n_known,
                                                       targets[enc.attribute], config.tolerance, config.n_permutations,
                                                       [int(config.seed), 0x5E75, a, int(k)], config.n_permutations_gap)
    return draws, info


def selections(sets: SetRanking, encodings: Sequence[GroupEncoding], ks: Sequence[int]) -> dict[str, int]:
    """Pairs selected at each k, the same for every attribute: ``sum_j min(k, |C_j|)``, or the recorded flags (k=0).

    Parameters
    ----------
    sets : SetRanking
        Who each job considered.
    encodings : sequence of GroupEncoding
        The attributes (the first one's codes count the flags).
    ks : sequence of int
        The cut-offs.
    """
    out = {}
    for k in ks:
        if k == RECORDED_SELECTION:
            enc = encodings[0]
            out[str(k)] = int(sets.flagged(enc.codes, enc.n_codes).sum()) if encodings and sets.has_flags else 0
        else:
            out[str(k)] = int(np.minimum(sets.sizes, k).sum())
    return out


def set_provenance(sets: SetRanking, encodings: Sequence[GroupEncoding], ks: Sequence[int] = ()) -> dict[str, Any]:
    """What an audit of candidate sets adds to the provenance: pairs, jobs and distinct individuals assessed.

    ``selections`` (k -> pairs selected) lets :mod:`fairaudit.engine.consistency`
    check each attribute's selections against what the sets allow.

    Parameters
    ----------
    sets : SetRanking
        Who each job considered.
    encodings : sequence of GroupEncoding
        The attributes.
    ks : sequence of int
        The audit's cut-offs.
    """
    return {"n_pairs": sets.n_pairs, "n_individuals": sets.n_individuals,
            "selections": selections(sets, encodings, ks),
            "candidate_sets": True, "set_size_min": int(sets.sizes.min()) if sets.n_jobs else 0,
            "set_size_max": int(sets.sizes.max()) if sets.n_jobs else 0}


def check_set_ks(sets: SetRanking, ks: Sequence[int]) -> list[str]:
    """Notes on jobs whose set is not larger than a cut-off (they select every candidate they considered)."""
    out = []
    for k in (k for k in ks if k != RECORDED_SELECTION):
        small = int((sets.sizes <= k).sum())
        if small:
            out.append(f"{small} of {sets.n_jobs} job(s) considered at most {k} candidates, so their top-{k} is "
                       "every candidate they considered (a selection rate of 1 for each of their groups)")
    return out
