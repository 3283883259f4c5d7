"""Run an audit: load -> recommend -> measure (-> drivers, decomposition).

The module is ``fairaudit.engine.auditing``; its entry point :func:`audit` is also
``fairaudit.audit``. Ranking goes through a backend (:mod:`fairaudit.backends`,
the local one by default), the numbers through :func:`fairaudit.engine.measure.measure`.

>>> from fairaudit import audit, make_hiring_data
>>> jobs, candidates = make_hiring_data(50, 500, seed=0)
>>> result = audit(jobs, candidates, k=(10, 50), seed=0)   # doctest: +SKIP
>>> result.to_frame("impact")                              # doctest: +SKIP
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Mapping, Sequence

import pandas as pd

from .counterfactuals import counterfactuals, empty_tables
from ..errors import ConfigError, FairauditWarning
from ..data.groups import GroupEncoding, candidate_attributes, usable_encodings
from .inputs import AuditInputs, load_inputs, same_table_warning
from .provenance import audit_provenance, sha256_of, resolve_created_at  # noqa: F401  (resolve_created_at: its earlier home)
from ..text.language import job_text_warnings
from .measure import measure, resolve_targets
from ..progress import StageLog, progress_bar, status
from ..recommenders.base import Rankings, Recommender, check_k
from ..options import DEFAULT_KS, DEFAULT_N_BOOTSTRAP, check_cause_split, parse_ks  # noqa: F401  (parse_ks: earlier path)
from .result import AuditConfig, AuditResult
from .chance_options import chance_options, job_groups, strata_codes
from ..threads import default_threads
from .causes import gap_causes
from ..data.io import frame_sha256
from .log_audit import NOT_YET_FOR_SETS, check_set_options, not_possible, pairs_frame, rank_sets, set_result
from .cause_split import split_of_log
from .cause_rankings import NO_SETS, counterfactual_rankings, reasons_for
from .cause_result import not_split
from .breach_cause import breach_cuts


def _tie_warnings(per_job: pd.DataFrame, ks: Sequence[int], n_jobs: int) -> list[str]:
    """Warn about jobs whose whole top-k is a tie broken by row order (see ``measure.order_decided``)."""
    out = []
    one_attr = per_job[per_job["attribute"] == per_job["attribute"].iloc[0]] if len(per_job) else per_job
    for k in ks:
        rows = one_attr[(one_attr["k"] == k) & (one_attr["order_decided"] == k)]
        if len(rows):
            ids = ", ".join(map(str, rows["job_id"].head(5))) + (", ..." if len(rows) > 5 else "")
            msg = (f"{len(rows)} of {n_jobs} job(s) have a top-{k} decided entirely by row order: every candidate "
                   "in it ties with one left out (e.g. all scores equal, as BM25 gives a text with no indexed "
                   f"word), so their gaps reflect the file order, not the recommender ({ids}; marked in "
                   "per_job.order_decided)")
            warnings.warn(msg, FairauditWarning, stacklevel=3)
            out.append(msg)
    return out


def _check_backend(scoring_median: str, backend: Any) -> None:
    """The one option rule that depends on the backend (not an audit setting): the sample median is local."""
    if scoring_median == "sample" and backend not in (None, "local"):
        raise ConfigError("scoring_median='sample' is computed by the local backend only; "
                          "use backend='local' or scoring_median='job'")


def _backend(spec: Any, block_size: int, scoring_median: str) -> Any:
    """The backend that ranks; the local one with the audit's block size and scoring median."""
    from ..backends import LocalBackend, get_backend

    if spec in (None, "local"):
        return LocalBackend(block_size=block_size, scoring_median=scoring_median)
    return get_backend(spec)


