"""The audit's input tables: jobs and candidates from frames or files, or candidate texts left on disk.

:func:`fairaudit.audit` loads its inputs here (:func:`load_inputs`): tables are
validated (:mod:`fairaudit.data.io`); with a distributed backend and a Parquet
pool only ids and attributes come into memory. :func:`same_table_warning` warns
when one table was passed as both.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..data.io import load_candidates, load_jobs, streams_candidates, validate_candidates, validate_jobs
from ..errors import DataError, FairauditWarning


def as_frame(data: Any, kind: str, labels: Any = None) -> tuple[pd.DataFrame, str]:
    """A validated jobs (``kind="jobs"``) or candidates table from a DataFrame or a file, and its source."""
    if kind == "jobs":
        return (load_jobs(data), str(data)) if isinstance(data, (str, os.PathLike)) else (validate_jobs(data), "DataFrame")
    if isinstance(data, (str, os.PathLike)):
        return load_candidates(data, labels=labels), str(data)
    return validate_candidates(data, labels=labels), "DataFrame"


def attributes_only(path: Any, labels: Any = None) -> pd.DataFrame:
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


def parquet_sha256(path: Any) -> str:
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


@dataclass
class AuditInputs:
    """The audit's tables and where they came from; ``streamed``: candidate texts stay on disk."""

    jobs: pd.DataFrame
    jobs_source: str
    candidates: pd.DataFrame
    candidates_source: str
    streamed: bool = False


def load_inputs(jobs: Any, candidates: Any, backend: Any, labels: Any = None) -> AuditInputs:
    jobs_df, jobs_src = as_frame(jobs, "jobs")
    if streams_candidates(backend, candidates):
        # millions of profiles: only ids and attributes come into memory; the texts
        # are streamed from Parquet and embedded on the cluster by the backend
        return AuditInputs(jobs_df, jobs_src, attributes_only(candidates, labels), str(candidates), streamed=True)
    cand_df, cand_src = as_frame(candidates, "candidates", labels)
    return AuditInputs(jobs_df, jobs_src, cand_df, cand_src)


def same_table_warning(inputs: AuditInputs) -> list[str]:
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
