"""Audits of per-job candidate sets: what a recommender did (a log) or does (live) to each job's own candidates.

Both build a :class:`~fairaudit.engine.candidate_sets.SetRanking` and measure it
with :func:`~fairaudit.engine.sets_measure.measure_sets`, so a log written from a
live audit and audited again gives the same tables:

* :func:`audit_log` (``fairaudit.audit_log``, ``fairaudit audit --log``): the
  tool's historical output, one row per (job, candidate) pair it considered;
  no recommender runs and job texts are optional;
* :func:`rank_sets`: a recommender ranks, for each job, only the candidates of
  its set (``fairaudit.audit(..., candidate_sets=...)``).

Analyses that re-rank edited job texts or profiles (word drivers, occlusion,
the identity-blind decomposition, rewriting) need the texts and a recommender
to run: a log audit lists them in ``summary["not_possible"]`` with the reason,
and the report shows them among its warnings.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.groups import GroupEncoding, candidate_attributes, usable_encodings
from ..data.io import candidates_sha256, frame_sha256, load_jobs, read_table, validate_jobs
from ..backends import get_backend
from ..data.log_stream import DEFAULT_MEMORY_LIMIT
from ..data.logs import load_pairs, log_period, validate_pairs, validate_people
from ..errors import ConfigError, FairauditWarning
from ..options import DEFAULT_KS, DEFAULT_N_BOOTSTRAP
from ..recommenders.base import Recommender, score_block
from ..version import library_versions
from .candidate_sets import SetRanking, StreamedSets, build, from_pairs, reorder, streamed
from .chance_options import chance_options, job_groups, strata_codes
from .counterfactuals import empty_tables
from .inputs import parquet_sha256
from .provenance import resolve_created_at, sha256_of
from .result import AuditConfig, AuditResult
from .sets_measure import OWN, check_set_ks, measure_sets, set_provenance
from .causes import gap_causes
from .cause_result import CauseSplit
from .cause_split import split_of_log

#: Analyses a log cannot support, and why (shown in the summary and the report).
NOT_FROM_LOG = {
    "word drivers": "they re-rank each job with coded words removed from its text, which needs the job texts "
                    "and a recommender to run; a log holds only the tool's past output",
    "occlusion drivers": "they re-rank each job with sentences and words removed, which needs the job texts "
                         "and a recommender to run",
    "identity-blind decomposition": "it re-ranks the candidates with identity cues masked in their profiles, "
                                    "which needs the profile texts and a recommender to run",
    "rewriting (AutoRefine)": "it measures a rewritten job text by ranking it, which needs a recommender to run",
}
#: Analyses of a live audit of candidate sets that are not computed yet, and why.
NOT_YET_FOR_SETS = {
    "word drivers and decomposition": "the counterfactual analyses re-rank the whole candidate pool; they do not "
                                      "yet restrict the re-ranking to each job's own candidates (the cause split "
                                      "does: who applied, identity cues and the job text, in table cause_split)",
}


def not_possible(reasons: Mapping[str, str], what: str) -> tuple[list[dict[str, str]], list[str]]:
    """Analyses left out as ``{"analysis", "reason"}`` rows and as sentences starting with ``what``.

    Parameters
    ----------
    reasons : mapping
        Analysis name -> why it was left out.
    what : str
        The sentences' start, e.g. "Not possible from a log".
    """
    rows = [{"analysis": name, "reason": why} for name, why in reasons.items()]
    return rows, [f"{what}: {r['analysis']}, because {r['reason']}" for r in rows]


def pairs_frame(data: Any, outcomes: bool) -> tuple[pd.DataFrame, str]:
    """A checked log (``outcomes``) or candidate-set table from a DataFrame or a file, and where it came from.

    Parameters
    ----------
    data : DataFrame or path
        The pairs.
    outcomes : bool
        True for a log (needs a rank, score or selected column).
    """
    if isinstance(data, (str, os.PathLike)):
        return load_pairs(data, outcomes=outcomes), str(data)
    return validate_pairs(data, outcomes=outcomes), "DataFrame"


def rank_sets(rec: Recommender, job_texts: Sequence[str], job_ids: Sequence[str], pairs: pd.DataFrame,
              candidate_ids: Sequence[str], block_size: int = 256) -> SetRanking:
    """Score each job's own candidates with a fitted recommender and rank them (best first).

    The recommender scores a block of jobs against the whole pool (the
    :class:`~fairaudit.recommenders.base.Recommender` protocol); each job keeps
    the scores of its own candidates, so a pair's score does not depend on the
    other sets. Ties go to the lower candidate row, as in the whole-pool ranking.

    Parameters
    ----------
    rec : Recommender
        Fitted on the candidates' texts, in the order of ``candidate_ids``.
    job_texts, job_ids : sequence of str
        The jobs, in the same order.
    pairs : DataFrame
        Checked candidate sets (:func:`fairaudit.data.logs.validate_pairs`).
    candidate_ids : sequence of str
        The candidates table's ids, in row order.
    block_size : int
        Jobs scored at once.
    """
    base = from_pairs(pairs, candidate_ids, job_ids, table="candidate sets")
    text_of = dict(zip(map(str, job_ids), job_texts))
    return _scored(rec, [text_of[j] for j in base.job_ids], base, block_size)


def _scored(rec: Recommender, texts: Sequence[str], base: SetRanking, block_size: int) -> SetRanking:
    """``base``'s pairs scored by ``rec`` (``texts``: its jobs' texts), block by block, and ranked."""
    scores = np.empty(len(base.job), dtype=np.float64)
    for s in range(0, base.n_jobs, block_size):
        sc = score_block(rec, texts[s:s + block_size], base.n_candidates)
        lo, hi = base.starts[s], base.starts[min(s + block_size, base.n_jobs)]
        scores[lo:hi] = sc[base.job[lo:hi] - s, base.candidate[lo:hi]]
    return build(base.job, base.candidate, base.job_ids, base.n_candidates, score=scores)


def recommendation_log(rec: Recommender, job_texts: Sequence[str], job_ids: Sequence[str],
                       candidate_ids: Sequence[str], *, candidate_sets: pd.DataFrame | None = None,
                       block_size: int = 256) -> pd.DataFrame:
    """What a fitted recommender does, written as a log: every (job, candidate) pair it ranks, with rank and score.

    Without ``candidate_sets`` every job ranks every candidate, as
    :func:`fairaudit.audit` does; the scores come block by block as in that
    audit (same ``block_size``), so :func:`audit_log` of this log with
    ``target="pool"`` gives that audit's LL144 tables (:func:`ll144_differences`).

    Parameters
    ----------
    rec : Recommender
        Fitted on the candidates' texts, in the order of ``candidate_ids``.
    job_texts, job_ids : sequence of str
        The jobs, in the same order.
    candidate_ids : sequence of str
        The candidates table's ids, in row order.
    candidate_sets : DataFrame, optional
        ``job_id``, ``candidate_id``: who each job ranks (default: everyone).
    block_size : int
        Jobs scored at once.

    Returns
    -------
    DataFrame
        ``job_id``, ``candidate_id``, ``rank`` (1 = best), ``score``; jobs in
        the order of ``job_ids``, best first within a job.
    """
    if candidate_sets is not None:
        sets = rank_sets(rec, job_texts, job_ids, validate_pairs(candidate_sets, outcomes=False), candidate_ids,
                         block_size)
    else:
        n_jobs, n_cand = len(job_ids), len(candidate_ids)
        job = np.repeat(np.arange(n_jobs, dtype=np.int64), n_cand)
        cand = np.tile(np.arange(n_cand, dtype=np.int64), n_jobs)
        base = build(job, cand, list(map(str, job_ids)), n_cand)
        sets = _scored(rec, list(job_texts), base, block_size)
    return sets.to_frame(list(map(str, candidate_ids)))


#: The LL144 columns of the impact and parity tables (6 RCNY § 5-301: rates, ratios, counts, exclusions).
LL144_COLUMNS = {
    "impact": ("k", "attribute", "group", "n_pool", "n_assessed", "selected", "selection_rate", "impact_ratio",
               "scoring_selected", "scoring_rate", "scoring_impact_ratio", "excluded", "exclusion_reason",
               "four_fifths_flag"),
    "parity": ("k", "attribute", "min_impact_ratio", "four_fifths_pass", "n_unknown"),
}


def ll144_differences(a: Any, b: Any) -> list[str]:
    """The LL144 columns in which two audits' tables differ (empty: the same numbers).

    Parameters
    ----------
    a, b : AuditResult
        Two audits, e.g. a live audit and the audit of its own recommendations as a log.
    """
    out = []
    for table, cols in LL144_COLUMNS.items():
        ta, tb = a.tables[table].reset_index(drop=True), b.tables[table].reset_index(drop=True)
        if len(ta) != len(tb):
            out.append(f"{table}: {len(ta)} rows against {len(tb)}")
            continue
        for col in cols:
            try:
                pd.testing.assert_series_equal(ta[col], tb[col], check_dtype=False, check_names=False)
            except (AssertionError, KeyError):
                out.append(f"{table}.{col}")
    return out


def set_result(sets: SetRanking, candidates: pd.DataFrame, encodings: Sequence[GroupEncoding],
               config: AuditConfig, provenance: dict[str, Any], *, titles: Sequence[str] | None = None,
               notes: Sequence[str] = (), not_possible: Sequence[dict[str, str]] = (),
               not_possible_notes: Sequence[str] = (), cause_split: CauseSplit | None = None,
               job_groups: Mapping[str, int] | None = None) -> AuditResult:
    """Measure ``sets`` and assemble the :class:`~fairaudit.engine.result.AuditResult` (live and log audits alike).

    Parameters
    ----------
    sets : SetRanking
        Who each job considered, best first.
    candidates : DataFrame
        The candidates table the ranking's rows index.
    encodings : sequence of GroupEncoding
        The attributes, over ``candidates``.
    config : AuditConfig
        The audit's settings (drivers and decomposition "none").
    provenance : dict
        Input hashes and descriptions; the sets' counts are added.
    titles : sequence of str, optional
        Job titles in the order of ``sets.job_ids``.
    notes : sequence of str
        Warnings raised while reading the inputs (kept in ``summary["warnings"]``).
    not_possible : sequence of dict
        Analyses left out, each ``{"analysis", "reason"}`` (``summary["not_possible"]``).
    not_possible_notes : sequence of str
        The same in words, added to the warnings the report shows.
    cause_split : CauseSplit, optional
        The three-way split of the gaps (``fairaudit.engine.cause_split``); default: who applied only,
        as a log allows (``fairaudit.engine.cause_split.split_of_log``).
    job_groups : mapping, optional
        Job id -> group code (:func:`~fairaudit.engine.chance_options.job_groups`): blocks of the chance level.
        The ``config.strata`` columns of ``candidates`` split them too.
    """
    groups = None if job_groups is None else np.array([job_groups.get(j, -1) for j in sets.job_ids], dtype=np.int64)
    strata = strata_codes(candidates, [c for c in config.strata if c in candidates.columns])
    tables, summary = measure_sets(sets, encodings, config, titles, job_groups=groups, strata=strata)
    set_notes = check_set_ks(sets, config.ks)
    for note in set_notes:
        warnings.warn(note, FairauditWarning, stacklevel=3)
    summary["warnings"] = list(notes) + set_notes + list(not_possible_notes)
    summary["not_possible"] = list(not_possible)
    tables.update(empty_tables())
    summary["causes"] = gap_causes(tables["diversity"], None, config.effective_gap_k, config.alpha,
                                   tables.get("parity"))
    split = cause_split if cause_split is not None else split_of_log(sets, encodings, config)
    tables["cause_split"], summary["cause_split"] = split.to_frame(), split.summary()
    prov = {**provenance, **set_provenance(sets, encodings, config.ks), "n_jobs": sets.n_jobs,
            "n_candidates": len(candidates), "attribute_sources": {e.attribute: e.source for e in encodings},
            "candidates_sha256": candidates_sha256(candidates), "versions": library_versions()}
    return AuditResult(config=config, provenance=prov, summary=summary, tables=tables,
                       groups={e.attribute: list(e.labels) for e in encodings}, rankings=sets)


def set_encodings(candidates: pd.DataFrame, attributes: Sequence[str] | None, use_inferred: bool
                  ) -> tuple[list[GroupEncoding], list[str]]:
    """The attributes an audit of ``candidates`` can rate, with a warning text for each one skipped."""
    requested = tuple(attributes) if attributes else candidate_attributes(candidates, use_inferred)
    encodings, notes = usable_encodings(candidates, requested, use_inferred)
    for note in notes:
        warnings.warn(note, FairauditWarning, stacklevel=3)
    return encodings, notes


def audit_log(
    log: pd.DataFrame | str | os.PathLike,
    candidates: pd.DataFrame | str | os.PathLike,
    jobs: pd.DataFrame | str | os.PathLike | None = None,
    k: int | Sequence[int] = DEFAULT_KS,
    target: Any = OWN,
    *,
    attributes: Sequence[str] | None = None,
    tolerance: float = 0.1,
    match_goal: float = 0.8,
    min_share: float = 0.02,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    confidence: float = 0.95,
    seed: int = 0,
    n_permutations: int | None = None,
    alpha: float | None = None,
    strata: Sequence[str] | str | None = None,
    use_inferred: bool = False,
    labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    data_source: str | None = None,
    period: str | None = None,
    created_at: str | None = None,
    stream: bool = False,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    backend: Any = "local",
) -> AuditResult:
    """Audit a recommender's historical output: who it put in each job's top-k, among the candidates it considered.

    Parameters
    ----------
    log : DataFrame or path
        One row per (job, candidate) pair the tool considered: ``job_id``,
        ``candidate_id`` and a ``rank`` (1 = best) and/or a ``score`` (higher is
        better), optionally ``selected`` and ``timestamp``
        (``fairaudit.data.logs``).
    candidates : DataFrame or path
        ``candidate_id`` and self-reported ``sex`` and/or ``race_ethnicity``
        (blank = unknown); profile texts are not needed.
    jobs : DataFrame or path, optional
        ``job_id``, ``title``, ``text``: titles for the per-job table; every
        job of the log must be in it.
    k : int or sequence of int
        Cut-offs; the first is the headline k.
    target : "own" | "pool" | "uniform" | mapping
        Target of the per-job gap: each job's own candidates' mix (default),
        the whole candidates table's mix, equal shares or given shares.
    attributes : sequence of str, optional
        Attributes to audit (default every one the candidates have).
    tolerance, match_goal, min_share, n_bootstrap, confidence, seed
        As in :func:`fairaudit.audit`.
    n_permutations, alpha
        The chance level: label permutations over people, each person keeping
        one label in all of their jobs (``fairaudit.engine.person_null``),
        and the significance level.
    strata : str or sequence of str, optional
        Columns that split the chance level's blocks: of the candidates (people
        only swap labels within a value) or of ``jobs`` (job groups, e.g. the
        job's occupation). Default: ``jobs``' ``occupation`` column when it has one.
    use_inferred : bool
        Use inferred attributes where self-reported ones are missing.
    labels : mapping, optional
        Custom categories and spellings (``fairaudit.data.labels``).
    data_source, period, created_at : str, optional
        Recorded in the provenance; ``period`` defaults to the log's date range
        when it has a ``timestamp`` column.
    stream : bool
        Leave the log on disk and compute its per-job aggregates with DuckDB
        in bounded memory (``fairaudit.data.log_stream``); the same tables.
        Jobs are then in ``jobs``' order, or sorted by id without ``jobs``.
    memory_limit : str
        DuckDB's memory limit when streaming (it spills to disk beyond it).
    backend : "local" | "ray" | Backend
        Where a streamed log's per-job aggregates are computed: in this process
        (one DuckDB pass), or on Ray where one machine is not enough (the log
        split into job blocks, one task each, merged:
        :meth:`fairaudit.backends.RayBackend.aggregate_log`); the same tables. A
        non-local backend streams the log (``stream=True`` is implied).

    Returns
    -------
    AuditResult
        The tables of a live audit; ``summary["not_possible"]`` lists the
        analyses a log cannot support and why.
    """
    config = AuditConfig(ks=k, target=target, tolerance=tolerance, match_goal=match_goal,
                         min_share=float(min_share), n_bootstrap=n_bootstrap, confidence=confidence, seed=seed,
                         drivers="none", decomposition="none", use_inferred=use_inferred,
                         **{name: value for name, value in (("n_permutations", n_permutations), ("alpha", alpha))
                            if value is not None})
    created = resolve_created_at(created_at)
    local = backend is None or (isinstance(backend, str) and backend == "local")
    stream = stream or not local  # a cluster reads the log from its file
    if stream and not isinstance(log, (str, os.PathLike)):
        raise ConfigError("stream=True (and any non-local backend) reads the log from a Parquet or CSV file; "
                          "pass its path")
    runner = get_backend(backend) if stream else None
    if runner is not None and not callable(getattr(runner, "aggregate_log", None)):
        raise ConfigError(f"backend {getattr(runner, 'name', runner)!r} cannot aggregate a log: use 'local' or 'ray'")
    on_disk = isinstance(candidates, (str, os.PathLike))
    people = validate_people(read_table(candidates) if on_disk else candidates,
                             source=str(candidates) if on_disk else "table", labels=labels)
    jobs_df = None
    if jobs is not None:
        jobs_df = load_jobs(jobs) if isinstance(jobs, (str, os.PathLike)) else validate_jobs(jobs)
    job_ids = None if jobs_df is None else jobs_df["job_id"].tolist()
    config.strata = chance_options(config.n_permutations, strata, config.alpha, people, jobs=jobs_df)["strata"]
    groups = job_groups(jobs_df, config.strata, people)
    encodings, notes = set_encodings(people, attributes, use_inferred)
    config.attributes = tuple(e.attribute for e in encodings)
    if config.gap_attribute not in config.attributes:
        config.gap_attribute = config.attributes[0]
    if stream:  # the log stays on disk: DuckDB computes the per-job aggregates (fairaudit.data.log_stream)
        sets, dates, log_sha = _streamed_sets(log, people, encodings, config, job_ids, memory_limit, runner, groups)
        log_src = str(log)
    else:
        pairs, log_src = pairs_frame(log, outcomes=True)
        sets = from_pairs(pairs, people["candidate_id"].tolist(), job_ids, table="log")
        dates, log_sha = log_period(pairs), frame_sha256(pairs)
    titles = None
    if jobs_df is not None:
        title_of = dict(zip(jobs_df["job_id"], jobs_df["title"]))
        titles = [title_of[j] for j in sets.job_ids]
    rows, texts = not_possible(NOT_FROM_LOG, "Not possible from a log")
    cand_src = str(candidates) if isinstance(candidates, (str, os.PathLike)) else "DataFrame"
    prov = {"source": "log", "log_sha256": log_sha, "historical": True, "log_period": dates, "log_streamed": stream,
            "jobs_sha256": None if jobs_df is None else frame_sha256(jobs_df, ["job_id", "title", "text"]),
            "config_sha256": sha256_of(config.to_dict()),
            "recommender": {"name": "historical log", "source": log_src},
            "backend": None if local else getattr(runner, "name", type(runner).__name__),
            "candidates_streamed": False, "data_source": data_source or f"log: {log_src}; candidates: {cand_src}",
            "period": period or (f"{dates['start']} to {dates['end']}" if dates else None), "created_at": created}
    prov["audit_id"] = sha256_of({"log": prov["log_sha256"], "config": prov["config_sha256"],
                                  "candidates": candidates_sha256(people)})[:16]
    return set_result(sets, people, encodings, config, prov, titles=titles, notes=notes, not_possible=rows,
                      not_possible_notes=texts, job_groups=groups)


def _streamed_sets(log: Any, people: pd.DataFrame, encodings: Sequence[GroupEncoding], config: AuditConfig,
                   job_ids: Sequence[str] | None, memory_limit: str, runner: Any,
                   groups: Mapping[str, int] | None = None) -> tuple[StreamedSets, Any, str]:
    """The log's per-job aggregates from DuckDB (on ``runner``), in the jobs table's order when one is given."""
    combos = np.unique(np.stack([e.codes for e in encodings]), axis=1, return_inverse=True)[1].ravel()
    k_stored = max(config.ks) + 1
    agg = runner.aggregate_log(log, people["candidate_id"].tolist(), combos, k_stored, memory_limit=memory_limit,
                               job_groups=groups)
    sets = streamed(agg, combos, len(people), k_stored)
    if job_ids is not None:
        sets = reorder(sets, job_ids)
    return sets, agg["period"], parquet_sha256(log)


def check_set_options(target: Any, candidate_sets: Any, backend: Any) -> Any:
    """The target of an audit given its candidate sets: ``"own"`` by default with sets, ``"pool"`` without.

    Raises
    ------
    ConfigError
        ``target="own"`` without candidate sets, or candidate sets with a non-local backend.
    """
    if target is None:
        return OWN if candidate_sets is not None else "pool"
    if isinstance(target, str) and target == OWN and candidate_sets is None:
        raise ConfigError("target='own' (each job's own candidates) needs candidate_sets: a table of "
                          "(job_id, candidate_id) pairs saying who each job ranks")
    if candidate_sets is not None and backend not in (None, "local"):
        raise ConfigError("candidate_sets are ranked by the local backend only; use backend='local'")
    return target
