"""Tables of (job, candidate) pairs: a recommender's historical log, or who each job ranks.

A **log** has one row per (job, candidate) pair the tool considered, with what
it did: a ``rank`` (1 = best; any numbers, lower is better), a ``score`` (higher
is better) and/or a ``selected`` flag (advanced or not). Optional columns:
``timestamp`` (when the tool ranked the pair; gives the log's date range).
A **candidate-set** table has the same two id columns without outcomes: the
candidates each job ranks in a live audit (``fairaudit.audit(..., candidate_sets=...)``).

Both are read from CSV, TSV, Parquet (a file or a folder) or JSON Lines
(:func:`fairaudit.data.io.read_table`) and checked here once: the id columns,
unique pairs, numeric and finite ranks and scores, yes/no flags. Every problem
is one :class:`~fairaudit.errors.DataError` naming the column and the first bad rows.
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from .io import read_table, validate_candidates

#: The two columns of every pair table.
PAIR_COLUMNS = ("job_id", "candidate_id")
#: What the tool did with a pair; a log has at least one of them.
OUTCOME_COLUMNS = ("rank", "score", "selected")
#: Spellings of a ``selected`` flag (case-insensitive).
_TRUE = frozenset({"1", "true", "yes", "y", "t", "selected", "advanced"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "", "rejected", "not selected"})
#: Placeholder profile of a candidate a log audit knows only by id and categories.
NO_PROFILE_TEXT = "(no profile text)"


def _numeric(values: pd.Series, column: str, source: str) -> np.ndarray:
    num = pd.to_numeric(values, errors="coerce")
    bad = ~np.isfinite(num.to_numpy(dtype=float))
    if bad.any():
        first = values[bad].astype(str).head(3).tolist()
        raise DataError(f"log {source}: {int(bad.sum())} row(s) have a {column!r} that is not a finite number "
                        f"(first: {first}); every considered pair needs one, or leave the column out")
    return num.to_numpy(dtype=float)


def _flags(values: pd.Series, source: str) -> np.ndarray:
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype(str).str.strip().str.lower()
    text = text.where(~text.isin(["1.0", "0.0"]), text.str[0])
    bad = ~(text.isin(_TRUE) | text.isin(_FALSE))
    if bad.any():
        raise DataError(f"log {source}: {int(bad.sum())} row(s) have a 'selected' value that is not yes/no "
                        f"(first: {values[bad].astype(str).head(3).tolist()}); use 1/0, true/false or yes/no")
    return text.isin(_TRUE).to_numpy()


def validate_pairs(df: Any, source: str = "table", *, outcomes: bool = True) -> pd.DataFrame:
    """Check and normalise a log (``outcomes=True``) or a candidate-set table.

    Parameters
    ----------
    df : DataFrame
        One row per (job, candidate) pair.
    source : str
        Where the table came from, for the error messages.
    outcomes : bool
        A log needs at least one of :data:`OUTCOME_COLUMNS`; a candidate-set table none.

    Returns
    -------
    DataFrame
        ``job_id`` and ``candidate_id`` as strings; ``rank`` and ``score`` as
        floats and ``selected`` as bool where present; other columns kept.

    Raises
    ------
    DataError
        A missing id column, an empty id, a pair listed twice, no outcome
        column in a log, a non-numeric rank or score, a flag that is not yes/no.
    """
    what = "log" if outcomes else "candidate sets"
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame or a file, got {type(df).__name__}")
    if df.empty:
        raise DataError(f"{what} {source} has no rows")
    missing = [c for c in PAIR_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"{what} {source} is missing column(s) {missing}; it has {list(df.columns)}")
    out = df.reset_index(drop=True).copy()
    for col in PAIR_COLUMNS:
        out[col] = out[col].astype(str).str.strip()
        empty = int((out[col] == "").sum() + df[col].isna().sum())
        if empty:
            raise DataError(f"{what} {source}: {empty} row(s) have an empty {col}")
    dup = out.duplicated(list(PAIR_COLUMNS))
    if dup.any():
        first = out.loc[dup, list(PAIR_COLUMNS)].head(3).to_records(index=False).tolist()
        raise DataError(f"{what} {source}: {int(dup.sum())} (job_id, candidate_id) pair(s) appear more than once "
                        f"(first: {first}); a job considers a candidate once")
    present = [c for c in OUTCOME_COLUMNS if c in out.columns]
    if outcomes and not present:
        raise DataError(f"log {source} has none of the columns {list(OUTCOME_COLUMNS)}: say what the tool did "
                        "with each pair (a rank, a score or a selected flag)")
    for col in ("rank", "score"):
        if col in out.columns:
            out[col] = _numeric(out[col], col, source)
    if "selected" in out.columns:
        out["selected"] = _flags(out["selected"], source)
    return out


def load_pairs(path: str | os.PathLike, *, outcomes: bool = True, sep: str | None = None) -> pd.DataFrame:
    """Read and check a log or a candidate-set table (see :func:`validate_pairs`).

    Parameters
    ----------
    path : path-like
        CSV/TSV/Parquet file, folder of Parquet files, or JSON Lines.
    outcomes : bool
        True for a log (needs a rank, score or selected column).
    sep : str, optional
        Field delimiter of a text table (see :func:`fairaudit.data.io.read_table`).
    """
    return validate_pairs(read_table(path, sep=sep), source=str(path), outcomes=outcomes)


def validate_people(df: Any, source: str = "table",
                    labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> pd.DataFrame:
    """A candidates table for a log audit: ids and categories; profile texts are optional.

    Parameters
    ----------
    df : DataFrame
        ``candidate_id`` plus ``sex`` and/or ``race_ethnicity`` (self-reported,
        blank = unknown); ``text`` may be missing (a log audit ranks nothing).
    source : str
        Where the table came from, for the error messages.
    labels : mapping, optional
        Custom categories and spellings (:mod:`fairaudit.data.labels`).
    """
    if isinstance(df, pd.DataFrame) and "text" not in df.columns:
        df = df.assign(text=NO_PROFILE_TEXT)
    return validate_candidates(df, source=source, labels=labels)


def log_period(log: pd.DataFrame) -> dict[str, Any] | None:
    """The first and last ``timestamp`` of a log as ISO dates (None without a usable timestamp column)."""
    if "timestamp" not in log.columns:
        return None
    t = pd.to_datetime(log["timestamp"], errors="coerce", utc=True).dropna()
    if t.empty:
        return None
    return {"start": t.min().date().isoformat(), "end": t.max().date().isoformat()}
