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

import datetime as _dt
import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd

from .counterfactuals import counterfactuals, empty_tables
from ..errors import ConfigError, DataError, FairauditWarning
from ..data.groups import GroupEncoding, candidate_attributes, usable_encodings
from ..data.io import (candidates_sha256, jobs_sha256, load_candidates, load_jobs, streams_candidates,
                       validate_candidates, validate_jobs)
from ..text.language import job_text_warnings
from .measure import measure, resolve_targets
from ..progress import StageLog, progress_bar, status
from ..recommenders.base import Rankings, Recommender, check_k
from ..options import DEFAULT_KS, DEFAULT_N_BOOTSTRAP, parse_ks  # noqa: F401  (parse_ks: earlier import path)
from .result import AuditConfig, AuditResult, recommender_identity
from .chance_options import chance_options, strata_codes
from ..threads import default_threads
from .causes import gap_causes
from .breach_cause import breach_cuts
from ..version import library_versions

def resolve_created_at(created_at: str | None = None) -> str:
    """The audit's creation time as an ISO 8601 UTC string, to the second.

    ``created_at`` when given (any ISO 8601 time; naive times are UTC), else
    ``$SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC, the reproducible-builds
    convention) when set, else now. Fixing it makes the audit JSON of the same
    inputs byte-identical.

    Raises
    ------
    ConfigError
        An unparsable time or ``SOURCE_DATE_EPOCH``.
    """
    if created_at is not None:
        try:
            t = _dt.datetime.fromisoformat(str(created_at).strip())
        except ValueError:
            raise ConfigError(f"created_at {created_at!r} is not an ISO 8601 time, "
                              "e.g. 2026-01-01T00:00:00Z") from None
    elif os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        raw = os.environ["SOURCE_DATE_EPOCH"].strip()
        try:
            t = _dt.datetime.fromtimestamp(int(raw), _dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, "
                              f"got {raw!r}") from None
    else:
        t = _dt.datetime.now(_dt.timezone.utc)
    t = t.replace(tzinfo=_dt.timezone.utc) if t.tzinfo is None else t.astimezone(_dt.timezone.utc)
    return t.replace(microsecond=0).isoformat()


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _as_frame(data: Any, kind: str, labels: Any = None) -> tuple[pd.DataFrame, str]:
    if kind == "jobs":
        return (load_jobs(data), str(data)) if isinstance(data, (str, os.PathLike)) else (validate_jobs(data), "DataFrame")
    if isinstance(data, (str, os.PathLike)):
        return load_candidates(data, labels=labels), str(data)
    return validate_candidates(data, labels=labels), "DataFrame"


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


def _attributes_only(path: Any, labels: Any = None) -> pd.DataFrame:
    """Candidate ids and attributes of a Parquet file/folder (no texts), validated."""
    import pyarrow.dataset as pds

    from ..backends.local import read_parquet_folder

    try:
        names = pds.dataset(str(path), format="parquet").schema.names
    except Exception as exc:
        raise DataError(f"cannot read Parquet data at {path}: {exc}") from None
    if "text" not in names:
        raise DataError(f"candidates {path} is missing required column(s) ['text']; it has {names}")
    cols = [c for c in ("candidate_id", "sex", "race_ethnicity", "name") if c in names]
    batches = list(read_parquet_folder(path, cols))
    import pyarrow as pa

    df = pa.Table.from_batches(batches).to_pandas() if batches else pd.DataFrame(columns=cols)
    df["text"] = "(streamed)"  # placeholder: validated for ids and labels only
    return validate_candidates(df, source=str(path), labels=labels)


def _parquet_sha256(path: Any) -> str:
    """Hash of the Parquet files' bytes, in the order the backends read them."""
    from pathlib import Path

    p = Path(path)
    files = sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
    h = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _check_backend(scoring_median: str, backend: Any) -> None:
    """The one option rule that depends on the backend (not an audit setting): the sample median is local."""
    if scoring_median == "sample" and backend not in (None, "local"):
        raise ConfigError("scoring_median='sample' is computed by the local backend only; "
                          "use backend='local' or scoring_median='job'")


@dataclass
class _Inputs:
    """The audit's tables and where they came from; ``streamed``: candidate texts stay on disk."""

    jobs: pd.DataFrame
    jobs_source: str
    candidates: pd.DataFrame
    candidates_source: str
    streamed: bool = False


