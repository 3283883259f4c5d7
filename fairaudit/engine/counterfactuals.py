"""The audit's counterfactual analyses: word drivers and the identity-blind decomposition.

Both re-rank texts the audit has not ranked yet, which on a first audit means
embedding them; the settings decide how much:

* **drivers** (``drivers="flagged"`` by default): only jobs whose gap exceeds
  the random-top-k noise floor plus the tolerance
  (:func:`fairaudit.engine.drivers.flagged_for_drivers`) are analysed; ``"all"`` analyses
  every job, ``"none"`` none. ``driver_method="lexicon"`` neutralises each
  Gaucher-coded word (:func:`fairaudit.engine.drivers.word_drivers`, table ``drivers``);
  ``"occlusion"`` removes each sentence and content word
  (:func:`fairaudit.engine.occlusion.occlusion_drivers`, table ``occlusion``). Each
  distinct counterfactual text is ranked once across all jobs.
* **decomposition** (``"sample"`` by default): the identity part is estimated on
  a stratified sample of candidates with a bootstrap interval
  (:mod:`fairaudit.engine.identity_blind`); ``"full"`` re-ranks every masked profile
  (:func:`fairaudit.engine.drivers.decomposition`), ``"none"`` skips it.

Every stage says on stderr (with ``progress``) how many texts it ranks, how many
of them it has to embed and, once this run has measured the model's rate, about
how long that takes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .drivers import decomposition as exact_decomposition
from .drivers import flagged_for_drivers, mask_identity, word_drivers
from .breach_cause import breach_entry, lowest_ratio_tests
from .cause_result import COLUMNS as CAUSE_SPLIT_COLUMNS
from ..data.groups import GroupEncoding
from .identity_blind import bootstrap_identity, ranking_depth, sample_k, stratified_sample
from .measure import job_gaps
from ..metrics.diversity import random_topk_gap
from .occlusion import COLUMNS as OCCLUSION_COLUMNS
from .occlusion import occlusion_drivers
from ..progress import StageLog, embedding_estimate, progress_bar
from ..recommenders.base import Rankings, Recommender, rank
from .result import AuditConfig

DRIVER_COLUMNS = ["job_id", "word", "category", "count", "gap", "gap_without", "delta"]
DECOMPOSITION_COLUMNS = ["job_id", "k", "attribute", "gap", "gap_blind", "identity_part", "text_part",
                         "method", "sample_size", "sample_k"]


@dataclass
class Context:
    """What the counterfactual stages share: the fitted recommender, the inputs and the gap attribute."""

    rec: Recommender
    jobs: pd.DataFrame
    candidates: pd.DataFrame
    config: AuditConfig
    enc: GroupEncoding  # the gap attribute's encoding
    target: np.ndarray
    base_gaps: np.ndarray  # each job's gap at the gap k (the audit's own ranking)
    block_size: int
    progress: bool
    say: Callable[[str], None]
    encodings: Sequence[GroupEncoding] = ()  # every audited attribute (the decomposition covers each)
    targets: dict[str, np.ndarray] | None = None
    rankings: Rankings | None = None
    breaches: Sequence[tuple[str, int, float]] = ()  # (attribute, k, lowest ratio) below the floor
    strata: np.ndarray | None = None  # the audit's strata codes per candidate (the breaches' chance level)


def empty_tables() -> dict[str, pd.DataFrame]:
    return {"drivers": pd.DataFrame(columns=DRIVER_COLUMNS),
            "occlusion": pd.DataFrame(columns=list(OCCLUSION_COLUMNS)),
            "decomposition": pd.DataFrame(columns=DECOMPOSITION_COLUMNS),
            "cause_split": pd.DataFrame(columns=list(CAUSE_SPLIT_COLUMNS))}


def noise_floor(enc: GroupEncoding, target: np.ndarray, k: int) -> float:
    """The expected gap of a random top-k of this pool (:func:`fairaudit.metrics.random_topk_gap`)."""
    return random_topk_gap(enc.pool_counts[: enc.n_known], target, k)


def _embed_note(ctx: Context, texts: Sequence[str]) -> str:
    """``", 480 to embed, about 12 s"`` for a stage message (nothing without progress output)."""
    count = getattr(ctx.rec, "count_uncached", None)
    if not ctx.progress or not callable(count):
        return ""
    return embedding_estimate(count(texts), getattr(ctx.rec, "rate", None))


def _pre_embed(rec: Recommender, texts: list[str]) -> None:
    """Embed (and cache) texts in one call, so the embedding bar shows their rate and time left."""
    encode = getattr(rec, "encode", None)
    if callable(encode) and getattr(rec, "cache_queries", False):
        encode(texts, cache=True)


def _announced(ctx: Context, gap_fn: Callable[[list[str]], np.ndarray], what: str) -> Callable:
    def run(texts: list[str]) -> np.ndarray:
        ctx.say(f"{what}: {len(texts):,} counterfactual texts{_embed_note(ctx, texts)}")
        _pre_embed(ctx.rec, list(texts))
        return gap_fn(texts)

    return run


def run_drivers(ctx: Context) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The driver table of the jobs in the configured scope, and its summary."""
    from .gap import GapScorer

    cfg, k = ctx.config, ctx.config.effective_gap_k
    floor = noise_floor(ctx.enc, ctx.target, k)
    flagged = flagged_for_drivers(ctx.base_gaps, floor, cfg.tolerance)
    mask = np.ones(len(ctx.jobs), dtype=bool) if cfg.drivers == "all" else flagged
    summary = {"scope": cfg.drivers, "method": cfg.driver_method, "k": k, "attribute": cfg.gap_attribute,
               "noise_floor": floor, "tolerance": cfg.tolerance, "threshold": floor + cfg.tolerance,
               "n_jobs": len(ctx.jobs), "n_flagged": int(flagged.sum()), "n_analysed": int(mask.sum())}
    tables = {}
    scope = (f"{summary['n_analysed']:,} of {len(ctx.jobs):,} jobs" if cfg.drivers == "all" else
             f"{summary['n_analysed']:,} of {len(ctx.jobs):,} jobs with a gap above the noise floor "
             f"{floor:.3f} + tolerance {cfg.tolerance:.3f}")
    if mask.any():
        scorer = GapScorer(ctx.rec, ctx.candidates, k=k, target=ctx.target, attribute=cfg.gap_attribute, fit=False,
                           use_inferred=cfg.use_inferred, block_size=ctx.block_size)
        gap_fn = _announced(ctx, scorer.gaps, f"{cfg.driver_method} drivers for {scope}")
        jobs, base = ctx.jobs[mask].reset_index(drop=True), ctx.base_gaps[mask]
        if cfg.driver_method == "occlusion":
            tables["occlusion"] = occlusion_drivers(gap_fn, jobs, base_gaps=base)
        else:
            tables["drivers"] = word_drivers(gap_fn, jobs, base_gaps=base)
    else:
        ctx.say(f"{cfg.driver_method} drivers: no job has a gap above the noise floor {floor:.3f} "
                f"+ tolerance {cfg.tolerance:.3f}")
    top = top_drivers(tables.get("drivers"), tables.get("occlusion"))
    return tables, {"drivers": summary, **({"top_drivers": top} if top else {})}


