"""The ``log`` source of a review: a recommender's historical output, audited with :func:`fairaudit.audit_log`.

From files::

    [source]
    kind = "log"
    log = "recs.parquet"          # job_id, candidate_id, rank and/or score and/or selected
    candidates = "people.csv"     # candidate_id, sex, race_ethnicity (profile texts not needed)
    jobs = "jobs.csv"             # optional: titles for the per-job table

or from SQL queries on one database (``url`` may reference ``${NAME}``)::

    [source]
    kind = "log"
    url = "postgresql://auditor@db/hr"
    log_query = "select job_id, candidate_id, rank, score from recommendations where ..."
    candidates_query = "select candidate_id, sex, race_ethnicity from applicants"

A log review runs no recommender (no ``[recommender]``) and rewrites nothing
(rewriting ranks the rewritten texts); its per-job target is each job's own
candidates (``target = "own"``) unless ``[audit] target`` says otherwise.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["LogSource"]

_FILES = ("log", "candidates", "jobs", "sep")
_SQL = ("url", "log_query", "candidates_query", "jobs_query")


class LogSource(BaseModel):
    """A recommender's historical output from files (``log``, ``candidates``, ``jobs``) or SQL (see the module).

    ``sep``: field delimiter of CSV/TSV files. With SQL, ``jobs_query`` is optional.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["log"]
    log: Optional[Path] = None
    candidates: Optional[Path] = None
    jobs: Optional[Path] = None
    sep: Optional[str] = Field(None, min_length=1)
    url: Optional[str] = Field(None, min_length=1)
    log_query: Optional[str] = Field(None, min_length=1)
    candidates_query: Optional[str] = Field(None, min_length=1)
    jobs_query: Optional[str] = Field(None, min_length=1)

    @property
    def sql(self) -> bool:
        """Whether the log is read with SQL queries (else from files)."""
        return self.url is not None

    @model_validator(mode="after")
    def _files_or_sql(self) -> "LogSource":
        files = [f for f in _FILES if getattr(self, f) is not None]
        sql = [f for f in _SQL if getattr(self, f) is not None]
        if files and sql:
            raise ValueError(f"give files ({', '.join(_FILES[:3])}) or SQL ({', '.join(_SQL)}), not both "
                             f"(got {files[0]} and {sql[0]})")
        needed = ("url", "log_query", "candidates_query") if sql else ("log", "candidates")
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a log source {'from SQL ' if sql else ''}needs {' and '.join(needed)}; "
                             f"{missing[0]} is missing")
        return self