def _truncation_warning(rec: Recommender, inputs: AuditInputs) -> list[str]:
    """Warn when job or candidate texts exceed the model's maximum sequence length (it reads only the start)."""
    count = getattr(rec, "count_truncated", None)
    if not callable(count) or inputs.streamed:
        return []
    n_jobs, n_cands = count(inputs.jobs["text"].tolist()), count(inputs.candidates["text"].tolist())
    if not n_jobs and not n_cands:
        return []
    describe = getattr(rec, "describe", None)
    limit = (describe() if callable(describe) else {}).get("max_seq_length")
    msg = (f"{n_jobs:,} of {len(inputs.jobs):,} job texts and {n_cands:,} of {len(inputs.candidates):,} candidate "
           f"texts are longer than the embedding model's maximum of {limit} tokens; the model reads only their "
           f"first {limit} tokens and ignores the rest, so the audit measures those parts only. Shorten the texts "
           "or audit a model with a longer maximum sequence length")
    warnings.warn(msg, FairauditWarning, stacklevel=3)
    return [msg]


def _rank(rec: Recommender, inputs: AuditInputs, encodings: Sequence[GroupEncoding], config: AuditConfig,
          backend: Any, block_size: int, progress: bool, candidates: Any) -> Rankings:
    n_cand = len(inputs.candidates)
    group_codes = {e.attribute: (e.codes, e.n_codes) for e in encodings}
    # one place more than any k: order_decided() needs the score just below each cut-off
    k_max = min(max(max(config.ks), config.effective_gap_k) + 1, n_cand)
    extra = {"candidates": str(candidates)} if inputs.streamed else {}
    return _backend(backend, block_size, config.scoring_median).rank(
        rec, inputs.jobs["text"].tolist(), k_max, group_codes, n_candidates=n_cand,
        progress=lambda it: progress_bar(it, progress, desc="ranking jobs", unit="block"), **extra)


