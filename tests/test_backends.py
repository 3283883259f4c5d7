"""Ray backend == local backend, exactly; worker crashes are retried; FAISS recall is measured."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from fairaudit.backends import LocalBackend, get_backend, merge_topk, rankings_equal, read_parquet_folder
from fairaudit.backends.synthetic import HashingEmbedder, synthetic_texts
from fairaudit.errors import ConfigError, DataError
from fairaudit.recommenders.base import dot_scores, topk_block

ray = pytest.importorskip("ray")
from fairaudit.backends.ray import RayBackend, recall_at_k  # noqa: E402

N_JOBS, N_CANDS, K = 200, 3000, 10


@pytest.fixture(scope="module")
def data():
    cands = synthetic_texts(N_CANDS, seed=1)
    cands[10:20] = [cands[5]] * 10  # duplicate candidates: exact ties at the k-th place
    jobs = synthetic_texts(N_JOBS, seed=2)
    rng = np.random.default_rng(3)
    codes = {"sex": (rng.integers(0, 2, N_CANDS), 2), "race_ethnicity": (rng.integers(0, 7, N_CANDS), 7)}
    return jobs, cands, codes


@pytest.fixture(scope="module")
def local(data):
    jobs, cands, codes = data
    rec = HashingEmbedder(dim=32).fit(cands)
    return LocalBackend(block_size=64).rank(rec, jobs, K, codes, n_candidates=N_CANDS)


class ScoreOnly:
    """A recommender without encode(): the Ray backend scores job blocks with score()."""

    name = "score-only"

    def __init__(self, cands, marker=None):
        self.inner = HashingEmbedder(dim=16, seed=5).fit(cands)
        self.marker = marker

    def fit(self, texts):
        return self

    def score(self, jobs):
        if self.marker is not None and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)  # the worker process dies on the first attempt
        return self.inner.score(jobs)

    def describe(self):
        return {"name": self.name}


class CrashingEmbedder(HashingEmbedder):
    """Kills its actor's process the first time it encodes."""

    def __init__(self, marker, **kw):
        super().__init__(**kw)
        self.marker = marker

    def clone(self):
        return CrashingEmbedder(self.marker, dim=self.dim, n_buckets=self.n_buckets, seed=self.seed)

    def encode(self, texts):
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        return super().encode(texts)


def test_topk_block_total_order_and_merge():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 4, (30, 500)).astype(float)  # many ties
    idx, sc = topk_block(s, 9)
    ref = [sorted(range(500), key=lambda c: (-s[r, c], c))[:9] for r in range(30)]
    assert idx.tolist() == ref
    a, b = topk_block(s[:, :200], 9), topk_block(s[:, 200:], 9)
    mi, ms = merge_topk(a[0], a[1], b[0] + 200, b[1], 9)
    assert np.array_equal(mi, idx) and np.array_equal(ms, sc)


def test_dot_scores_do_not_depend_on_blocking():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((130, 384)).astype(np.float32)
    c = rng.standard_normal((4200, 384)).astype(np.float32)
    full = dot_scores(q, c)
    for r0, r1, c0, c1 in [(0, 1, 0, 4200), (3, 70, 100, 2148), (64, 130, 4100, 4200), (5, 6, 7, 8)]:
        assert np.array_equal(dot_scores(q[r0:r1], c[c0:c1]), full[r0:r1, c0:c1])


def test_ray_equals_local_exactly(ray_session, data, local):
    jobs, cands, codes = data
    rec = HashingEmbedder(dim=32)  # unfitted: the Ray backend embeds the candidates itself
    # several candidate blocks and job blocks; row_memory caps a task at 32 jobs
    backend = RayBackend(block_size=48, candidate_block=1000, row_memory=8 * N_CANDS * 32, embed_batch_size=97)
    got = backend.rank(rec, jobs, K, codes, n_candidates=N_CANDS, candidates=cands)
    assert got.indices[0].tolist() != list(range(K))
    assert rankings_equal(got, local)
    # ties among the duplicated candidates are resolved the same way (lower index first)
    assert np.array_equal(got.indices, local.indices)


