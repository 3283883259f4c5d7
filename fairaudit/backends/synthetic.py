"""A tiny deterministic embedding recommender for backend tests and the scale benchmark.

:class:`HashingEmbedder` embeds a text as the normalised sum of fixed random
vectors of its (hashed) words: no model to download, the same vector for a
text whatever batch it is in, and it has the ``encode`` / ``clone`` interface
of :class:`~fairaudit.recommenders.embedding.EmbeddingRecommender`, so the Ray
backend treats it like a real embedding model.
"""
from __future__ import annotations

import zlib
from typing import Any, Sequence

import numpy as np

from ..errors import RecommenderError
from ..recommenders.base import dot_scores


class HashingEmbedder:
    """Random-projection bag-of-words embeddings; scores are ``dot_scores`` of them.

    Parameters
    ----------
    dim : int
        Embedding size.
    n_buckets : int
        Hash buckets (rows of the random word-vector table).
    seed : int
        Seed of the word-vector table.
    """

    def __init__(self, dim: int = 32, n_buckets: int = 4096, seed: int = 0):
        self.dim, self.n_buckets, self.seed = int(dim), int(n_buckets), int(seed)
        self.name = f"hashing{self.dim}"
        self.table = np.random.default_rng(seed).standard_normal((self.n_buckets, self.dim)).astype(np.float32)
        self.candidate_embeddings_: np.ndarray | None = None

    def clone(self) -> "HashingEmbedder":
        return HashingEmbedder(self.dim, self.n_buckets, self.seed)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            rows = [zlib.crc32(w.encode()) % self.n_buckets for w in str(t).lower().split()]
            if rows:
                v = self.table[rows].sum(axis=0)  # row-by-row sum: same order for a text in any batch
                out[i] = v / np.float32(np.linalg.norm(v) or 1.0)
        return out

    def fit(self, candidate_texts: Sequence[str]) -> "HashingEmbedder":
        self.candidate_embeddings_ = self.encode(list(candidate_texts))
        return self

    def score(self, job_texts: Sequence[str]) -> np.ndarray:
        if self.candidate_embeddings_ is None:
            raise RecommenderError(f"recommender {self.name!r} is not fitted; call fit(candidate_texts) first")
        return dot_scores(self.encode(list(job_texts)), self.candidate_embeddings_)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": "hashing-embedding", "dim": self.dim, "seed": self.seed,
                "similarity": "cosine"}


def synthetic_texts(n: int, seed: int, n_words: int = 12, vocab: int = 2000, prefix: str = "w") -> list[str]:
    """``n`` texts of ``n_words`` words drawn (Zipf-like) from a ``vocab``-word vocabulary."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    words = rng.choice(vocab, size=(n, n_words), p=p / p.sum())
    return [" ".join(f"{prefix}{w}" for w in row) for row in words]
