"""Recommenders that need no neural model: BM25, callables, the factory and rank()."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairaudit.errors import ConfigError, DataError, RecommenderError
from fairaudit.recommenders import (BM25Recommender, CallableRecommender, EmbeddingRecommender, Recommender,
                                    clone_recommender, make_recommender, rank)
from fairaudit.recommenders.base import check_scores

from toy import CANDIDATES, EXPECTED, JOBS  # noqa: E402  (shared matching fixture)


def overlap(jobs: list[str], cands: list[str]) -> np.ndarray:
    cw = [set(c.lower().split()) for c in cands]
    return np.array([[len(set(j.lower().split()) & c) for c in cw] for j in jobs], dtype=float)


# -- BM25 ----------------------------------------------------------------------
def test_bm25_ranks_matching_candidate_first():
    rec = BM25Recommender().fit(CANDIDATES)
    scores = rec.score(JOBS)
    assert scores.shape == (3, 4)
    assert scores.argmax(axis=1).tolist() == EXPECTED


@pytest.mark.parametrize("method", ["lucene", "robertson", "bm25+"])
def test_bm25_dense_scores_equal_bm25s_get_scores(method):
    import bm25s

    rec = BM25Recommender(method=method).fit(CANDIDATES)
    jobs = JOBS + ["python python nurse", "nothing in common here zzz"]
    dense = rec.score(jobs)
    for i, job in enumerate(jobs):
        toks = [t for t in bm25s.tokenize([job], stopwords="en", return_ids=False, show_progress=False)[0]
                if t in rec._vocab]
        ref = rec._retriever.get_scores(toks) if toks else np.zeros(len(CANDIDATES))
        np.testing.assert_allclose(dense[i], ref, rtol=1e-5, atol=1e-6)


def test_bm25_errors_and_clone():
    with pytest.raises(ConfigError):
        BM25Recommender(b=2)
    with pytest.raises(ConfigError):
        BM25Recommender(method="tfidf")
    rec = BM25Recommender()
    with pytest.raises(RecommenderError, match="not fitted"):
        rec.score(JOBS)
    with pytest.raises(DataError):
        rec.fit([])
    with pytest.raises(DataError, match="not strings"):
        rec.fit(["a b", None])
    rec.fit(CANDIDATES)
    twin = rec.clone()
    with pytest.raises(RecommenderError):
        twin.score(JOBS)
    assert twin.describe()["k1"] == rec.describe()["k1"] == 1.5


# -- Callable ------------------------------------------------------------------
def test_callable_ranks_matching_candidate_first():
    rec = CallableRecommender(overlap, name="overlap").fit(CANDIDATES)
    assert rec.score(JOBS).argmax(axis=1).tolist() == EXPECTED
    assert rec.describe()["function"].endswith("overlap")
    r = rank(rec, JOBS, 2, n_candidates=len(CANDIDATES))
    assert r.indices[:, 0].tolist() == EXPECTED


def test_nan_scores_raise_through_rank():
    def bad(jobs, cands):
        out = overlap(jobs, cands)
        out[0, 2] = np.nan
        return out

    rec = CallableRecommender(bad).fit(CANDIDATES)
    with pytest.raises(RecommenderError, match="NaN"):
        rank(rec, JOBS, 2, n_candidates=len(CANDIDATES))


def test_shape_mismatch_and_exceptions_raise_recommender_error():
    rec = CallableRecommender(lambda j, c: np.zeros((len(j), len(c) - 1))).fit(CANDIDATES)
    with pytest.raises(RecommenderError, match="shape"):
        rank(rec, JOBS, 2, n_candidates=len(CANDIDATES))

    def boom(jobs, cands):
        raise KeyError("oops")

    with pytest.raises(RecommenderError, match="KeyError"):
        rank(CallableRecommender(boom).fit(CANDIDATES), JOBS, 2, n_candidates=len(CANDIDATES))
    with pytest.raises(ConfigError):
        CallableRecommender("not a function")


class _Plain:
    """A user's recommender written against the protocol (no clone())."""

    name = "plain"

    def fit(self, candidate_texts):
        self.cands = list(candidate_texts)
        return self

    def score(self, job_texts):
        return overlap(list(job_texts), self.cands)

    def describe(self):
        return {"name": self.name}


def test_rank_with_protocol_object_and_raw_score_checks():
    rec = _Plain().fit(CANDIDATES)
    assert isinstance(rec, Recommender)
    assert rank(rec, JOBS, 1, n_candidates=4).indices[:, 0].tolist() == EXPECTED
    # a raw recommender returning inf is caught by rank's check
    rec.score = lambda jobs: np.full((len(jobs), 4), np.inf)
    with pytest.raises(RecommenderError, match="infinite"):
        rank(rec, JOBS, 1, n_candidates=4)
    with pytest.raises(RecommenderError, match="non-numeric"):
        check_scores([["a", "b"]], 1, 2, "x")


