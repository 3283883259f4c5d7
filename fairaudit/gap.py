"""Score the gap of arbitrary job texts under a recommender (audit, drivers, reward).

:class:`GapScorer` is the audit's own per-job fairness measure packaged for
re-use: give it texts, it ranks the candidate pool with the same
:func:`~fairaudit.recommenders.base.rank` and measures the top-k mix with the
same :func:`~fairaudit.measure.job_gaps` as the audit. The rewriting reward and
the counterfactual drivers call it, so "improving the gap" always means the
number the audit reports.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from .groups import encode
from .measure import job_gaps, resolve_target
from .recommenders.base import Recommender, rank


class GapScorer:
    """Per-text gap between the top-k group mix and a target.

    Parameters
    ----------
    recommender : Recommender
    candidates : DataFrame
        Canonical candidates table (``text`` plus the attribute column).
    k : int
    target : "pool" | "uniform" | mapping
    attribute : str, default "sex"
    fit : bool, default True
        Fit the recommender on ``candidates.text`` (skip if it already is).

    Notes
    -----
    The gap is W1 for a two-group attribute (AutoRefine's measure) and the
    total variation distance otherwise; both lie in [0, 1], lower is fairer.
    """

    def __init__(self, recommender: Recommender, candidates: pd.DataFrame, k: int = 50,
                 target: Any = "pool", attribute: str = "sex", fit: bool = True,
                 use_inferred: bool = False, block_size: int = 256):
        self.recommender = recommender
        self.k = int(k)
        self.attribute = attribute
        self.encoding = encode(candidates, attribute, use_inferred)
        self.target = resolve_target(target, self.encoding)
        self.n_candidates = len(candidates)
        self.block_size = block_size
        if fit:
            recommender.fit(candidates["text"].astype(str).tolist())

    @property
    def labels(self) -> tuple[str, ...]:
        return self.encoding.labels

    def topk(self, texts: Sequence[str]) -> np.ndarray:
        """Top-k candidate rows for each text, (n_texts, k)."""
        r = rank(self.recommender, list(texts), self.k, None, n_candidates=self.n_candidates,
                 block_size=self.block_size)
        return r.indices

    def mix(self, texts: Sequence[str]) -> np.ndarray:
        """Shares of each known group in each text's top-k, (n_texts, n_groups)."""
        return job_gaps(self.topk(texts), self.encoding, self.target).shares

    def gaps(self, texts: Sequence[str]) -> np.ndarray:
        """Gap of each text, (n_texts,), in [0, 1]; NaN if no known member is in the top-k."""
        if len(texts) == 0:
            return np.zeros(0)
        return job_gaps(self.topk(texts), self.encoding, self.target).gaps

    def paper_scores(self, texts: Sequence[str]) -> np.ndarray:
        """AutoRefine's score, -100 x gap."""
        return -100.0 * self.gaps(texts)
