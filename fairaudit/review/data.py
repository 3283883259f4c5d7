"""A review's inputs: the jobs and candidates of its ``[source]`` and the recommender of its ``[recommender]``.

Files and SQL queries are read by :mod:`fairaudit.data.io`, then mapped to the
canonical columns and validated the same way; ``python = "module:attr"``
recommenders are imported here (:func:`import_object`).
"""
from __future__ import annotations

import importlib
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ..data.io import ColumnMap, load_candidates, load_jobs, read_sql, validate_candidates, validate_jobs
from .config import FilesSource, ReviewConfig, SqlSource, SyntheticSource, expand_env

__all__ = ["load_review_data", "build_recommender", "import_object"]


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
    raise ConfigError(f"unknown source kind {getattr(src, 'kind', src)!r}")  # pragma: no cover


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
