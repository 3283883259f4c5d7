"""Wrap any Python function as a recommender.

The function receives the job texts of one block and all candidate texts and
returns a ``(n_jobs, n_candidates)`` array of scores, higher is better. Shape,
NaN and inf are checked by :func:`~fairaudit.recommenders.base.check_scores`.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError, DataError, RecommenderError
from .base import as_texts, check_scores

__all__ = ["CallableRecommender"]

ScoreFn = Callable[[list[str], list[str]], Any]


class CallableRecommender:
    """A recommender defined by ``fn(job_texts, candidate_texts) -> scores``.

    Parameters
    ----------
    fn : callable
        ``fn(job_texts: list[str], candidate_texts: list[str])`` returning an
        array-like of shape ``(len(job_texts), len(candidate_texts))``.
    name : str
        Name shown in messages and reports.

    Examples
    --------
    >>> import numpy as np
    >>> rec = CallableRecommender(lambda jobs, cands: np.array([[len(set(j.split()) & set(c.split()))
    ...                                                         for c in cands] for j in jobs]))
    >>> rec.fit(["python dev", "nurse"]).score(["python"]).tolist()
    [[1.0, 0.0]]
    """

    def __init__(self, fn: ScoreFn, name: str = "callable"):
        if not callable(fn):
            raise ConfigError(f"CallableRecommender needs a function, got {type(fn).__name__}")
        self.fn = fn
        self.name = str(name)
        self._cands: list[str] | None = None

    def fit(self, candidate_texts: Sequence[str]) -> "CallableRecommender":
        texts = as_texts(candidate_texts, "candidate texts")
        if not texts:
            raise DataError("no candidate texts to fit the recommender on")
        self._cands = texts
        return self

    def score(self, job_texts: Sequence[str]) -> np.ndarray:
        if self._cands is None:
            raise RecommenderError(f"recommender {self.name!r} is not fitted; call fit(candidate_texts) first")
        jobs = as_texts(job_texts, "job texts")
        try:
            raw = self.fn(jobs, self._cands)
        except RecommenderError:
            raise
        except Exception as exc:  # the user's function may raise anything
            raise RecommenderError(f"recommender {self.name!r} failed: {type(exc).__name__}: {exc}") from exc
        return check_scores(raw, len(jobs), len(self._cands), self.name)

    def clone(self) -> "CallableRecommender":
        """An unfitted copy wrapping the same function."""
        return CallableRecommender(self.fn, self.name)

    def describe(self) -> dict[str, Any]:
        fn = self.fn
        qual = getattr(fn, "__qualname__", type(fn).__qualname__)
        return {"name": self.name, "type": "callable",
                "function": f"{getattr(fn, '__module__', '?')}.{qual}",
                "n_candidates": None if self._cands is None else len(self._cands)}

    def __repr__(self) -> str:
        return f"CallableRecommender({getattr(self.fn, '__qualname__', self.fn)!r}, name={self.name!r})"
