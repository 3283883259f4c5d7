"""The significance settings of an audit (permutations, strata, alpha) and the strata codes.

With per-job candidate sets (a log, or ``candidate_sets``) a ``strata`` column may
also be a column of the jobs table, e.g. the job's occupation: it groups the
jobs for the blocks of the person-level chance level
(:mod:`fairaudit.engine.person_null`). Such an audit uses the jobs table's
``occupation`` column by default when ``strata`` is not given.

The defaults and rules live in :mod:`fairaudit.options` (owned by
:class:`fairaudit.AuditConfig`); the API, the CLI and the review read them from there.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..options import check_n_permutations
from .result import AuditConfig


#: The jobs-table column an audit of candidate sets groups jobs by when ``strata`` is not given.
JOB_GROUP_DEFAULT = "occupation"


def chance_options(n_permutations: int | None, strata: Sequence[str] | str | None, alpha: float | None,
                   candidates: pd.DataFrame, streamed: bool = False, jobs: pd.DataFrame | None = None
                   ) -> dict[str, Any]:
    """The significance settings as AuditConfig fields (defaults from AuditConfig), validated.

    Parameters
    ----------
    n_permutations, strata, alpha
        As given to the audit (None: the default).
    candidates : DataFrame
        The candidates table, whose columns ``strata`` may name.
    streamed : bool
        Whether the candidates are streamed (no strata then).
    jobs : DataFrame, optional
        The jobs table of an audit of candidate sets: ``strata`` may name its
        columns too, and its ``occupation`` column is the default.
    """
    defaults = AuditConfig()
    n = defaults.n_permutations if n_permutations is None else n_permutations
    a = defaults.alpha if alpha is None else alpha
    cols = (strata,) if isinstance(strata, str) else tuple(strata or defaults.strata)
    if strata is None and jobs is not None and JOB_GROUP_DEFAULT in jobs.columns:
        cols = (JOB_GROUP_DEFAULT,)
    check_n_permutations(n, a)  # the config's own rule (fairaudit.options), checked before any data is read
    if cols and streamed:
        raise ConfigError("strata need candidate columns that a streamed Parquet audit does not load; "
                          "use backend='local' or no strata")
    missing = [c for c in cols if c not in candidates.columns and (jobs is None or c not in jobs.columns)]
    if missing:
        where = "the candidates or the jobs" if jobs is not None else "the candidates"
        have = sorted(map(str, candidates.columns)) + ([] if jobs is None else sorted(map(str, jobs.columns)))
        raise ConfigError(f"strata column(s) {missing} are not in {where}; they have {have}")
    return {"n_permutations": int(n), "strata": cols, "alpha": float(a)}


def job_groups(jobs: pd.DataFrame | None, columns: Sequence[str], candidates: pd.DataFrame) -> dict[str, int] | None:
    """Job id -> group code over the ``strata`` columns that are the jobs table's, not the candidates' (None: none).

    Parameters
    ----------
    jobs : DataFrame or None
        The jobs table.
    columns : sequence of str
        The audit's strata columns.
    candidates : DataFrame
        The candidates table (a column it has is a candidate stratum, not a job group).
    """
    cols = [c for c in columns if c not in candidates.columns]
    if jobs is None or not cols:
        return None
    return dict(zip(jobs["job_id"].astype(str), strata_codes(jobs, cols).tolist()))


def strata_codes(candidates: pd.DataFrame, columns: Sequence[str]) -> np.ndarray | None:
    """One integer per row of ``candidates`` (or any table) for the combination of its ``columns`` values.

    None without columns.
    """
    if not columns:
        return None
    keys = candidates[list(columns)].astype(str).agg("\x1f".join, axis=1)
    return pd.factorize(keys, sort=True)[0].astype(np.int64)
