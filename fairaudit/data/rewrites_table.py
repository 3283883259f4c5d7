"""The rewrites table: the one schema shared by the rewriting step, the reports and the pipeline.

A rewrites table has one row per job text that the rewriting step considered::

    job_id, original, rewrite, accepted, gap_before, gap_after, meaning_score,
    skill_recall, reason, n_sentences, n_rewritten, edits

``rewrite`` equals ``original`` when the job was left alone, and only
``accepted`` rows are substituted into the jobs for the re-audit
(:func:`apply_rewrites`). ``fairaudit.rewriting`` produces it; a report needs
the first seven columns (:data:`REPORT_COLUMNS`). This module is part of the
core and imports nothing from ``fairaudit.rewriting``.
"""
from __future__ import annotations

import pandas as pd

#: Columns of a rewrites table, in order (what ``fairaudit.rewriting`` writes).
COLUMNS: tuple[str, ...] = ("job_id", "original", "rewrite", "accepted", "gap_before", "gap_after", "meaning_score",
                            "skill_recall", "reason", "n_sentences", "n_rewritten", "edits")
#: The columns a report shows and puts in its JSON sidecar (a table from an older version may lack the rest).
REPORT_COLUMNS: tuple[str, ...] = COLUMNS[:7]


def empty_rewrites() -> pd.DataFrame:
    """A rewrites table without rows (nothing was rewritten)."""
    return pd.DataFrame(columns=list(COLUMNS))


def missing_columns(rewrites: pd.DataFrame, required: tuple[str, ...] = REPORT_COLUMNS) -> list[str]:
    """The ``required`` columns that ``rewrites`` lacks, in schema order."""
    return [c for c in required if c not in rewrites.columns]


def apply_rewrites(jobs: pd.DataFrame, rewrites: pd.DataFrame) -> pd.DataFrame:
    """Jobs with the accepted rewrites substituted (rejected ones keep the original)."""
    acc = rewrites[rewrites["accepted"].astype(bool)].set_index("job_id")["rewrite"]
    out = jobs.copy()
    mask = out["job_id"].isin(acc.index)
    out.loc[mask, "text"] = out.loc[mask, "job_id"].map(acc)
    return out
