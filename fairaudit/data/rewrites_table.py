"""The rewrites table: the one schema shared by the rewriting step, the reports and the pipeline.

A rewrites table has one row per job text that the rewriting step considered::

    job_id, original, rewrite, accepted, gap_before, gap_after, meaning_score,
    skill_recall, reason, n_sentences, n_rewritten, edits

``rewrite`` equals ``original`` when the job was left alone, and only
``accepted`` rows are substituted into the jobs for the re-audit
(:func:`apply_rewrites`). ``fairaudit.rewriting`` produces it; a report needs
the first seven columns (:data:`REPORT_COLUMNS`). This module is part of the
core and imports nothing from ``fairaudit.rewriting``.

:data:`REWRITES` is the table's typed schema: ``fairaudit rewrite`` and the demo
write the CSV with it and every reader (``fairaudit report --rewrites``, the
report's sidecar) reads it back with it, so ``accepted`` is a boolean and the
gaps are numbers whatever pandas makes of the text. The columns
``gap_before_<attribute>`` / ``gap_after_<attribute>`` (the gap of each audited
attribute when the rewriter watched several) are numbers too.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from ..atomic import write_all
from .csvsafe import write_csv
from .tables import TableSchema

#: Columns of a rewrites table, in order (what ``fairaudit.rewriting`` writes).
COLUMNS: tuple[str, ...] = ("job_id", "original", "rewrite", "accepted", "gap_before", "gap_after", "meaning_score",
                            "skill_recall", "reason", "n_sentences", "n_rewritten", "edits")
#: The columns a report shows and puts in its JSON sidecar (a table from an older version may lack the rest).
REPORT_COLUMNS: tuple[str, ...] = COLUMNS[:7]
_KINDS = {"job_id": "text", "original": "text", "rewrite": "text", "accepted": "bool", "gap_before": "float",
          "gap_after": "float", "meaning_score": "float", "skill_recall": "float", "reason": "text",
          "n_sentences": "int", "n_rewritten": "int", "edits": "text"}
#: The typed schema of a rewrites table (written and read with it).
REWRITES = TableSchema("rewrites table", {c: _KINDS[c] for c in COLUMNS}, required=REPORT_COLUMNS,
                       prefixed={"gap_before_": "float", "gap_after_": "float"})


def read_rewrites(path: str | os.PathLike) -> pd.DataFrame:
    """Read a rewrites table (CSV, Parquet or JSON Lines) with its types (:data:`REWRITES`).

    Parameters
    ----------
    path : path-like
        The file written by ``fairaudit rewrite`` (or the demo).

    Raises
    ------
    DataError
        A report column is missing, or a cell is not of its column's kind
        (e.g. ``accepted`` other than True/False/true/false/1/0).
    """
    return REWRITES.read(path)


def rewritten_jobs_path(out: str | os.PathLike) -> Path:
    """Where ``fairaudit rewrite --out OUT`` writes the rewritten jobs by default: ``rewritten_jobs.csv`` beside OUT.

    Parameters
    ----------
    out : path-like
        The rewrites table's file.
    """
    return Path(out).with_name("rewritten_jobs.csv")


def write_rewrites(rewrites: pd.DataFrame, path: str | os.PathLike, *, jobs: pd.DataFrame | None = None,
                   jobs_path: str | os.PathLike | None = None) -> None:
    """Write a rewrites table (:data:`REWRITES`) and, with ``jobs``, the jobs with its accepted rewrites.

    Both files appear together or not at all (:func:`fairaudit.atomic.write_all`):
    the rewritten jobs are what ``fairaudit audit --jobs`` re-audits.

    Parameters
    ----------
    rewrites : DataFrame
        The rewrites table.
    path : path-like
        Its CSV file.
    jobs : DataFrame, optional
        The jobs that were rewritten; written with :func:`apply_rewrites` applied.
    jobs_path : path-like, optional
        The rewritten jobs' CSV file (default :func:`rewritten_jobs_path`).
    """
    files = {path: _csv_bytes(lambda fh: REWRITES.write(rewrites, fh))}
    if jobs is not None:
        files[jobs_path or rewritten_jobs_path(path)] = _csv_bytes(
            lambda fh: write_csv(apply_rewrites(jobs, rewrites), fh))
    write_all(files)


def _csv_bytes(write) -> bytes:
    buf = io.StringIO()
    write(buf)
    return buf.getvalue().encode("utf-8")


def empty_rewrites() -> pd.DataFrame:
    """A rewrites table without rows (nothing was rewritten)."""
    return pd.DataFrame(columns=list(COLUMNS))


def missing_columns(rewrites: pd.DataFrame, required: tuple[str, ...] = REPORT_COLUMNS) -> list[str]:
    """The ``required`` columns that ``rewrites`` lacks, in schema order."""
    return [c for c in required if c not in rewrites.columns]


def apply_rewrites(jobs: pd.DataFrame, rewrites: pd.DataFrame) -> pd.DataFrame:
    """Jobs with the accepted rewrites substituted (rejected ones keep the original).

    Parameters
    ----------
    jobs : DataFrame
        The jobs table (``job_id``, ``text``, ...).
    rewrites : DataFrame
        A rewrites table (:data:`REWRITES`; read from a file or built in memory).
    """
    rewrites = REWRITES.coerce(rewrites, required=("job_id", "rewrite", "accepted"))
    acc = rewrites[rewrites["accepted"]].set_index("job_id")["rewrite"]
    out = jobs.copy()
    mask = out["job_id"].isin(acc.index)
    out.loc[mask, "text"] = out.loc[mask, "job_id"].map(acc)
    return out
