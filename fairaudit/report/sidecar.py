"""The JSON sidecar of a report: every number behind it, in one canonical document.

Its SHA-256 goes into the PDF's metadata before signing, and ``fairaudit
verify`` checks a sidecar against it. The rewrites table is checked here
against the schema of ``fairaudit.data.rewrites_table`` (the report and the sidecar
read the same normalised table).
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..errors import DataError, ReportError
from ..engine.result import AuditResult
from ..data.rewrites_table import REPORT_COLUMNS, REWRITES
from ..version import __version__
from .effects import rewrite_effects
from .format import as_number

SIDECAR_SCHEMA = "fairaudit-report/1"


def check_rewrites(rewrites: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rewrites table with its schema's types (:data:`fairaudit.data.rewrites_table.REWRITES`).

    ``accepted`` is a boolean, the gaps and the meaning score numbers, the ids and
    texts text, whether the table was built in memory or read from a file.

    Raises
    ------
    ReportError
        Not a DataFrame, a column of :data:`fairaudit.data.rewrites_table.REPORT_COLUMNS`
        is missing, or a cell is not of its column's kind (the message names the
        column and the row).
    """
    if rewrites is None:
        return None
    if not isinstance(rewrites, pd.DataFrame):
        raise ReportError(f"rewrites must be a DataFrame, got {type(rewrites).__name__}")
    try:
        return REWRITES.coerce(rewrites, source="given to the report")
    except DataError as exc:
        raise ReportError(f"{exc} (a rewrites table is written by `fairaudit rewrite`)") from None


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
        "by_attribute": [_by_attribute(rewrites, acc, c[len("gap_before_"):], mean) for c in rewrites.columns
                         if c.startswith("gap_before_") and "gap_after_" + c[len("gap_before_"):] in rewrites],
    }


def _by_attribute(rewrites: pd.DataFrame, acc: pd.DataFrame, a: str, mean) -> dict[str, Any]:
    out = {"attribute": a, "mean_gap_before_accepted": mean(acc["gap_before_" + a]),
           "mean_gap_after_accepted": mean(acc["gap_after_" + a]),
           "mean_gap_before": mean(rewrites["gap_before_" + a]), "mean_gap_after": mean(rewrites["gap_after_" + a])}
    if "text_driven_" + a in rewrites:  # some wording of the job moves this gap (the rewriter's occlusion)
        td = rewrites["text_driven_" + a].astype(str).str.strip().str.lower().isin(("true", "1"))
        out.update(n_text_driven=int(td.sum()), n_jobs=int(len(td)))
    return out


def build_sidecar(before: AuditResult, after: AuditResult | None = None,
                  rewrites: pd.DataFrame | None = None) -> dict[str, Any]:
    """The numbers behind a report, as one JSON-ready dict.

    Parameters
    ----------
    before : AuditResult
        The audit (the baseline of a comparison).
    after : AuditResult, optional
        A re-audit after rewriting.
    rewrites : DataFrame, optional
        A rewrites table (``fairaudit.data.rewrites_table``), validated here.

    Returns
    -------
    dict
        ``schema``, ``generator``, ``before`` and ``after`` (each
        :meth:`~fairaudit.AuditResult.to_dict`) and ``rewrites`` (summary,
        effects per attribute, rows), None where not given.
    """
    rw = check_rewrites(rewrites)
    return {
        "schema": SIDECAR_SCHEMA,
        "generator": f"fairaudit {__version__}",
        "before": before.to_dict(),
        "after": after.to_dict() if after is not None else None,
        "rewrites": None if rw is None else {
            "summary": rewrites_summary(rw),
            # per attribute: what the rewriting changed and whether the gap is text-driven (the audit's cause)
            "effects": rewrite_effects(rewrites_summary(rw)["by_attribute"], before.summary.get("causes")),
            "rows": json.loads(rw[list(REPORT_COLUMNS)].to_json(orient="records", force_ascii=False)),
        },
    }


def sidecar_bytes(before: AuditResult, after: AuditResult | None = None,
                  rewrites: pd.DataFrame | None = None) -> bytes:
    """Canonical serialisation of :func:`build_sidecar` (sorted keys, UTF-8, final newline).

    The bytes are deterministic, so their sha256 (recorded in the signed PDF)
    identifies the numbers.

    Parameters
    ----------
    before, after, rewrites
        As for :func:`build_sidecar`.

    Returns
    -------
    bytes
    """
    return (json.dumps(build_sidecar(before, after, rewrites), indent=2, sort_keys=True,
                       ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
