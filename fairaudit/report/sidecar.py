"""The JSON sidecar of a report: every number behind it, in one canonical document.

Its SHA-256 goes into the PDF's metadata before signing, and ``fairaudit
verify`` checks a sidecar against it. The rewrites table is checked here
against the schema of :mod:`fairaudit.data.rewrites_table` (the report and the sidecar
read the same normalised table).
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..errors import ReportError
from ..engine.result import AuditResult
from ..data.rewrites_table import REPORT_COLUMNS, missing_columns
from ..version import __version__
from .format import as_number

SIDECAR_SCHEMA = "fairaudit-report/1"


def check_rewrites(rewrites: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rewrites table with normalised types (ids as text, ``accepted`` as bool, gaps as numbers).

    Raises
    ------
    ReportError
        Not a DataFrame, or a column of :data:`fairaudit.data.rewrites_table.REPORT_COLUMNS` is missing.
    """
    if rewrites is None:
        return None
    if not isinstance(rewrites, pd.DataFrame):
        raise ReportError(f"rewrites must be a DataFrame, got {type(rewrites).__name__}")
    missing = missing_columns(rewrites)
    if missing:
        raise ReportError(f"rewrites table is missing column(s) {missing}; it needs {list(REPORT_COLUMNS)} "
                          "(as written by `fairaudit rewrite`)")
    df = rewrites.copy()
    df["job_id"] = df["job_id"].astype(str)
    acc = df["accepted"]
    if not pd.api.types.is_bool_dtype(acc):  # read back from CSV: "True" / "False" (object or string dtype)
        acc = acc.astype(str).str.strip().str.lower().isin(("true", "1", "yes"))
    df["accepted"] = acc.astype(bool)
    # read back from a file every column is text: the per-attribute gaps are numbers too
    for c in ["gap_before", "gap_after", "meaning_score",
              *(c for c in df.columns if str(c).startswith(("gap_before_", "gap_after_")))]:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df["original"] = df["original"].fillna("").astype(str)
    df["rewrite"] = df["rewrite"].fillna("").astype(str)
    return df


def rewrites_summary(rewrites: pd.DataFrame) -> dict[str, Any]:
    """Counts and means of a checked rewrites table (for the report and the sidecar)."""
    acc = rewrites[rewrites["accepted"]]
    mean = lambda s: as_number(s.mean()) if len(s) else None  # noqa: E731
    return {
        "n_rewrites": int(len(rewrites)), "n_accepted": int(len(acc)),
        "mean_gap_before": mean(rewrites["gap_before"]), "mean_gap_after": mean(rewrites["gap_after"]),
        "mean_gap_before_accepted": mean(acc["gap_before"]), "mean_gap_after_accepted": mean(acc["gap_after"]),
        "mean_meaning_score": mean(rewrites["meaning_score"]),
        # the audit's gap of every attribute the rewriter watched (columns gap_before_<attribute>)
        "by_attribute": [{"attribute": c[len("gap_before_"):], "mean_gap_before_accepted": mean(acc[c]),
                          "mean_gap_after_accepted": mean(acc["gap_after_" + c[len("gap_before_"):]])}
                         for c in rewrites.columns
                         if c.startswith("gap_before_") and "gap_after_" + c[len("gap_before_"):] in rewrites],
    }


def build_sidecar(before: AuditResult, after: AuditResult | None = None,
                  rewrites: pd.DataFrame | None = None) -> dict[str, Any]:
    """The numbers behind a report, as one JSON-ready dict."""
    rw = check_rewrites(rewrites)
    return {
        "schema": SIDECAR_SCHEMA,
        "generator": f"fairaudit {__version__}",
        "before": before.to_dict(),
        "after": after.to_dict() if after is not None else None,
        "rewrites": None if rw is None else {
            "summary": rewrites_summary(rw),
            "rows": json.loads(rw[list(REPORT_COLUMNS)].to_json(orient="records", force_ascii=False)),
        },
    }


def sidecar_bytes(before: AuditResult, after: AuditResult | None = None,
                  rewrites: pd.DataFrame | None = None) -> bytes:
    """Canonical serialisation of :func:`build_sidecar` (sorted keys, UTF-8, final newline)."""
    return (json.dumps(build_sidecar(before, after, rewrites), indent=2, sort_keys=True,
                       ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
