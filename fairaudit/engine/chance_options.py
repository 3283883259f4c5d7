"""The significance settings of an audit (permutations, strata, alpha) and the strata codes.

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


def chance_options(n_permutations: int | None, strata: Sequence[str] | str | None, alpha: float | None,
                   candidates: pd.DataFrame, streamed: bool = False) -> dict[str, Any]:
    """The significance settings as AuditConfig fields (defaults from AuditConfig), validated."""
    defaults = AuditConfig()
    n = defaults.n_permutations if n_permutations is None else n_permutations
    a = defaults.alpha if alpha is None else alpha
    cols = (strata,) if isinstance(strata, str) else tuple(strata or defaults.strata)
    check_n_permutations(n, a)  # the config's own rule (fairaudit.options), checked before any data is read
    if cols and streamed:
        raise ConfigError("strata need candidate columns that a streamed Parquet audit does not load; "
                          "use backend='local' or no strata")
    missing = [c for c in cols if c not in candidates.columns]
    if missing:
        raise ConfigError(f"strata column(s) {missing} are not in the candidates; they have "
                          f"{sorted(map(str, candidates.columns))}")
    return {"n_permutations": int(n), "strata": cols, "alpha": float(a)}


def strata_codes(candidates: pd.DataFrame, columns: Sequence[str]) -> np.ndarray | None:
    """One integer per candidate for the combination of its ``columns`` values (None without columns)."""
    if not columns:
        return None
    keys = candidates[list(columns)].astype(str).agg("\x1f".join, axis=1)
    return pd.factorize(keys, sort=True)[0].astype(np.int64)
