"""The review history: every review ever run, in any SQLAlchemy database.

The three tables (reviews, their metrics, their change spreads) are described in
:mod:`.tables`, which defines them.

Concurrency. The version of a new review is ``max(version) + 1`` for its
period, read and inserted in one transaction; a unique constraint on
``(period, version)`` makes a concurrent duplicate fail, and the transaction is
retried. On SQLite the store uses WAL journaling, a busy timeout and
``BEGIN IMMEDIATE`` (the write lock is taken before reading the maximum), so
two processes writing the same file wait for each other instead of failing.

Retention. :meth:`HistoryStore.prune` keeps the most recent *N periods*
(ordered by the period's start date, all versions of a kept period are kept)
and deletes older reviews with their metrics. Report files on disk are never
deleted: they are signed records whose retention is the owner's policy.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from ..errors import ConfigError, FairauditError, HistoryError
from ..data.io import redact_url
from ..paths import sqlite_file
from .database import db_message, make_engine, retry
# the record type and the tidy table have their own module; this one keeps their names
from .records import HISTORY_TABLE, ReviewRecord, export_records, history_frame, metric_row, utc_now
from .tables import METRICS, metadata, review_metrics, review_spreads, reviews

__all__ = ["HistoryStore", "ReviewRecord", "METRICS", "HISTORY_TABLE", "open_store"]

T = TypeVar("T")
_log = logging.getLogger(__name__)

class HistoryStore:
    """Reviews and their metrics in a SQL database.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL, e.g. ``sqlite:///review-out/history.sqlite`` or
        ``postgresql://user:password@host:5432/db``.
    create : bool
        Create the database (SQLite) and the tables when missing (default). With
        False a missing database or one without fairaudit's tables is a
        :class:`~fairaudit.errors.HistoryError`, so a mistyped path is not
        silently an empty history.

    Examples
    --------
    >>> store = HistoryStore("sqlite:///:memory:")            # doctest: +SKIP
    >>> rec = store.add("2026-Q4", metrics=rows, status="pass")  # doctest: +SKIP
    """

    def __init__(self, url: str, *, create: bool = True):
        self.url = url
        db = sqlite_file(url)
        if not create and db is not None and not db.is_file():  # before connecting creates it
            raise HistoryError(f"no history database at {db}; check the path, or pass --create to start one")
        self.engine = make_engine(url)
        if create:
            self._create_tables()
        elif not self._guard(lambda: sa.inspect(self.engine).has_table(reviews.name)):
            self.engine.dispose()
            raise HistoryError(f"{redact_url(url)} holds no fairaudit review history; check the URL, "
                               "or pass --create to start one")

    # -- setup ----------------------------------------------------------------
    def _create_tables(self) -> None:
        def create() -> None:
            # two processes creating the schema at once: the loser sees a
            # duplicate (IntegrityError on PostgreSQL's catalog) and retries,
            # after which checkfirst finds the tables
            metadata.create_all(self.engine, checkfirst=True)

        try:
            retry(create, f"cannot create the history tables in {redact_url(self.url)}")
        except sa.exc.ProgrammingError as exc:
            if "already exists" in str(exc):
                metadata.create_all(self.engine, checkfirst=True)
            else:
                raise HistoryError(f"cannot create the history tables in {redact_url(self.url)}: "
                                   f"{db_message(exc)}") from None
        except DBAPIError as exc:
            raise HistoryError(f"cannot open the history database {redact_url(self.url)}: "
                               f"{db_message(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({redact_url(self.url)!r})"

    # -- writing ----------------------------------------------------------------
    def start(self, period: str, *, config_hash: str | None = None,
              input_hashes: Mapping[str, str] | None = None,
              fairaudit_version: str | None = None) -> ReviewRecord:
        """Record that a review of ``period`` started; allocate its version.

        The row has status ``running`` until :meth:`finish` or :meth:`fail`. The period is
        stored in its one spelling; one that has not begun is refused
        (``fairaudit.review.period.reviewable_period()``).

        Parameters
        ----------
        period : str
            The period reviewed, e.g. ``"2026-Q4"`` or ``"2026-11"``.
        config_hash : str, optional
            Hash of the review's configuration.
        input_hashes : mapping of str to str, optional
            sha256 of the inputs, ``{"jobs": ..., "candidates": ...}``.
        fairaudit_version : str, optional
            The fairaudit version running the review.

        Returns
        -------
        ReviewRecord
            The new row: its id and version.
        """
        from .period import period_start, reviewable_period

        period = reviewable_period(period)  # one spelling per period, and none still to come
        start_date = period_start(period)

        def tx() -> ReviewRecord:
            with self.engine.begin() as conn:
                current = conn.execute(
                    sa.select(sa.func.max(reviews.c.version)).where(reviews.c.period == period)
                ).scalar()
                version = int(current or 0) + 1
                now = utc_now()
                values = dict(period=period, period_start=start_date, version=version,
                              status="running", created_at=now, config_hash=config_hash,
                              input_hashes=dict(input_hashes or {}), breaches=[],
                              fairaudit_version=fairaudit_version)
                rid = conn.execute(reviews.insert().values(**values)).inserted_primary_key[0]
            return ReviewRecord(id=int(rid), **values)

        return self._guard(lambda: retry(tx, f"cannot record a review of {period}"))

    def finish(self, review_id: int, *, status: str, metrics: Iterable[Mapping[str, Any]] = (),
               report_path: str | None = None, report_sha256: str | None = None,
               breaches: Sequence[Mapping[str, Any]] = (), input_hashes: Mapping[str, str] | None = None,
               message: str | None = None, spreads: Mapping[str, Mapping[str, Any]] | None = None) -> ReviewRecord:
        """Store the metrics and outcome of a started review (one transaction).

        Parameters
        ----------
        review_id : int
            The id :meth:`start` returned.
        status : {"pass", "breach"}
            The outcome.
        metrics : iterable of mapping, default ()
            One row per stage, k and attribute (:func:`~fairaudit.review.metric_rows`);
            replaces any stored before.
        report_path, report_sha256 : str, optional
            The signed report and its sha256.
        breaches : sequence of mapping, default ()
            The broken rules (:meth:`fairaudit.review.Breach.to_dict`).
        input_hashes : mapping of str to str, optional
            Replaces the hashes given to :meth:`start` when not None.
        message : str, optional
            A free message stored with the review.
        spreads : mapping, optional
            Per stage, what the next review's change test needs
            (``fairaudit.metrics.change.ChangeSpread.to_dict()``); see :meth:`spreads`.

        Returns
        -------
        ReviewRecord
            The review as now stored.

        Raises
        ------
        ValueError
            Another status.
        HistoryError
            The review is not in the history, or the database fails.
        """
        if status not in ("pass", "breach"):
            raise ValueError(f"status must be 'pass' or 'breach', got {status!r}")
        rows = [metric_row(review_id, m) for m in metrics]
        spread_rows = [{"review_id": review_id, "stage": str(st), "spread": dict(sp)}
                       for st, sp in (spreads or {}).items()]

        def tx() -> None:
            with self.engine.begin() as conn:
                values: dict[str, Any] = dict(status=status, finished_at=utc_now(), report_path=report_path,
                                              report_sha256=report_sha256,
                                              breaches=[dict(b) for b in breaches], message=message)
                if input_hashes is not None:
                    values["input_hashes"] = dict(input_hashes)
                n = conn.execute(reviews.update().where(reviews.c.id == review_id).values(**values)).rowcount
                if n != 1:
                    raise HistoryError(f"review id {review_id} is not in the history (was it pruned?)")
                conn.execute(review_metrics.delete().where(review_metrics.c.review_id == review_id))
                conn.execute(review_spreads.delete().where(review_spreads.c.review_id == review_id))
                if rows:
                    conn.execute(review_metrics.insert(), rows)
                if spread_rows:
                    conn.execute(review_spreads.insert(), spread_rows)

        self._guard(lambda: retry(tx, f"cannot store review {review_id}"))
        return self.get(review_id)

    def fail(self, review_id: int, message: str) -> None:
        """Mark a started review as ``error`` (it stays in the history as a trace).

        Parameters
        ----------
        review_id : int
            The id :meth:`start` returned.
        message : str
            What went wrong (the first 2,000 characters are kept).
        """
        def tx() -> None:
            with self.engine.begin() as conn:
                conn.execute(reviews.update().where(reviews.c.id == review_id)
                             .values(status="error", finished_at=utc_now(), message=message[:2000]))

        self._guard(lambda: retry(tx, f"cannot mark review {review_id} as failed"))

    def add(self, period: str, *, status: str, metrics: Iterable[Mapping[str, Any]] = (),
            **kwargs: Any) -> ReviewRecord:
        """Start and finish a review in one call (for imports and tests).

        Parameters
        ----------
        period : str
            As for :meth:`start`.
        status : {"pass", "breach"}
            As for :meth:`finish`.
        metrics : iterable of mapping, default ()
            As for :meth:`finish`.
        **kwargs
            The other options of :meth:`start` and :meth:`finish`.

        Returns
        -------
        ReviewRecord
        """
        start_kw = {k: kwargs.pop(k) for k in ("config_hash", "fairaudit_version") if k in kwargs}
        if "input_hashes" in kwargs:
            start_kw["input_hashes"] = kwargs["input_hashes"]
        rec = self.start(period, **start_kw)
        return self.finish(rec.id, status=status, metrics=metrics, **kwargs)

    # -- reading ----------------------------------------------------------------
    def get(self, review_id: int) -> ReviewRecord:
        recs = self.records(ids=[review_id])
        if not recs:
            raise HistoryError(f"review id {review_id} is not in the history")
        return recs[0]

    def records(self, *, period: str | None = None, ids: Sequence[int] | None = None,
                statuses: Sequence[str] | None = None) -> list[ReviewRecord]:
        """Reviews ordered by period start, then version (with their metrics).

        Parameters
        ----------
        period : str, optional
            Only this period's reviews.
        ids : sequence of int, optional
            Only these review ids.
        statuses : sequence of str, optional
            Only reviews with one of these statuses; default every status.

        Returns
        -------
        list of ReviewRecord
        """
        q = sa.select(reviews).order_by(reviews.c.period_start, reviews.c.period, reviews.c.version)
        if period is not None:
            q = q.where(reviews.c.period == period)
        if ids is not None:
            q = q.where(reviews.c.id.in_(list(ids)))
        if statuses is not None:
            q = q.where(reviews.c.status.in_(list(statuses)))

        def read() -> list[ReviewRecord]:
            with self.engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(q)]
                if not rows:
                    return []
                mq = (sa.select(review_metrics)
                      .where(review_metrics.c.review_id.in_([r["id"] for r in rows]))
                      .order_by(review_metrics.c.review_id, review_metrics.c.stage,
                                review_metrics.c.k, review_metrics.c.attribute))
                by_review: dict[int, list[dict[str, Any]]] = {}
                for m in conn.execute(mq):
                    d = dict(m._mapping)
                    rid = d.pop("review_id")
                    d.pop("id")
                    by_review.setdefault(rid, []).append(d)
            return [ReviewRecord(**{**r, "input_hashes": r["input_hashes"] or {},
                                    "breaches": r["breaches"] or [],
                                    "metrics": by_review.get(r["id"], [])}) for r in rows]

        return self._guard(lambda: retry(read, "cannot read the history"))

    def spreads(self, review_id: int) -> dict[str, dict[str, Any]]:
        """The stored change spreads of a review, by stage (empty for a review stored without them).

        Parameters
        ----------
        review_id : int
            The review's id (``ReviewRecord.id``).
        """
        q = sa.select(review_spreads.c.stage, review_spreads.c.spread).where(review_spreads.c.review_id == review_id)

        def read() -> dict[str, dict[str, Any]]:
            with self.engine.connect() as conn:
                return {r.stage: r.spread for r in conn.execute(q)}

        return self._guard(lambda: retry(read, "cannot read the history"))

    def periods(self) -> list[str]:
        """Distinct periods with at least one review, oldest first."""
        first = sa.func.min(reviews.c.period_start)
        q = sa.select(reviews.c.period, first).group_by(reviews.c.period).order_by(first, reviews.c.period)

        def read() -> list[str]:
            with self.engine.connect() as conn:
                return [r.period for r in conn.execute(q)]

        return self._guard(lambda: retry(read, "cannot read the history"))

    def frame(self, *, latest_only: bool = False, statuses: Sequence[str] = ("pass", "breach"),
              without_metrics: bool = False) -> pd.DataFrame:
        """All stored metrics as one tidy table (one row per review, stage, k, attribute).

        Columns: those of ``HISTORY_TABLE`` (review_id, period, ..., stage, k,
        attribute and the :data:`METRICS`). With ``latest_only`` only the newest
        finished version of each period is kept; with ``without_metrics`` a review
        that has no metrics (a failed one) gets one row with stage, k, attribute
        and the metrics empty.

        Parameters
        ----------
        latest_only : bool, default False
            Keep only the newest version of each period.
        statuses : sequence of str, default ("pass", "breach")
            The statuses of the reviews included (finished ones by default).
        without_metrics : bool, default False
            Include reviews without metrics, one empty row each.

        Returns
        -------
        pandas.DataFrame
        """
        return history_frame(self.records(statuses=statuses), latest_only=latest_only,
                             without_metrics=without_metrics)

    # -- retention and export -----------------------------------------------------
    def prune(self, keep_periods: int, *, dry_run: bool = False) -> list[str]:
        """Delete every review of all but the ``keep_periods`` most recent periods.

        Periods are ordered by their start date; report files on disk are kept.

        Parameters
        ----------
        keep_periods : int
            How many of the most recent periods to keep (at least 1); all versions
            of a kept period are kept.
        dry_run : bool, default False
            Only say which periods would be deleted.

        Returns
        -------
        list of str
            The pruned (or, with ``dry_run``, prunable) period labels, oldest first.
        """
        if int(keep_periods) < 1:
            raise ConfigError(f"keep at least 1 period, got {keep_periods}")
        periods = self.periods()
        drop = periods[:max(0, len(periods) - int(keep_periods))]
        if not drop or dry_run:
            return drop

        def tx() -> None:
            with self.engine.begin() as conn:
                ids = sa.select(reviews.c.id).where(reviews.c.period.in_(drop))
                # explicit child delete: SQLite foreign-key cascades depend on a pragma
                conn.execute(review_metrics.delete().where(review_metrics.c.review_id.in_(ids)))
                conn.execute(review_spreads.delete().where(review_spreads.c.review_id.in_(ids)))
                conn.execute(reviews.delete().where(reviews.c.period.in_(drop)))

        self._guard(lambda: retry(tx, "cannot prune the history"))
        return drop

    def export(self, path: str | os.PathLike, fmt: str | None = None) -> Path:
        """Write the whole history as CSV (tidy metric rows, ``HISTORY_TABLE``) or JSON (nested reviews).

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (atomically).
        fmt : {"csv", "json"}, optional
            The format; default the suffix of ``path``.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        return export_records(self.records(), path, fmt)

    # -- errors -----------------------------------------------------------------
    def _guard(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except FairauditError:
            raise
        except DBAPIError as exc:
            raise HistoryError(f"history database {redact_url(self.url)}: {db_message(exc)}") from None


def open_store(url: str, *, create: bool = True) -> HistoryStore:
    """Open the history at ``url`` (see :class:`HistoryStore`).

    Parameters
    ----------
    url : str
        A SQLAlchemy URL, e.g. ``sqlite:///review-out/history.sqlite``.
    create : bool, default True
        Create the database and tables when missing; with False a missing
        history is a :class:`~fairaudit.errors.HistoryError`.

    Returns
    -------
    HistoryStore
    """
    return HistoryStore(url, create=create)