def _load_inputs(jobs: Any, candidates: Any, backend: Any, labels: Any = None) -> _Inputs:
    jobs_df, jobs_src = _as_frame(jobs, "jobs")
    if streams_candidates(backend, candidates):
        # millions of profiles: only ids and attributes come into memory; the texts
        # are streamed from Parquet and embedded on the cluster by the backend
        return _Inputs(jobs_df, jobs_src, _attributes_only(candidates, labels), str(candidates), streamed=True)
    cand_df, cand_src = _as_frame(candidates, "candidates", labels)
    return _Inputs(jobs_df, jobs_src, cand_df, cand_src)


def _same_table_warning(inputs: _Inputs) -> list[str]:
    """Warn when one table (a file with both tables' columns, say) was passed as jobs and as candidates."""
    from ..paths import same_file

    jobs, cands = inputs.jobs, inputs.candidates
    same_path = "DataFrame" not in (inputs.jobs_source, inputs.candidates_source) and not inputs.streamed \
        and same_file(inputs.jobs_source, inputs.candidates_source)
    same_rows = len(jobs) == len(cands) and not inputs.streamed and any(
        bool((a[col].astype(str).to_numpy() == b[col].astype(str).to_numpy()).all())
        for a, b, col in ((jobs, cands, "text"), (jobs, cands, "job_id"), (cands, jobs, "candidate_id"))
        if col in a and col in b)  # same texts, or each table carries the other's ids row for row
    if not (same_path or same_rows):
        return []
    msg = (f"the jobs and the candidates are the same table ({len(jobs):,} rows"
           + (f", file {inputs.jobs_source}" if same_path else "") + "): each row is both a job and a candidate, "
           "so the audit ranks the file against itself; pass the job ads as jobs and the candidate profiles as "
           "candidates (separate files), unless that is what you mean")
    warnings.warn(msg, FairauditWarning, stacklevel=3)
    return [msg]


def _backend(spec: Any, block_size: int, scoring_median: str) -> Any:
    """The backend that ranks; the local one with the audit's block size and scoring median."""
    from ..backends import LocalBackend, get_backend

    if spec in (None, "local"):
        return LocalBackend(block_size=block_size, scoring_median=scoring_median)
    return get_backend(spec)


def _truncation_warning(rec: Recommender, inputs: _Inputs) -> list[str]:
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


def _rank(rec: Recommender, inputs: _Inputs, encodings: Sequence[GroupEncoding], config: AuditConfig,
          backend: Any, block_size: int, progress: bool, candidates: Any) -> Rankings:
    n_cand = len(inputs.candidates)
    group_codes = {e.attribute: (e.codes, e.n_codes) for e in encodings}
    # one place more than any k: order_decided() needs the score just below each cut-off
    k_max = min(max(max(config.ks), config.effective_gap_k) + 1, n_cand)
    extra = {"candidates": str(candidates)} if inputs.streamed else {}
    return _backend(backend, block_size, config.scoring_median).rank(
        rec, inputs.jobs["text"].tolist(), k_max, group_codes, n_candidates=n_cand,
        progress=lambda it: progress_bar(it, progress, desc="ranking jobs", unit="block"), **extra)


def _provenance(rec: Recommender, inputs: _Inputs, encodings: Sequence[GroupEncoding], config: AuditConfig,
                *, backend: Any, candidates: Any, data_source: str | None, period: str | None,
                created_at: str) -> dict[str, Any]:
    """Input hashes, the recommender's description, versions and the audit id."""
    describe = getattr(rec, "describe", None)
    rec_info = describe() if callable(describe) else {"name": getattr(rec, "name", type(rec).__name__)}
    prov = {
        "jobs_sha256": jobs_sha256(inputs.jobs),
        "candidates_sha256": _parquet_sha256(candidates) if inputs.streamed else candidates_sha256(inputs.candidates),
        "candidates_streamed": inputs.streamed,
        "config_sha256": _sha(config.to_dict()),
        "recommender": rec_info,
        "backend": backend if isinstance(backend, str) or backend is None else type(backend).__name__,
        "n_jobs": len(inputs.jobs), "n_candidates": len(inputs.candidates),
        "attribute_sources": {e.attribute: e.source for e in encodings},
        "data_source": data_source or f"jobs: {inputs.jobs_source}; candidates: {inputs.candidates_source}",
        "period": period,
        "versions": library_versions(),
    }
    # machine-specific details (cache folder, paths, device) must not change the id
    prov["audit_id"] = _sha({"jobs": prov["jobs_sha256"], "candidates": prov["candidates_sha256"],
                             "config": prov["config_sha256"], "recommender": recommender_identity(rec_info)})[:16]
    prov["created_at"] = created_at
    return prov


