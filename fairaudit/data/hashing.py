"""Content hashes of tables and texts: what an audit's and a review's provenance records.

Re-exported by :mod:`fairaudit.data.io`, where they lived in earlier versions.
"""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np
import pandas as pd


#: The columns that identify a jobs table's content (its hash in an audit's provenance).
JOB_HASH_COLUMNS = ("job_id", "title", "text")
#: The columns that identify a candidate pool (those present are hashed).
CANDIDATE_HASH_COLUMNS = ("candidate_id", "text", "sex", "race_ethnicity")


def jobs_sha256(jobs: pd.DataFrame) -> str:
    """Content hash of a jobs table (:data:`JOB_HASH_COLUMNS`)."""
    return frame_sha256(jobs, list(JOB_HASH_COLUMNS))


def candidates_sha256(candidates: pd.DataFrame) -> str:
    """Content hash of a candidate pool (the :data:`CANDIDATE_HASH_COLUMNS` it has)."""
    return frame_sha256(candidates, [c for c in CANDIDATE_HASH_COLUMNS if c in candidates.columns])


def frame_sha256(df: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """A stable content hash of a table (column names + values, in row order)."""
    cols = list(columns) if columns is not None else list(df.columns)
    h = hashlib.sha256()
    h.update(json.dumps(cols).encode())
    for col in cols:
        h.update(col.encode())
        values = df[col].astype(str).to_numpy()
        h.update("\x1f".join(values).encode("utf-8"))
    return h.hexdigest()


def text_sha1(texts: Sequence[str]) -> np.ndarray:
    """Per-text sha1 hex digests (used as embedding cache keys)."""
    return np.array([hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts])
