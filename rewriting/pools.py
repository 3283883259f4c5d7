"""The reward averaged over several candidate pools, so that training stops fitting one pool's noise.

Which candidate sits just above or below rank k is an accident of the pool. A plan selected
because it narrows the gap on one training pool may only have moved that pool's accidents
(round 3 saw rewrites selected on one pool that did nothing, or harm, on fresh ones). With
:class:`PooledGaps` the reward's gap is the **mean over several pools** of each attribute's gap
(:class:`rewriting.attributes.AttributeGaps` per pool), and the guard's harm test reads the
pool-averaged gap too. Each text is embedded once whatever the number of pools
(:class:`SharedQueries`).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .attributes import AttributeGaps


class SharedQueries:
    """A fitted embedding recommender for one pool that embeds job texts through a memo shared by all pools.

    Parameters
    ----------
    recommender : EmbeddingRecommender
        A copy (:meth:`~fairaudit.recommenders.embedding.EmbeddingRecommender.clone`) for this pool.
    memo : dict
        Text -> query embedding, shared between the pools' recommenders.
    limit : int
        The memo is cleared when it holds more texts than this.
    """

    def __init__(self, recommender: Any, memo: dict, limit: int = 100_000):
        self.inner, self.memo, self.limit = recommender, memo, int(limit)
        self.name = getattr(recommender, "name", "embedding")

    def fit(self, candidate_texts: Sequence[str]) -> "SharedQueries":
        """Fit the inner recommender on this pool's candidates."""
        self.inner.fit(candidate_texts)
        return self

    def encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        """Embed ``texts`` (each distinct text once across all pools)."""
        texts = [str(t) for t in texts]
        if len(self.memo) > self.limit:
            self.memo.clear()
        todo = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if todo:
            self.memo.update(zip(todo, self.inner.encode(todo)))
        return np.stack([self.memo[t] for t in texts]) if texts else self.inner.encode([])

    def score(self, job_texts: Sequence[str]) -> np.ndarray:
        """Similarity of each job to each candidate of this pool."""
        from fairaudit.recommenders.base import dot_scores

        return dot_scores(self.encode(job_texts), self.inner.candidate_embeddings)

    def read(self, text: str) -> str:
        """The job text as the recommender reads it."""
        return self.inner.read(text) if hasattr(self.inner, "read") else text

    def describe(self) -> dict:
        """The inner recommender's description."""
        return self.inner.describe()


class PooledGaps(AttributeGaps):
    """Every gap of :class:`~rewriting.attributes.AttributeGaps`, averaged over several pools.

    Parameters
    ----------
    per_pool : sequence of AttributeGaps
        One per pool, with the same attributes (the first one's noise-test settings are used).
    """

    def __init__(self, per_pool: Sequence[AttributeGaps]):
        if not per_pool:
            raise ValueError("PooledGaps needs at least one pool")
        first = per_pool[0]
        self.pools = list(per_pool)
        self.__dict__.update({k: v for k, v in first.__dict__.items() if k not in ("_memo",)})
        self._memo = {}

    @property
    def noise_floors(self) -> dict[str, float]:
        return {a: float(np.mean([p.noise_floors[a] for p in self.pools])) for a in self.scorers}

    @property
    def noise_floor(self) -> float:
        return float(np.mean([p.noise_floor for p in self.pools]))

    def hard_gaps_all(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The hard top-k gap of every watched attribute, averaged over the pools."""
        per = [p.hard_gaps_all(texts) for p in self.pools]
        return {a: np.mean([g[a] for g in per], axis=0) for a in self.scorers}

    def smooth_gaps_all(self, texts: Sequence[str], temperature: float = 0.5) -> dict[str, np.ndarray]:
        """The smoothed gap of every watched attribute, averaged over the pools."""
        per = [p.smooth_gaps_all(texts, temperature) for p in self.pools]
        return {a: np.mean([g[a] for g in per], axis=0) for a in self.scorers}


def pools_sha256(pools: Sequence[Any]) -> str:
    """One content hash of several candidate tables (each table's :func:`~fairaudit.data.io.candidates_sha256`).

    Parameters
    ----------
    pools : sequence of DataFrame
        The candidate pools, in order.
    """
    import hashlib

    from fairaudit.data.io import candidates_sha256

    if len(pools) == 1:
        return candidates_sha256(pools[0])
    return hashlib.sha256(",".join(candidates_sha256(p) for p in pools).encode()).hexdigest()


def pooled_gaps(recommender: Any, pools: Sequence[Any], **kwargs: Any) -> AttributeGaps:
    """:class:`AttributeGaps` of one pool, or :class:`PooledGaps` over several (one shared query memo).

    Parameters
    ----------
    recommender : Recommender
        Fitted on each pool in turn: an embedding recommender is cloned per pool and wrapped in
        :class:`SharedQueries`; any other recommender must be given one instance per pool (a list).
    pools : sequence of DataFrame
        The candidate pools.
    **kwargs
        :class:`AttributeGaps`'s other arguments (k, target, attributes, ...).
    """
    if len(pools) == 1:
        rec = recommender[0] if isinstance(recommender, (list, tuple)) else recommender
        return AttributeGaps(rec, pools[0], **kwargs)
    if isinstance(recommender, (list, tuple)):
        recs = list(recommender)
    else:
        memo: dict = {}
        recs = [SharedQueries(recommender.clone() if hasattr(recommender, "clone") else recommender, memo)
                for _ in pools]
    return PooledGaps([AttributeGaps(r, p, **kwargs) for r, p in zip(recs, pools)])