def audit(
    jobs: pd.DataFrame | str | os.PathLike,
    candidates: pd.DataFrame | str | os.PathLike,
    recommender: Any = "embedding",
    k: int | Sequence[int] = DEFAULT_KS,
    target: Any = None,
    *,
    attributes: Sequence[str] | None = None,
    tolerance: float = 0.1,
    match_goal: float = 0.8,
    min_share: float = 0.02,
    scoring_median: str = "job",
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    confidence: float = 0.95,
    seed: int = 0,
    drivers: str | bool = "flagged",
    driver_method: str = "lexicon",
    decomposition: str | bool = "sample",
    decomposition_sample: int = 2000,
    gap_k: int | None = None,
    use_inferred: bool = False,
    backend: Any = "local",
    block_size: int = 256,
    progress: bool = False,
    data_source: str | None = None,
    period: str | None = None,
    created_at: str | None = None,
    labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    n_permutations: int | None = None,
    strata: Sequence[str] | str | None = None,
    alpha: float | None = None,
    candidate_sets: pd.DataFrame | str | os.PathLike | None = None,
    cause_split: str | Mapping[str, str] | pd.DataFrame | None = None,
) -> AuditResult:
    """Audit a recommender: who does it put in each job's top-k?

    Parameters
    ----------
    jobs, candidates : DataFrame or path
        Canonical tables (see ``fairaudit.data.io``) or files to load.
    recommender : "embedding" | "bm25" | model id/path | callable | Recommender
        A callable is ``fn(job_texts, candidate_texts) -> scores``.
    k : int or sequence of int
        Cut-offs; the first is the headline k.
    target : {"own", "pool", "uniform"} or mapping, optional
        Target group distribution for the diversity match rate and the gap:
        each job's own candidates' mix ("own", the default with
        ``candidate_sets``), the whole pool's mix ("pool", the default
        without), equal shares or given shares.
    attributes : sequence of str, optional
        The protected attributes to audit (``"sex"``, ``"race_ethnicity"``,
        ``"sex|race_ethnicity"``); default every one the candidates have a column
        for, with the intersection when both are there. An attribute with fewer
        than two known groups is skipped with a warning.
    tolerance : float
        A job matches when its gap (W1 / TV) is at most this.
    match_goal : float
        Share of matching jobs the verdict asks for.
    min_share : float
        Categories with fewer than this share of the candidates whose category
        is known are not rated (no impact ratio, no four-fifths flag, left out of
        demographic parity), as 6 RCNY § 5-301 allows for categories under 2 %.
        0 rates every non-empty category.
    scoring_median : {"job", "sample"}
        The LL144 scoring rate counts (job, candidate) pairs scoring above a
        median: each job's own median score ("job", the default: a
        recommender's scores are only comparable within one job), or the
        median of all scores of the sample ("sample", the literal reading of
        6 RCNY § 5-300; local backend only, all scores kept in memory).
    n_bootstrap, confidence, seed
        Bootstrap resamples over jobs for the confidence intervals.
    drivers : {"flagged", "all", "none"}
        Which jobs get a counterfactual driver analysis: those whose gap at
        ``gap_k`` exceeds the random-top-k noise floor plus ``tolerance``
        ("flagged", the default), every job, or none. ``True`` / ``False``
        (earlier versions) mean "all" / "none".
    driver_method : {"lexicon", "occlusion"}
        "lexicon" neutralises each Gaucher-coded word (table ``drivers``);
        "occlusion" removes each sentence and content word and labels the
        words with the lexicon (table ``occlusion``).
    decomposition : {"sample", "full", "none"}
        The identity-blind decomposition: on a stratified sample of
        ``decomposition_sample`` candidates with a bootstrap interval (the
        default), on every candidate (exact), or not at all. ``True`` /
        ``False`` (earlier versions) mean "full" / "none".
    decomposition_sample : int
        Candidates in the decomposition's sample (default 2,000); a sample as
        large as the pool gives the exact version.
    gap_k : int, optional
        The k of the per-job gaps behind the drivers and the decomposition;
        default the largest k.
    use_inferred : bool, default False
        Fall back on the ``sex_inferred`` / ``race_ethnicity_inferred`` columns
        (:func:`fairaudit.data.proxy.infer_attributes`) where a self-reported
        column is missing or blank; the provenance records which source was used.
    progress : bool
        Progress bars and one line per stage on stderr, with the texts each
        stage embeds and an estimate of how long that takes.
    backend : "local" | "ray" | Backend
        Where ranking runs; metrics are identical across backends. With a
        Parquet path for ``candidates`` and a non-local backend, candidate
        texts are streamed (``fairaudit.data.io.streams_candidates()``).
    block_size : int, default 256
        Jobs scored at once: peak memory holds ``block_size x n_candidates``
        float64 scores; the results do not depend on it.
    data_source, period, created_at : str, optional
        Recorded in the provenance. ``created_at`` (ISO 8601) defaults to
        ``$SOURCE_DATE_EPOCH`` if set, else now (UTC); see ``resolve_created_at()``.
    labels : mapping, optional
        Your own categories and spellings, ``{"race_ethnicity": {"white": ["caucasian"]}}``,
        added to the built-in ones (``fairaudit.data.labels``). A table loaded with
        ``labels`` remembers them, so they need not be passed again.
    n_permutations, strata, alpha
        The chance level of every verdict (``fairaudit.engine.permutation``,
        ``fairaudit.engine.verdicts``): label permutations (default
        ``AuditConfig.n_permutations``, 1,000; 0 leaves the verdicts unassessed),
        candidate columns to permute within (default none) and the significance
        level (default 0.05). With ``candidate_sets``, a strata column may also
        be the jobs table's (its jobs' groups, by default its ``occupation``
        column when it has one: ``fairaudit.engine.person_null``).
    candidate_sets : DataFrame or path, optional
        Who each job ranks: one row per (``job_id``, ``candidate_id``) pair
        (``fairaudit.data.logs``). Each job then ranks only its own
        candidates, rates count the pairs considered and the chance level
        permutes labels over people, each keeping one label in all of their jobs
        (``fairaudit.engine.sets_measure``); local backend only. Default:
        every job ranks every candidate.
    cause_split : {"lexicon", "none"}, mapping or DataFrame, optional
        With ``candidate_sets``: split each attribute's gap against the whole
        pool into who applied, identity cues in profiles, the job text and a
        residual, each with its chance level
        (``fairaudit.engine.cause_split``; table ``cause_split``). The job
        texts are neutralised by replacing every gender-coded word
        (``"lexicon"``, the default with candidate sets) or given as a mapping
        job_id -> text or a table with ``job_id`` and ``text`` (a rewrite);
        ``"none"`` splits off who applied only. Costs one more fit of the
        recommender (masked profiles) and three more rankings of each job's set.

    Returns
    -------
    AuditResult
        ``run_info`` (in memory only) holds the torch threads and, per stage,
        the seconds taken and the texts embedded.
    """
    from ..recommenders import make_recommender

    target = check_set_options(target, candidate_sets, backend)
    check_cause_split(cause_split, candidate_sets is not None)
    # the config validates every setting before any data is read or model loaded
    config = AuditConfig(ks=k, target=target, tolerance=tolerance, match_goal=match_goal,
                         min_share=float(min_share), scoring_median=scoring_median,
                         n_bootstrap=n_bootstrap, confidence=confidence, seed=seed, drivers=drivers,
                         decomposition=decomposition, gap_k=gap_k, use_inferred=use_inferred,
                         driver_method=driver_method, decomposition_sample=decomposition_sample,
                         **{name: value for name, value in (("n_permutations", n_permutations), ("alpha", alpha))
                            if value is not None})
    ks = config.ks
    created_at = resolve_created_at(created_at)  # fail early on a bad value
    _check_backend(config.scoring_median, backend)
    inputs = load_inputs(jobs, candidates, backend, labels)
    notes_inputs = same_table_warning(inputs)
    if inputs.streamed or candidate_sets is not None:  # the counterfactuals re-rank the whole pool's texts
        config.drivers = config.decomposition = "none"
    drivers, decomposition = config.drivers, config.decomposition
    n_cand = len(inputs.candidates)
    check_k(max(ks), n_cand)
    requested = tuple(attributes) if attributes else candidate_attributes(inputs.candidates, use_inferred)
    encodings, notes = usable_encodings(inputs.candidates, requested, use_inferred)
    for note in notes:
        warnings.warn(note, FairauditWarning, stacklevel=2)
    attrs = tuple(e.attribute for e in encodings)
    config.attributes = attrs
    # once, before any model runs; the engine passes it on ("own" is each job's own mix, resolved per job)
    targets = resolve_targets(config.target, encodings) if not (isinstance(config.target, str)
                                                                and config.target == "own") else {}
    # the significance settings need the candidates' columns (strata); the config holds their defaults
    for key, value in chance_options(n_permutations, strata, alpha, inputs.candidates, streamed=inputs.streamed,
                                     jobs=inputs.jobs if candidate_sets is not None else None).items():
        setattr(config, key, value)
    if config.gap_attribute not in attrs:
        config.gap_attribute = attrs[0]
    check_k(config.effective_gap_k, n_cand, name="gap_k")

    rec = make_recommender(recommender)
    if progress and isinstance(recommender, str) and hasattr(rec, "progress"):
        rec.progress = True  # a recommender the audit built: show its embedding bar
    if candidate_sets is not None:
        return _audit_sets(rec, inputs, candidate_sets, encodings, config, notes_inputs + notes, block_size=block_size,
                           cause_split=cause_split,
                           provenance=audit_provenance(rec, inputs, encodings, config, backend=backend,
                                                  candidates=candidates, data_source=data_source, period=period,
                                                  created_at=created_at))
    log = StageLog()
    say = lambda msg: status(f"fairaudit: {msg}", progress)  # noqa: E731
    if not inputs.streamed:
        with log.stage("candidates", rec):
            if progress:
                _announce_fit(rec, inputs.candidates["text"].tolist(), say)
            rec.fit(inputs.candidates["text"].tolist())
    with log.stage("rank jobs", rec):
        rankings = _rank(rec, inputs, encodings, config, backend, block_size, progress, candidates)
    job_ids = inputs.jobs["job_id"].tolist()
    strata = strata_codes(inputs.candidates, config.strata)
    with log.stage("measure", rec):
        tables, summary = measure(rankings, encodings, config, job_ids, inputs.jobs["title"].tolist(), targets,
                                  strata)
    text_notes = job_text_warnings(job_ids, inputs.jobs["text"].astype(str).tolist())  # language, mixed scripts
    for note in text_notes:
        warnings.warn(note, FairauditWarning, stacklevel=2)
    summary["warnings"] = (notes_inputs + notes + _tie_warnings(tables["per_job"], ks, len(job_ids))
                           + _truncation_warning(rec, inputs) + text_notes)
    tables.update(empty_tables())
    if drivers != "none" or decomposition != "none":
        extra_tables, extra_summary = counterfactuals(rec, inputs.jobs, inputs.candidates, encodings, config,
                                                      rankings, targets, block_size=block_size, progress=progress,
                                                      say=say, log=log,
                                                      breaches=breach_cuts(tables["parity"], config.four_fifths),
                                                      strata=strata)
        tables.update(extra_tables)
        summary.update(extra_summary)
    summary["causes"] = gap_causes(tables["diversity"], summary.get("decomposition"), config.effective_gap_k,
                                   config.alpha, tables["parity"])
    summary["cause_split"] = not_split(NO_SETS, ks[0]).summary()
    prov = audit_provenance(rec, inputs, encodings, config, backend=backend, candidates=candidates,
                       data_source=data_source, period=period, created_at=created_at)
    threads = getattr(rec, "threads", None) or default_threads()
    return AuditResult(config=config, provenance=prov, summary=summary, tables=tables,
                       groups={e.attribute: list(e.labels) for e in encodings}, rankings=rankings,
                       run_info={"threads": threads, "stages": log.stages})


