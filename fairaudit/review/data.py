"""A review's inputs: the jobs and candidates of its ``[source]`` and the recommender of its ``[recommender]``.

Files and SQL queries are read by :mod:`fairaudit.data.io`, then mapped to the
canonical columns and validated the same way; ``python = "module:attr"``
recommenders are imported here (:func:`import_object`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..data.io import (ColumnMap, load_candidates, load_jobs, read_sql, read_table, validate_candidates,
                       validate_jobs)
from ..data.logs import load_pairs, validate_pairs, validate_people
from .config import FilesSource, LogSource, ReviewConfig, SqlSource, SyntheticSource, expand_env

__all__ = ["load_review_data", "load_review_log", "ReviewLog", "build_recommender", "import_object"]


def _from_files(cfg: ReviewConfig, src: FilesSource) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    jobs = load_jobs(src.jobs, columns=cfg.columns.jobs or None, sep=src.sep)
    cands = load_candidates(src.candidates, columns=cfg.columns.candidates or None, labels=cfg.labels or None,
                            sep=src.sep)
    return jobs, cands, f"files: {src.jobs}, {src.candidates}"


def _from_sql(cfg: ReviewConfig, src: SqlSource) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    frames, where = read_sql(expand_env(src.url, "source.url"),
                             {"jobs": src.jobs_query, "candidates": src.candidates_query}, label="source")
    jobs = validate_jobs(ColumnMap(cfg.columns.jobs, table="jobs").apply(frames["jobs"]), source="jobs_query")
    cands = validate_candidates(ColumnMap(cfg.columns.candidates, table="candidates").apply(frames["candidates"]),
                                source="candidates_query", labels=cfg.labels or None)
    return jobs, cands, f"sql: {where}"


def _synthetic(src: SyntheticSource) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    try:
        from ..data.datasets import make_hiring_data
    except ImportError:
        raise ConfigError("source.kind = \"synthetic\" needs fairaudit.data.datasets.make_hiring_data, "
                          "which is not available in this installation") from None
    try:
        jobs, cands = make_hiring_data(src.n_jobs, src.n_candidates, seed=src.seed, **src.options)
    except TypeError as exc:
        raise ConfigError(f"source.options: {exc}") from None
    return (validate_jobs(jobs, source="synthetic jobs"),
            validate_candidates(cands, source="synthetic candidates"),
            f"synthetic: {src.n_jobs} jobs, {src.n_candidates} candidates, seed {src.seed}")


def load_review_data(cfg: ReviewConfig) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Jobs, candidates and a description of where they came from.

    Raises
    ------
    ConfigError, DataError
        A source that cannot be read, or tables that do not validate.
    """
    src = cfg.source
    if isinstance(src, FilesSource):
        return _from_files(cfg, src)
    if isinstance(src, SqlSource):
        return _from_sql(cfg, src)
    if isinstance(src, SyntheticSource):
        return _synthetic(src)
    if isinstance(src, LogSource):
        raise ConfigError("a log source has a log besides its candidates: read it with load_review_log")
    raise ConfigError(f"unknown source kind {getattr(src, 'kind', src)!r}")  # pragma: no cover


@dataclass(frozen=True)
class ReviewLog:
    """The inputs of a log review: the log, the candidates' categories, the jobs (optional) and where they came from.

    Attributes
    ----------
    log : DataFrame
        Checked pairs (:func:`fairaudit.data.logs.validate_pairs`).
    candidates : DataFrame
        Checked categories (:func:`fairaudit.data.logs.validate_people`).
    jobs : DataFrame or None
        Checked jobs, when the source gives them.
    data_source : str
        A description of the source (passwords hidden).
    """

    log: pd.DataFrame
    candidates: pd.DataFrame
    jobs: pd.DataFrame | None
    data_source: str


def load_review_log(cfg: ReviewConfig) -> ReviewLog:
    """The log, candidates and jobs of a ``log`` source (:mod:`fairaudit.review.log_config`), checked.

    Parameters
    ----------
    cfg : ReviewConfig
        A review whose source is a :class:`~fairaudit.review.log_config.LogSource`.

    Raises
    ------
    ConfigError, DataError
        A source that cannot be read, or tables that do not validate.
    """
    src, labels = cfg.source, cfg.labels or None
    if not isinstance(src, LogSource):
        raise ConfigError(f"source.kind is {getattr(src, 'kind', src)!r}, not \"log\"")
    people_map = ColumnMap(cfg.columns.candidates, table="candidates")
    if not src.sql:
        log = load_pairs(src.log, outcomes=True, sep=src.sep)
        people = validate_people(people_map.apply(read_table(src.candidates, sep=src.sep)), source=str(src.candidates),
                                 labels=labels)
        jobs = None if src.jobs is None else load_jobs(src.jobs, columns=cfg.columns.jobs or None, sep=src.sep)
        where = f"log: {src.log}; candidates: {src.candidates}" + (f"; jobs: {src.jobs}" if src.jobs else "")
        return ReviewLog(log=log, candidates=people, jobs=jobs, data_source=where)
    queries = {"log": src.log_query, "candidates": src.candidates_query,
               **({"jobs": src.jobs_query} if src.jobs_query else {})}
    frames, where = read_sql(expand_env(src.url, "source.url"), queries, label="source")
    jobs = frames.get("jobs")
    return ReviewLog(log=validate_pairs(frames["log"], source="log_query", outcomes=True),
                     candidates=validate_people(people_map.apply(frames["candidates"]), source="candidates_query",
                                                labels=labels),
                     jobs=None if jobs is None else validate_jobs(ColumnMap(cfg.columns.jobs, table="jobs").apply(jobs),
                                                                  source="jobs_query"),
                     data_source=f"log, sql: {where}")


def import_object(spec: str, field_name: str) -> Any:
    """The object named ``"package.module:attr.sub"``; a :class:`ConfigError` naming ``field_name`` if absent."""
    module, _, attr = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"{field_name}: cannot import module {module!r} ({exc})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{field_name}: module {module!r} has no attribute {attr!r}") from None
    return obj


def build_recommender(cfg: ReviewConfig) -> Any:
    """The recommender named by ``[recommender]`` (see :class:`~fairaudit.review.config.RecommenderConfig`)."""
    from ..recommenders import make_recommender

    rc = cfg.recommender
    if rc.name is not None:
        return make_recommender(rc.name, **rc.options)
    obj = import_object(rc.python, "recommender.python")
    if isinstance(obj, type):
        try:
            obj = obj(**rc.options)
        except TypeError as exc:
            raise ConfigError(f"recommender.options: {exc}") from None
        return make_recommender(obj)
    return make_recommender(obj, **rc.options)
