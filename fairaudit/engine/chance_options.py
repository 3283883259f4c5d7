"""The significance settings of an audit (permutations, strata, alpha) and the strata codes.

The defaults live in :class:`fairaudit.engine.result.AuditConfig`; the API, the CLI and
the review read them from there.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .result import AuditConfig


def chance_options(n_permutations: int | None, strata: Sequence[str] | str | None, alpha: float | None,
                   candidates: pd.DataFrame, streamed: bool = False) -> dict[str, Any]:
    """The significance settings as AuditConfig fields (defaults from AuditConfig), validated."""
    defaults = AuditConfig()
    n = defaults.n_permutations if n_permutations is None else n_permutations
    a = defaults.alpha if alpha is None else alpha
    cols = (strata,) if isinstance(strata, str) else tuple(strata or defaults.strata)
    if isinstance(a, bool) or not isinstance(a, (int, float)) or not 0 < a < 0.5:
        raise ConfigError(f"alpha must be a number in (0, 0.5), e.g. 0.05; got {a!r}")
    least = int(np.ceil(1 / a)) - 1  # fewer permutations cannot give p <= alpha
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or (n != 0 and n < least):
        raise ConfigError(f"n_permutations must be 0 (no significance) or at least {least} at alpha={a:g} "
                          f"(1,000 or more recommended); got {n!r}")
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
