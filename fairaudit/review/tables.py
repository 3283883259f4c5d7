"""The history's tables (SQLAlchemy 2.x Core); :mod:`.history` reads and writes them.

Three tables:

``fairaudit_reviews``
    one row per review run: ``period``, ``period_start``, ``version`` (1, 2, ...
    per period: a rerun of a period is a new version, never an overwrite),
    ``status`` (``running`` -> ``pass`` | ``breach`` | ``error``),
    ``created_at`` / ``finished_at`` (UTC), ``config_hash``, ``input_hashes``
    (JSON: sha256 of jobs and candidates), ``report_path``, ``report_sha256``,
    ``breaches`` (JSON), ``fairaudit_version`` and a free ``message``.
``fairaudit_review_spreads``
    per review and stage, every figure the next review compares with its
    two-way bootstrap resamples (below).
``fairaudit_review_metrics``
    the audit summary of each review, one row per ``stage`` (``before``, and
    ``after`` when job texts were rewritten), ``k`` and ``attribute``:
    ``min_impact_ratio``, ``dp_difference``, ``match_rate``, ``paper_score``,
    ``mean_gap``.

``fairaudit_review_spreads`` (added with
schema 3 of the audit) holds, per review and stage, what the change test of the
next review needs: every compared figure and its two-way bootstrap resamples
(:class:`fairaudit.metrics.change.ChangeSpread`, as JSON). A history written
before it has no such rows; ``create_all`` adds the table to an existing
database, and the changes against those older reviews are reported as not
judged against chance.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..metrics.better import better

__all__ = ["METRICS", "STATUSES", "metadata", "reviews", "review_metrics", "review_spreads"]

#: Metrics kept per (stage, k, attribute), with the direction that is better
#: (from ``fairaudit.metrics.better.BETTER``, the one table of directions).
METRICS: dict[str, str] = {m: "higher" if better(m) > 0 else "lower"
                           for m in ("min_impact_ratio", "dp_difference", "match_rate", "paper_score", "mean_gap")}
STATUSES = ("running", "pass", "breach", "error")

metadata = sa.MetaData()

reviews = sa.Table(
    "fairaudit_reviews", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(32), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("config_hash", sa.String(64), nullable=True),
    sa.Column("input_hashes", sa.JSON, nullable=True),
    sa.Column("report_path", sa.Text, nullable=True),
    sa.Column("report_sha256", sa.String(64), nullable=True),
    sa.Column("breaches", sa.JSON, nullable=True),
    sa.Column("fairaudit_version", sa.String(32), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.UniqueConstraint("period", "version", name="uq_fairaudit_reviews_period_version"),
)

review_metrics = sa.Table(
    "fairaudit_review_metrics", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("review_id", sa.Integer, sa.ForeignKey("fairaudit_reviews.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("k", sa.Integer, nullable=False),
    sa.Column("attribute", sa.String(64), nullable=False),
    *[sa.Column(m, sa.Float, nullable=True) for m in METRICS],
    sa.UniqueConstraint("review_id", "stage", "k", "attribute", name="uq_fairaudit_metrics_row"),
)

review_spreads = sa.Table(
    "fairaudit_review_spreads", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("review_id", sa.Integer, sa.ForeignKey("fairaudit_reviews.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("spread", sa.JSON, nullable=False),
    sa.UniqueConstraint("review_id", "stage", name="uq_fairaudit_spreads_row"),
)
