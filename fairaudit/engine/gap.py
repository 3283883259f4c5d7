"""Score the gap of arbitrary job texts under a recommender (audit, drivers, reward).

:class:`GapScorer` is the audit's own per-job fairness measure packaged for
re-use: give it texts, it ranks the candidate pool with the same
:func:`~fairaudit.recommenders.base.rank` and measures the top-k mix with the
same :func:`~fairaudit.engine.measure.job_gaps` as the audit. The rewriting reward and
the counterfactual drivers call it, so "improving the gap" always means the
number the audit reports.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..data.groups import encode
from .measure import job_gaps, resolve_target
from ..metrics.diversity import gap as gap_fn
from ..metrics.diversity import gap_score, random_topk_gap, soft_topk_shares
from ..recommenders.base import Recommender, check_scores, rank


class GapScorer:
    """Per-text gap between the top-k group mix and a target.

    Parameters
    ----------
    recommender : Recommender
        Scores job texts against the candidates (:class:`~fairaudit.recommenders.Recommender`).
    candidates : DataFrame
        Canonical candidates table (``text`` plus the attribute column).
    k : int, default 50
        The cut-off: places of each text's ranking counted as its top-k.
    target : {"pool", "uniform"} or mapping or ndarray, default "pool"
        A spec, resolved here, or a vector already resolved for this attribute
        (``fairaudit.engine.measure.resolve_targets()``: the audit resolves once and passes it on).
    attribute : str, default "sex"
        The protected attribute whose top-k mix is measured.
    fit : bool, default True
        Fit the recommender on ``candidates.text`` (skip if it already is).
    use_inferred : bool, default False
        Use the ``<attribute>_inferred`` column where the self-reported one is
        missing or blank, as :func:`fairaudit.audit` does.
    block_size : int, default 256
        Texts scored at once: peak memory holds ``block_size x n_candidates``
        float64 scores; the results do not depend on it.

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
        """Top-k candidate rows for each text, (n_texts, k).

        Parameters
        ----------
        texts : sequence of str
            Job texts, each ranked against the whole candidate pool.

        Returns
        -------
        ndarray of int, shape (n_texts, k)
            Row positions in ``candidates``, best first (ties broken as in the audit).
        """
        r = rank(self.recommender, list(texts), self.k, None, n_candidates=self.n_candidates,
                 block_size=self.block_size)
        return r.indices

    def mix(self, texts: Sequence[str]) -> np.ndarray:
        """Shares of each known group in each text's top-k, (n_texts, n_groups).

        Parameters
        ----------
        texts : sequence of str
            Job texts, each ranked against the whole candidate pool.

        Returns
        -------
        ndarray of float, shape (n_texts, n_groups)
            Shares among the known members (unknown ones left out); NaN rows when
            none is known.
        """
        return job_gaps(self.topk(texts), self.encoding, self.target).shares

    def gaps(self, texts: Sequence[str]) -> np.ndarray:
        """Gap of each text, (n_texts,), in [0, 1]; NaN if no known member is in the top-k.

        Parameters
        ----------
        texts : sequence of str
            Job texts, each ranked against the whole candidate pool.

        Returns
        -------
        ndarray of float, shape (n_texts,)
        """
        if len(texts) == 0:
            return np.zeros(0)
        return job_gaps(self.topk(texts), self.encoding, self.target).gaps

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """The recommender's raw scores, (n_texts, n_candidates), validated like the audit's.

        Parameters
        ----------
        texts : sequence of str
            Job texts, each ranked against the whole candidate pool.

        Returns
        -------
        ndarray of float, shape (n_texts, n_candidates)
            Finite scores, higher is better (:func:`~fairaudit.recommenders.check_scores`).
        """
        name = getattr(self.recommender, "name", type(self.recommender).__name__)
        return check_scores(self.recommender.score(list(texts)), len(texts), self.n_candidates, name)

    def smooth_mix(self, texts: Sequence[str], temperature: float = 0.5) -> np.ndarray:
        """Temperature-smoothed top-k shares, (n_texts, n_groups) (:func:`~fairaudit.metrics.soft_topk_shares`).

        Parameters
        ----------
        texts : sequence of str
            Job texts, each ranked against the whole candidate pool.
        temperature : float, default 0.5
            The scale-free temperature :math:`\tau` of
            :func:`~fairaudit.metrics.soft_topk_shares` (> 0; towards 0 the hard top-k mix).

        Returns
        -------
        ndarray of float, shape (n_texts, n_groups)
        """
        out = np.empty((len(texts), self.encoding.n_known))
        for s in range(0, len(texts), self.block_size):
            block = list(texts[s:s + self.block_size])
            out[s:s + len(block)] = soft_topk_shares(self.scores(block), self.encoding.codes,
                                                     self.encoding.n_known, self.k, temperature)
        return out

    def smooth_gaps(self, texts: Sequence[str], temperature: float = 0.5) -> np.ndarray:
        """Gap of the smoothed top-k mix to the target, (n_texts,): a low-variance reward signal.

        Changes continuously with the wording (a candidate moving towards rank k
        already counts), so small rewrites get a graded signal instead of 0 or
        one candidate's worth. The audit still reports :meth:`gaps`.

        Parameters
        ----------
        texts : sequence of str
            Job texts, each ranked against the whole candidate pool.
        temperature : float, default 0.5
            The scale-free temperature :math:`\tau` of
            :func:`~fairaudit.metrics.soft_topk_shares` (> 0; towards 0 the hard top-k mix).

        Returns
        -------
        ndarray of float, shape (n_texts,)
        """
        if len(texts) == 0:
            return np.zeros(0)
        return gap_fn(self.smooth_mix(texts, temperature), self.target)

    @property
    def noise_floor(self) -> float:
        """Expected gap of a random top-k from this pool (:func:`~fairaudit.metrics.random_topk_gap`)."""
        pool = self.encoding.pool_counts[: self.encoding.n_known]
        return random_topk_gap(pool, self.target, self.k)

    def gap_scores(self, texts: Sequence[str]) -> np.ndarray:
        """The gap score of each text, -100 x gap (:func:`~fairaudit.metrics.gap_score`).

        Parameters
        ----------
        texts : sequence of str
            Job texts, each ranked against the whole candidate pool.

        Returns
        -------
        ndarray of float, shape (n_texts,)
            In [-100, 0], higher is fairer.
        """
        return gap_score(self.gaps(texts))