def _audit_sets(rec: Recommender, inputs: AuditInputs, candidate_sets: Any, encodings: Sequence[GroupEncoding],
                config: AuditConfig, notes: list[str], *, block_size: int, provenance: dict[str, Any],
                cause_split: Any = None) -> AuditResult:
    """A live audit of per-job candidate sets: rank each job's own candidates, then measure as a log is measured.

    The cause split re-ranks the same sets with masked profiles and neutral job texts
    (:func:`fairaudit.engine.cause_rankings.counterfactual_rankings`) unless ``cause_split="none"``.
    The chance level's blocks use the jobs table's ``strata`` columns as job groups
    (``fairaudit.engine.person_null``).
    """
    pairs, _ = pairs_frame(candidate_sets, outcomes=False)
    rec.fit(inputs.candidates["text"].tolist())
    sets = rank_sets(rec, inputs.jobs["text"].tolist(), inputs.jobs["job_id"].tolist(), pairs,
                     inputs.candidates["candidate_id"].tolist(), block_size)
    reasons = reasons_for(cause_split)
    rankings, how = ({}, "none") if reasons else counterfactual_rankings(
        rec, inputs.jobs, inputs.candidates, pairs, cause_split, rank_sets, block_size)
    split = split_of_log(sets, encodings, config, rankings=rankings, not_computed=reasons, text=how)
    title_of = dict(zip(inputs.jobs["job_id"], inputs.jobs["title"]))
    rows, texts = not_possible(NOT_YET_FOR_SETS, "Not computed for per-job candidate sets yet")
    provenance["candidate_sets_sha256"] = frame_sha256(pairs, ["job_id", "candidate_id"])
    provenance["audit_id"] = sha256_of({"id": provenance["audit_id"], "sets": provenance["candidate_sets_sha256"]})[:16]
    return set_result(sets, inputs.candidates, encodings, config, provenance,
                      titles=[title_of[j] for j in sets.job_ids], notes=notes, not_possible=rows,
                      not_possible_notes=texts, cause_split=split,
                      job_groups=job_groups(inputs.jobs, config.strata, inputs.candidates))


def _announce_fit(rec: Recommender, texts: list[str], say: Any) -> None:
    """One line before the candidates are embedded: how many are new, with how many threads."""
    count = getattr(rec, "count_uncached", None)
    if callable(count):
        n_new = count(texts)
        threads = getattr(rec, "threads", None) or default_threads()
        say(f"candidate profiles: {len(texts):,}" + (f", {n_new:,} to embed with {threads} torch thread(s)"
                                                      if n_new else ", all embeddings cached"))