def test_complex_scores_are_refused_with_one_clear_error_and_no_numpy_warning():
    """Issue 25: complex scores from a callable were cast to real with numpy's ComplexWarning."""
    import warnings

    rec = CallableRecommender(lambda jobs, cands: overlap(jobs, cands) + 1j, name="cplx").fit(CANDIDATES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's ComplexWarning would raise here
        with pytest.raises(RecommenderError, match="'cplx' returned complex scores.*real numbers"):
            rank(rec, JOBS, 1, n_candidates=4)
        with pytest.raises(RecommenderError, match="complex"):
            check_scores(np.ones((1, 2), dtype=np.complex64), 1, 2, "x")
        with pytest.raises(RecommenderError, match="non-numeric"):
            check_scores(np.array([[1 + 1j, 2]], dtype=object), 1, 2, "x")
        assert check_scores(np.ones((1, 2), dtype=np.int64), 1, 2, "x").dtype == np.float64


def test_rank_k_larger_than_pool_is_config_error():
    rec = CallableRecommender(overlap).fit(CANDIDATES)
    with pytest.raises(ConfigError, match="larger than the candidate pool"):
        rank(rec, JOBS, 5, n_candidates=4)
    with pytest.raises(ConfigError):
        rank(rec, JOBS, 0, n_candidates=4)


@settings(max_examples=60, deadline=None)
@given(
    n_jobs=st.integers(1, 7),
    n_cands=st.integers(1, 30),
    data=st.data(),
)
def test_rank_topk_equals_full_argsort(n_jobs, n_cands, data):
    seed = data.draw(st.integers(0, 2**32 - 1))
    k = data.draw(st.integers(1, n_cands))
    block = data.draw(st.integers(1, 4))
    rng = np.random.default_rng(seed)
    # few distinct values -> many ties, which must break by lower candidate index
    scores = rng.integers(0, 4, size=(n_jobs, n_cands)).astype(float)
    codes = rng.integers(0, 3, size=n_cands)
    rec = CallableRecommender(lambda jobs, cands: scores[[int(j) for j in jobs]]).fit([str(i) for i in range(n_cands)])
    r = rank(rec, [str(i) for i in range(n_jobs)], k, {"g": (codes, 3)}, n_candidates=n_cands, block_size=block)
    full = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(r.indices, full)
    np.testing.assert_array_equal(r.scores, np.take_along_axis(scores, full, axis=1))
    med = np.median(scores, axis=1, keepdims=True)
    expected = np.stack([((scores > med) & (codes == g)).sum(axis=1) for g in range(3)], axis=1)
    np.testing.assert_array_equal(r.above_median["g"], expected)


# -- factory -------------------------------------------------------------------
def test_make_recommender_specs(tmp_path):
    assert isinstance(make_recommender("bm25", k1=1.2), BM25Recommender)
    assert make_recommender("bm25", k1=1.2).k1 == 1.2
    emb = make_recommender("embedding", batch_size=8)  # lazy: no model is loaded here
    assert isinstance(emb, EmbeddingRecommender) and emb.model is None and emb.batch_size == 8
    hub = make_recommender("sentence-transformers/paraphrase-MiniLM-L3-v2")
    assert isinstance(hub, EmbeddingRecommender) and hub.model == "sentence-transformers/paraphrase-MiniLM-L3-v2"
    assert make_recommender(f"embedding:{tmp_path}").model == str(tmp_path)
    assert make_recommender(str(tmp_path)).model == str(tmp_path)
    cal = make_recommender(overlap)
    assert isinstance(cal, CallableRecommender) and cal.fn is overlap
    plain = _Plain()
    assert make_recommender(plain) is plain


@pytest.mark.parametrize("spec", ["tfidf", "", "./no/such/folder/x", 42, None, BM25Recommender])
def test_make_recommender_unknown_spec(spec):
    with pytest.raises(ConfigError):
        make_recommender(spec)


def test_make_recommender_bad_options():
    with pytest.raises(ConfigError, match="invalid option"):
        make_recommender("bm25", k=3)
    with pytest.raises(ConfigError):
        make_recommender(_Plain(), k1=1)


def test_clone_recommender():
    plain = _Plain().fit(CANDIDATES)
    twin = clone_recommender(plain)
    assert twin is not plain and isinstance(twin, _Plain)
    bm = BM25Recommender(k1=0.9)
    assert clone_recommender(bm).k1 == 0.9

    class Unpicklable(_Plain):
        def __deepcopy__(self, memo):
            raise TypeError("holds a socket")

    with pytest.raises(ConfigError, match="clone"):
        clone_recommender(Unpicklable())
