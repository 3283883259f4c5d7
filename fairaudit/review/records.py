"""A stored review as plain data, and the history as one tidy table.

:class:`ReviewRecord` is what :class:`~fairaudit.review.history.HistoryStore` reads back;
:func:`history_frame` flattens records into the rows of :data:`HISTORY_TABLE` (the
CSV export). Both are re-exported by :mod:`fairaudit.review.history`.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from ..data.tables import TableSchema
from ..errors import ConfigError, HistoryError
from .tables import METRICS

#: The CSV export (:meth:`HistoryStore.export`): one row per review, stage, k and attribute; a review
#: without metrics (one that failed or is still running) has one row with those columns empty.
HISTORY_TABLE = TableSchema("history export", {
    "review_id": "int", "period": "text", "period_start": "text", "version": "int", "status": "text",
    "created_at": "text", "config_hash": "text", "report_path": "text", "report_sha256": "text",
    "message": "text", "stage": "text", "k": "int", "attribute": "text", **{m: "float" for m in METRICS}})


@dataclass
class ReviewRecord:
    """One review as stored (metrics as tidy rows).

    Parameters
    ----------
    id : int
        The review's id in the database.
    period : str
        The period reviewed, in its one spelling (e.g. ``"2026-Q4"``).
    period_start : datetime.date
        The first day of the period (reviews are ordered by it).
    version : int
        1, 2, ... per period: a rerun of a period is a new version, never an overwrite.
    status : {"running", "pass", "breach", "error"}
        ``running`` until the review finishes or fails.
    created_at : datetime.datetime
        When the review started (UTC).
    finished_at : datetime.datetime or None, default None
        When it finished or failed (UTC); None while running.
    config_hash : str or None, default None
        Hash of the review's configuration (:func:`~fairaudit.review.config_hash`).
    input_hashes : dict of str to str, default {}
        sha256 of the inputs, ``{"jobs": ..., "candidates": ...}``.
    report_path : str or None, default None
        The signed report written by the review.
    report_sha256 : str or None, default None
        sha256 of that report file.
    breaches : list of dict, default []
        The broken rules (:meth:`fairaudit.review.Breach.to_dict`); empty for a pass.
    fairaudit_version : str or None, default None
        The fairaudit version that ran the review.
    message : str or None, default None
        A free message (the error of a failed review, at most 2,000 characters).
    metrics : list of dict, default []
        One row per stage, k and attribute with the :data:`METRICS`.
    """

    id: int
    period: str
    period_start: dt.date
    version: int
    status: str
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    config_hash: str | None = None
    input_hashes: dict[str, str] = field(default_factory=dict)
    report_path: str | None = None
    report_sha256: str | None = None
    breaches: list[dict[str, Any]] = field(default_factory=list)
    fairaudit_version: str | None = None
    message: str | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["period_start"] = self.period_start.isoformat()
        d["created_at"] = iso_utc(self.created_at)
        d["finished_at"] = iso_utc(self.finished_at)
        return d


def iso_utc(t: dt.datetime | None) -> str | None:
    """``t`` in ISO 8601, a naive time read as UTC (SQLite drops the zone; everything is stored in UTC)."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat()


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


def float_or_none(v: Any) -> float | None:
    """``v`` as a finite float, or None (missing, not a number, NaN or infinite)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def metric_row(review_id: int, m: Mapping[str, Any]) -> dict[str, Any]:
    """One stored metrics row of review ``review_id``: stage, k, attribute and each of :data:`METRICS`.

    Parameters
    ----------
    review_id : int
        The review the row belongs to.
    m : mapping
        A row of :func:`~fairaudit.review.metric_rows`: integer ``k``, ``attribute``,
        optional ``stage`` (default ``"before"``) and the metrics (missing or
        non-finite values are stored as NULL).

    Raises
    ------
    HistoryError
        No integer ``k`` or no ``attribute``.
    """
    try:
        row = {"review_id": review_id, "stage": str(m.get("stage", "before")),
               "k": int(m["k"]), "attribute": str(m["attribute"])}
    except (KeyError, TypeError, ValueError):
        raise HistoryError(f"metric row {dict(m)!r} needs integer `k` and an `attribute`") from None
    for name in METRICS:
        row[name] = float_or_none(m.get(name))
    return row


def history_frame(recs: Sequence[ReviewRecord], *, latest_only: bool = False,
                  without_metrics: bool = False) -> pd.DataFrame:
    """The metrics of ``recs`` as one tidy table (see :meth:`~fairaudit.review.history.HistoryStore.frame`).

    Parameters
    ----------
    recs : sequence of ReviewRecord
        Reviews ordered by period start, then version.
    latest_only : bool, default False
        Keep only the newest version of each period.
    without_metrics : bool, default False
        Give a review without metrics one row with stage, k, attribute and the metrics empty.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`HISTORY_TABLE`, the metrics as float.
    """
    recs = list(recs)
    if latest_only:
        latest: dict[str, ReviewRecord] = {}
        for r in recs:
            if r.period not in latest or r.version > latest[r.period].version:
                latest[r.period] = r
        recs = [r for r in recs if latest[r.period] is r]
    rows = []
    for r in recs:
        base = {"review_id": r.id, "period": r.period, "period_start": r.period_start,
                "version": r.version, "status": r.status, "created_at": iso_utc(r.created_at),
                "config_hash": r.config_hash, "report_path": r.report_path,
                "report_sha256": r.report_sha256, "message": r.message}
        rows.extend({**base, **m} for m in (r.metrics or ([{}] if without_metrics else [])))
    df = pd.DataFrame(rows, columns=list(HISTORY_TABLE.columns))
    for m in METRICS:
        df[m] = df[m].astype(float)
    return df


def export_records(recs: Sequence[ReviewRecord], path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write reviews as CSV (tidy metric rows, :data:`HISTORY_TABLE`) or JSON (nested reviews), atomically.

    Parameters
    ----------
    recs : sequence of ReviewRecord
        The reviews, every status (a failed review gets one CSV row without metrics).
    path : str or os.PathLike
        The file to write.
    fmt : {"csv", "json"}, optional
        The format; default the suffix of ``path``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ConfigError
        Another format.
    """
    from ..atomic import atomic_open

    p = Path(path)
    fmt = (fmt or p.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "json"):
        raise ConfigError(f"cannot export history as {fmt or 'an unknown format'!r}; use csv or json")
    if fmt == "csv":
        with atomic_open(p, "w") as fh:
            HISTORY_TABLE.write(history_frame(recs, without_metrics=True), fh)
    else:
        data = {"schema": "fairaudit.review_history/1", "reviews": [r.to_dict() for r in recs]}
        with atomic_open(p, "w") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False, default=str)
            fh.write("\n")
    return p