def top_drivers(drivers: pd.DataFrame | None, occlusion: pd.DataFrame | None, n: int = 10) -> list[dict[str, Any]]:
    """The words with the largest mean delta over the analysed jobs (``coded``: on the Gaucher lists)."""
    if drivers is not None and len(drivers):
        top = (drivers.groupby(["word", "category"])["delta"].agg(["mean", "count"])
               .sort_values("mean", ascending=False).head(n).reset_index())
        return top.rename(columns={"mean": "mean_delta", "count": "jobs"}).to_dict("records")
    if occlusion is None or not len(occlusion):
        return []
    words = occlusion[occlusion["kind"] == "word"].assign(key=lambda d: d["word"].str.lower(),
                                                          category=lambda d: d["category"].fillna(""))
    if not len(words):
        return []
    top = (words.groupby(["key", "coded", "category"])
           .agg(word=("word", "first"), mean_delta=("delta", "mean"), jobs=("job_id", "nunique"))
           .sort_values(["mean_delta", "word"], ascending=[False, True], kind="mergesort").head(n).reset_index())
    return top[["word", "category", "coded", "mean_delta", "jobs"]].to_dict("records")


def _sample_decomposition(ctx: Context, watch: list[Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    from ..recommenders import clone_recommender

    cfg, k, n = ctx.config, ctx.config.effective_gap_k, len(ctx.candidates)
    rows = stratified_sample(ctx.enc.codes, cfg.decomposition_sample, cfg.seed)
    texts = ctx.candidates["text"].astype(str).to_numpy()[rows].tolist()
    names = ctx.candidates["name"].to_numpy()[rows].tolist() if "name" in ctx.candidates.columns else None
    masked = mask_identity(texts, names)
    ctx.say(f"identity-blind decomposition on a stratified sample of {len(rows):,} of {n:,} candidates: "
            f"{len(rows):,} masked profiles{_embed_note(ctx, masked)}")
    original, blind = clone_recommender(ctx.rec), clone_recommender(ctx.rec)
    watch.extend([original, blind])
    original.fit(texts)
    blind.fit(masked)
    ks = sample_k(k, len(rows), n)
    depth = ranking_depth(max([ks] + [sample_k(kb, len(rows), n) for _, kb, _ in ctx.breaches]), len(rows))
    job_texts = ctx.jobs["text"].tolist()
    order = rank(original, job_texts, depth, None, n_candidates=len(rows), block_size=ctx.block_size).indices
    order_blind = rank(blind, job_texts, depth, None, n_candidates=len(rows), block_size=ctx.block_size).indices
    strata = ctx.enc.codes[rows]
    tables, by_attr = [], {}
    for enc in _all_encodings(ctx):  # the same two rankings measured for every attribute
        codes = enc.codes[rows]
        est = bootstrap_identity(order, order_blind, codes, strata, enc.n_codes, enc.n_known,
                                 _target(ctx, enc), ks, cfg.n_bootstrap, cfg.confidence, seed=cfg.seed + 1)
        tables.append(exact_decomposition(est.gap, est.gap_blind, ctx.jobs["job_id"].astype(str).tolist(), k,
                                          enc.attribute))
        by_attr[enc.attribute] = {"identity_part_ci_low": est.ci_low, "identity_part_ci_high": est.ci_high}
    table = pd.concat(tables, ignore_index=True).assign(method="sample", sample_size=len(rows), sample_k=ks)
    summary = {"method": "sample", "sample_size": len(rows), "n_candidates": n, "sample_k": ks,
               "stratified_by": cfg.gap_attribute, "sample_seed": cfg.seed,
               **by_attr[cfg.gap_attribute], "confidence": cfg.confidence, "n_resamples": est.n_resamples,
               "_by_attribute": by_attr,
               "breaches": _breaches(ctx, order, order_blind, rows, lambda kb: sample_k(kb, len(rows), n), "sample")}
    return table, summary


def _all_encodings(ctx: Context) -> list[GroupEncoding]:
    """The gap attribute first, then every other audited attribute."""
    return [ctx.enc, *[e for e in ctx.encodings if e.attribute != ctx.enc.attribute]]


def _target(ctx: Context, enc: GroupEncoding) -> np.ndarray:
    return ctx.target if enc.attribute == ctx.enc.attribute else (ctx.targets or {})[enc.attribute]


def _full_decomposition(ctx: Context, watch: list[Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    from ..backends import LocalBackend
    from ..recommenders import clone_recommender

    cfg, k, cands = ctx.config, ctx.config.effective_gap_k, ctx.candidates
    names = cands["name"].tolist() if "name" in cands.columns else None
    masked = mask_identity(cands["text"].tolist(), names)
    ctx.say(f"identity-blind decomposition on all {len(cands):,} candidates: {len(masked):,} masked profiles"
            f"{_embed_note(ctx, masked)}")
    blind = clone_recommender(ctx.rec)
    watch.append(blind)
    blind.fit(masked)
    depth = max([k] + [kb for _, kb, _ in ctx.breaches])
    r_blind = LocalBackend(block_size=ctx.block_size).rank(
        blind, ctx.jobs["text"].tolist(), depth, None, n_candidates=len(cands),
        progress=lambda it: progress_bar(it, ctx.progress, desc="identity-blind ranking", unit="block"))
    tables = []
    for enc in _all_encodings(ctx):
        target = _target(ctx, enc)
        base = ctx.base_gaps if enc is ctx.enc else job_gaps(ctx.rankings.top(k), enc, target).gaps
        tables.append(exact_decomposition(base, job_gaps(r_blind.indices[:, :k], enc, target).gaps,
                                          ctx.jobs["job_id"].tolist(), k, enc.attribute))
    table = pd.concat(tables, ignore_index=True).assign(method="full", sample_size=len(cands), sample_k=k)
    breaches = _breaches(ctx, ctx.rankings.indices, r_blind.indices, np.arange(len(cands)), lambda kb: kb, "full")
    return table, {"method": "full", "sample_size": len(cands), "n_candidates": len(cands), "sample_k": k,
                   "breaches": breaches}


def _breaches(ctx: Context, order: np.ndarray, order_blind: np.ndarray, rows: np.ndarray,
              k_of: Callable[[int], int], method: str) -> list[dict[str, Any]]:
    """Each breaching lowest impact ratio on the two rankings (as written, masked) at the breach's k.

    Both get the audit's test (:func:`fairaudit.engine.breach_cause.lowest_ratio_tests`): the
    labels of the ranked candidates (``rows``) shuffled with the audit's seed and strata.
    """
    from dataclasses import replace

    from ..metrics.impact import rated_mask

    encs = {e.attribute: e for e in _all_encodings(ctx)}
    cuts = [(attr, kb, ratio) for attr, kb, ratio in ctx.breaches if attr in encs]
    if not cuts:
        return []
    attrs = list(dict.fromkeys(attr for attr, _, _ in cuts))
    ranked = [replace(encs[a], codes=encs[a].codes[rows]) for a in attrs]
    rated = {a: rated_mask(encs[a].pool_counts, encs[a].n_known, ctx.config.min_share) for a in attrs}
    ks = sorted({k_of(kb) for _, kb, _ in cuts})
    strata = None if ctx.strata is None else np.asarray(ctx.strata)[rows]
    original, masked = (lowest_ratio_tests(o, ranked, rated, ks, ctx.config, strata) for o in (order, order_blind))
    return [breach_entry(attr, kb, ratio, original[(attr, k_of(kb))], masked[(attr, k_of(kb))],
                         ctx.config.four_fifths, method, len(rows), k_of(kb)) for attr, kb, ratio in cuts]


def run_decomposition(ctx: Context, watch: list[Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The decomposition table and its summary (a sample as large as the pool is the exact version)."""
    cfg = ctx.config
    sampled = cfg.decomposition == "sample" and cfg.decomposition_sample < len(ctx.candidates)
    table, summary = (_sample_decomposition if sampled else _full_decomposition)(ctx, watch)
    cis = summary.pop("_by_attribute", {})

    def means(attr: str) -> dict[str, Any]:
        t = table[table["attribute"] == attr]
        return {"k": cfg.effective_gap_k, "attribute": attr, "mean_gap": float(np.nanmean(t["gap"])),
                "mean_gap_blind": float(np.nanmean(t["gap_blind"])),
                "mean_identity_part": float(np.nanmean(t["identity_part"]))}

    by_attribute = {a: {**means(a), **cis.get(a, {})} for a in dict.fromkeys(table["attribute"])}
    summary = {**means(cfg.gap_attribute), **summary, "by_attribute": by_attribute}
    return table, summary


def counterfactuals(rec: Recommender, jobs: pd.DataFrame, candidates: pd.DataFrame,
                    encodings: Sequence[GroupEncoding], config: AuditConfig, rankings: Rankings,
                    targets: Mapping[str, np.ndarray], *,
                    block_size: int, progress: bool, say: Callable[[str], None],
                    log: StageLog, breaches: Sequence[tuple[str, int, float]] = (),
                    strata: np.ndarray | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The ``drivers``, ``occlusion`` and ``decomposition`` tables and their summaries.

    ``targets``: each attribute's target as the audit resolved it (:func:`fairaudit.engine.measure.resolve_targets`).
    ``breaches``: (attribute, k, lowest ratio) of every impact-ratio breach
    (:func:`fairaudit.engine.breach_cause.breach_cuts`); the decomposition's two
    rankings give each of them masked (``summary["decomposition"]["breaches"]``), each ratio
    with its p-value and verdict from the audit's permutations (``strata``: the audit's
    strata codes per candidate, :func:`fairaudit.engine.chance_options.strata_codes`).
    """
    enc = next(e for e in encodings if e.attribute == config.gap_attribute)
    target = targets[enc.attribute]
    base = job_gaps(rankings.top(config.effective_gap_k), enc, target).gaps
    ctx = Context(rec=rec, jobs=jobs, candidates=candidates, config=config, enc=enc, target=target, base_gaps=base,
                  block_size=block_size, progress=progress, say=say, encodings=encodings,
                  targets=dict(targets), rankings=rankings, breaches=list(breaches), strata=strata)
    tables, summary = empty_tables(), {}
    if config.drivers != "none":
        with log.stage("drivers", rec):
            extra, s = run_drivers(ctx)
        tables.update(extra)
        summary.update(s)
    if config.decomposition != "none":
        with log.stage("decomposition", rec) as watch:
            tables["decomposition"], summary["decomposition"] = run_decomposition(ctx, watch)
    return tables, summary