def audit(
    jobs: pd.DataFrame | str | os.PathLike,
    candidates: pd.DataFrame | str | os.PathLike,
    recommender: Any = "embedding",
    k: int | Sequence[int] = DEFAULT_KS,
    target: Any = "pool",
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
) -> AuditResult:
    """Audit a recommender: who does it put in each job's top-k?

    Parameters
    ----------
    jobs, candidates : DataFrame or path
        Canonical tables (see :mod:`fairaudit.data.io`) or files to load.
    recommender : "embedding" | "bm25" | model id/path | callable | Recommender
        A callable is ``fn(job_texts, candidate_texts) -> scores``.
    k : int or sequence of int
        Cut-offs; the first is the headline k.
    target : "pool" | "uniform" | mapping
        Target group distribution for the diversity match rate and the gap.
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
    progress : bool
        Progress bars and one line per stage on stderr, with the texts each
        stage embeds and an estimate of how long that takes.
    backend : "local" | "ray" | Backend
        Where ranking runs; metrics are identical across backends. With a
        Parquet path for ``candidates`` and a non-local backend, candidate
        texts are streamed (:func:`fairaudit.data.io.streams_candidates`).
    data_source, period, created_at : str, optional
        Recorded in the provenance. ``created_at`` (ISO 8601) defaults to
        ``$SOURCE_DATE_EPOCH`` if set, else now (UTC); see :func:`resolve_created_at`.
    labels : mapping, optional
        Your own categories and spellings, ``{"race_ethnicity": {"white": ["caucasian"]}}``,
        added to the built-in ones (:mod:`fairaudit.data.labels`). A table loaded with
        ``labels`` remembers them, so they need not be passed again.
    n_permutations, strata, alpha
        The chance level of every verdict (:mod:`fairaudit.engine.permutation`,
        :mod:`fairaudit.engine.verdicts`): label permutations (default
        ``AuditConfig.n_permutations``, 1,000; 0 leaves the verdicts unassessed),
        candidate columns to permute within (default none) and the significance
        level (default 0.05).

    Returns
    -------
    AuditResult
        ``run_info`` (in memory only) holds the torch threads and, per stage,
        the seconds taken and the texts embedded.
    """
    from ..recommenders import make_recommender

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
    inputs = _load_inputs(jobs, candidates, backend, labels)
    notes_inputs = _same_table_warning(inputs)
    if inputs.streamed:  # the counterfactuals re-rank candidate texts, which stay on disk
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
    targets = resolve_targets(config.target, encodings)  # once, before any model runs; the engine passes it on
    # the significance settings need the candidates' columns (strata); the config holds their defaults
    for key, value in chance_options(n_permutations, strata, alpha, inputs.candidates,
                                     streamed=inputs.streamed).items():
        setattr(config, key, value)
    if config.gap_attribute not in attrs:
        config.gap_attribute = attrs[0]
    check_k(config.effective_gap_k, n_cand, name="gap_k")

    rec = make_recommender(recommender)
    if progress and isinstance(recommender, str) and hasattr(rec, "progress"):
        rec.progress = True  # a recommender the audit built: show its embedding bar
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
    with log.stage("measure", rec):
        tables, summary = measure(rankings, encodings, config, job_ids, inputs.jobs["title"].tolist(), targets,
                                  strata_codes(inputs.candidates, config.strata))
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
                                                      breaches=breach_cuts(tables["parity"], config.four_fifths))
        tables.update(extra_tables)
        summary.update(extra_summary)
    summary["causes"] = gap_causes(tables["diversity"], summary.get("decomposition"), config.effective_gap_k,
                                   config.alpha, tables["parity"])
    prov = _provenance(rec, inputs, encodings, config, backend=backend, candidates=candidates,
                       data_source=data_source, period=period, created_at=created_at)
    threads = getattr(rec, "threads", None) or default_threads()
    return AuditResult(config=config, provenance=prov, summary=summary, tables=tables,
                       groups={e.attribute: list(e.labels) for e in encodings}, rankings=rankings,
                       run_info={"threads": threads, "stages": log.stages})


def _announce_fit(rec: Recommender, texts: list[str], say: Any) -> None:
    """One line before the candidates are embedded: how many are new, with how many threads."""
    count = getattr(rec, "count_uncached", None)
    if callable(count):
        n_new = count(texts)
        threads = getattr(rec, "threads", None) or default_threads()
        say(f"candidate profiles: {len(texts):,}" + (f", {n_new:,} to embed with {threads} torch thread(s)"
                                                      if n_new else ", all embeddings cached"))