def test_ray_reuses_fitted_embeddings_and_reads_parquet(ray_session, data, local, tmp_path):
    jobs, cands, codes = data
    rec = HashingEmbedder(dim=32).fit(cands)
    got = RayBackend(candidate_block=2048).rank(rec, jobs, K, codes, n_candidates=N_CANDS)
    assert rankings_equal(got, local)
    folder = tmp_path / "cands"
    folder.mkdir()
    for i, s in enumerate(range(0, N_CANDS, 1000)):
        pd.DataFrame({"text": cands[s:s + 1000], "x": 0}).to_parquet(folder / f"part-{i:03d}.parquet")
    streamed = [t for b in read_parquet_folder(folder, ["text"], batch_size=700) for t in b.column("text").to_pylist()]
    assert streamed == cands
    got = RayBackend(candidate_block=2048).rank(HashingEmbedder(dim=32), jobs, K, codes,
                                                n_candidates=N_CANDS, candidates=folder)
    assert rankings_equal(got, local)


def test_ray_generic_recommender_and_worker_crash_is_retried(ray_session, data, tmp_path):
    jobs, cands, codes = data
    want = LocalBackend(block_size=64).rank(ScoreOnly(cands), jobs, K, codes, n_candidates=N_CANDS)
    marker = tmp_path / "crashed-once"
    got = RayBackend(block_size=64, max_retries=2).rank(ScoreOnly(cands, str(marker)), jobs, K, codes,
                                                        n_candidates=N_CANDS)
    assert marker.exists()  # a worker really died
    assert rankings_equal(got, want)


def test_embedding_actor_crash_is_restarted(ray_session, data, local, tmp_path):
    jobs, cands, codes = data
    marker = tmp_path / "actor-crashed"
    got = RayBackend(candidate_block=1000, n_actors=1).rank(
        CrashingEmbedder(str(marker), dim=32), jobs, K, codes, n_candidates=N_CANDS, candidates=cands)
    assert marker.exists()
    assert rankings_equal(got, local)


def test_faiss_approximate_recall(ray_session, data, local):
    pytest.importorskip("faiss")
    jobs, cands, codes = data
    rec = HashingEmbedder(dim=32).fit(cands)
    approx = RayBackend(approximate=True, nprobe=4).rank(rec, jobs, K, codes, n_candidates=N_CANDS)
    full = RayBackend(approximate=True, nprobe=10_000).rank(rec, jobs, K, codes, n_candidates=N_CANDS)
    r_low, r_full = recall_at_k(approx, local), recall_at_k(full, local)
    print(f"FAISS IVF recall@{K}: nprobe=4 {r_low:.3f}, all lists {r_full:.3f}")
    assert 0.0 < r_low <= 1.0
    assert r_full >= 0.95  # probing every list is exhaustive up to float32 rounding of FAISS scores
    for a in codes:  # the above-median tables stay exact in approximate mode
        assert np.array_equal(approx.above_median[a], local.above_median[a])


def test_errors(ray_session, data):
    jobs, cands, codes = data
    rec = HashingEmbedder(dim=8).fit(cands)
    with pytest.raises(ConfigError):
        RayBackend().rank(rec, jobs, N_CANDS + 1, n_candidates=N_CANDS)
    with pytest.raises(DataError):
        RayBackend().rank(HashingEmbedder(dim=8), jobs, K, n_candidates=N_CANDS, candidates=cands[:-1])
    with pytest.raises(ConfigError):
        RayBackend(block_size=0)
    with pytest.raises(ConfigError):
        get_backend("spark")
    assert get_backend("ray://head:10001").address == "ray://head:10001"
    assert isinstance(get_backend("local"), LocalBackend)
    with pytest.raises(DataError):
        list(read_parquet_folder("/nonexistent/folder"))
