"""BM25 recommender (lexical baseline) on top of the ``bm25s`` package.

``bm25s`` pre-computes the BM25 contribution of every (token, document) pair in
a sparse token x document matrix :math:`W`. The score of a job is the sum of the
rows of its query tokens (repeated tokens count again, as in
``bm25s.BM25.get_scores``), so a whole block of jobs is one sparse product
:math:`S = Q W` with :math:`Q` the job x token count matrix.

.. math::

    \\mathrm{BM25}(q, d) = \\sum_{t \\in q} \\mathrm{idf}(t)\\,
        \\frac{f(t, d)\\,(k_1 + 1)}{f(t, d) + k_1 (1 - b + b\\,|d| / \\overline{|d|})}

References
----------
Robertson & Zaragoza (2009), "The Probabilistic Relevance Framework: BM25 and
Beyond". Lù (2024), "BM25S: Orders of magnitude faster lexical search via eager
sparse scoring", arXiv:2407.03618.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError, DataError, RecommenderError
from .base import as_texts

__all__ = ["BM25Recommender"]


class BM25Recommender:
    """Rank candidates by their BM25 score for the job text.

    Parameters
    ----------
    k1 : float
        Term-frequency saturation.
    b : float
        Length normalisation, in [0, 1].
    stopwords : str, list of str or None
        ``"en"`` for bm25s' English list, a list of words, or ``None`` to keep all.
    method : str
        bm25s variant: ``"lucene"`` (default), ``"robertson"``, ``"atire"``, ``"bm25l"``, ``"bm25+"``.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, stopwords: str | Sequence[str] | None = "en",
                 method: str = "lucene"):
        if k1 < 0:
            raise ConfigError(f"BM25 k1 must be >= 0, got {k1}")
        if not 0 <= b <= 1:
            raise ConfigError(f"BM25 b must be in [0, 1], got {b}")
        if method not in ("lucene", "robertson", "atire", "bm25l", "bm25+"):
            raise ConfigError(f"unknown BM25 method {method!r}; use lucene, robertson, atire, bm25l or bm25+")
        self.k1 = float(k1)
        self.b = float(b)
        self.stopwords = stopwords
        self.method = method
        self.name = "bm25"
        self._retriever: Any = None
        self._matrix: Any = None  # scipy CSR, (n_vocab, n_candidates)
        self._vocab: dict[str, int] = {}
        self._nonocc: np.ndarray | None = None
        self._n = 0

    def _tokenize(self, texts: list[str], return_ids: bool) -> Any:
        import bm25s

        try:
            return bm25s.tokenize(texts, stopwords=self.stopwords or [], return_ids=return_ids,
                                  show_progress=False)
        except ValueError as exc:  # e.g. an unknown stopword language
            raise ConfigError(f"BM25 tokenizer: {exc}") from None

    def fit(self, candidate_texts: Sequence[str]) -> "BM25Recommender":
        """Tokenize the candidates and build the eager BM25 index.

        Parameters
        ----------
        candidate_texts : sequence of str
            One text per candidate, in pool order (the columns of :meth:`score`).

        Returns
        -------
        BM25Recommender
            ``self``, fitted.

        Raises
        ------
        DataError
            No texts, or an entry that is not a string.
        """
        import bm25s
        import scipy.sparse as sp

        texts = as_texts(candidate_texts, "candidate texts")
        if not texts:
            raise DataError("no candidate texts to fit the recommender on")
        tokens = self._tokenize(texts, return_ids=True)
        retriever = bm25s.BM25(k1=self.k1, b=self.b, method=self.method)
        retriever.index(tokens, show_progress=False)
        s = retriever.scores
        n_vocab = len(s["indptr"]) - 1
        # bm25s stores W column-compressed by token: indptr runs over tokens,
        # indices are documents; that is exactly CSR of the token x document matrix
        self._matrix = sp.csr_matrix((s["data"], s["indices"], s["indptr"]), shape=(n_vocab, s["num_docs"]))
        self._vocab = dict(retriever.vocab_dict)
        self._nonocc = getattr(retriever, "nonoccurrence_array", None)
        self._retriever = retriever
        self._n = len(texts)
        return self

    def query_matrix(self, job_texts: Sequence[str]) -> Any:
        """Sparse job x token count matrix :math:`Q` (unknown tokens dropped).

        Parameters
        ----------
        job_texts : sequence of str
            The job texts, tokenized as the candidates were.

        Returns
        -------
        scipy.sparse.csr_matrix, shape (n_jobs, n_vocabulary)
            How often each vocabulary token occurs in each job text.
        """
        import scipy.sparse as sp

        texts = as_texts(job_texts, "job texts")
        toks = self._tokenize(texts, return_ids=False) if texts else []
        rows, cols = [], []
        for i, doc in enumerate(toks):
            for t in doc:
                j = self._vocab.get(t)
                if j is not None and t != "":
                    rows.append(i)
                    cols.append(j)
        data = np.ones(len(rows), dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(texts), self._matrix.shape[0]))

    def score(self, job_texts: Sequence[str]) -> np.ndarray:
        """Dense BM25 scores ``(n_jobs, n_candidates)`` float32.

        Parameters
        ----------
        job_texts : sequence of str
            The job texts (the queries).

        Returns
        -------
        ndarray of float32, shape (n_jobs, n_candidates)
            :math:`Q W`, each job's BM25 score of each candidate (>= 0).

        Raises
        ------
        RecommenderError
            The recommender is not fitted.
        """
        if self._matrix is None:
            raise RecommenderError("recommender 'bm25' is not fitted; call fit(candidate_texts) first")
        q = self.query_matrix(job_texts)
        out = np.asarray((q @ self._matrix).toarray(), dtype=np.float32)
        if self._nonocc is not None:  # bm25l / bm25+ add a per-token constant to every document
            out += np.asarray(q @ np.asarray(self._nonocc, dtype=np.float32)).reshape(-1, 1)
        return out

    def clone(self) -> "BM25Recommender":
        """An unfitted copy with the same parameters."""
        return BM25Recommender(self.k1, self.b, self.stopwords, self.method)

    def describe(self) -> dict[str, Any]:
        import bm25s

        return {"name": self.name, "type": "bm25", "k1": self.k1, "b": self.b, "method": self.method,
                "stopwords": self.stopwords if isinstance(self.stopwords, (str, type(None))) else "custom",
                "n_candidates": self._n or None, "vocabulary_size": len(self._vocab) or None,
                "bm25s": getattr(bm25s, "__version__", None)}

    def __repr__(self) -> str:
        return f"BM25Recommender(k1={self.k1}, b={self.b}, stopwords={self.stopwords!r}, method={self.method!r})"
